// toTfjs inside tfjs-layers: model.compile + model.fit with a small dense
// model; the loss decreases, and replaying the gradients fit passed to
// applyGradients through new AdamW(...) gives the model's weights bit for bit.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { AdamW, mulberry32, ready } from '../src/index.js';
import { toTfjs } from '../src/tfjs/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

it('model.fit with toTfjs(AdamW, ..., { groups }): loss decreases and matches a replay through new AdamW', async () => {
  const rand = mulberry32(42);
  const n = 32;
  const x = Float32Array.from({ length: n * 3 }, () => rand() * 2 - 1);
  const labels = Array.from({ length: n }, (_, i) => (x[3 * i]! + x[3 * i + 1]! - x[3 * i + 2]! > 0 ? 1 : 0));
  const y = Float32Array.from(labels.flatMap((l) => (l ? [0, 1] : [1, 0])));
  const xs = tf.tensor2d(x, [n, 3]);
  const ys = tf.tensor2d(y, [n, 2]);
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ units: 8, activation: 'relu', inputShape: [3] }), tfl.layers.dense({ units: 2, activation: 'softmax' })],
  });
  const initial = model.trainableWeights.map((w) => ({ name: w.originalName, values: (w.read().dataSync() as Float32Array).slice() }));
  const opt = toTfjs(AdamW, { lr: 0.02, weightDecay: 0.01 }, { groups: [{ match: /bias/, weightDecay: 0 }] });
  // record what fit passes to applyGradients
  const calls: { name: string; g: Float32Array }[][] = [];
  const apply = opt.applyGradients.bind(opt);
  opt.applyGradients = (vg) => {
    const list = Array.isArray(vg) ? vg.map((e) => [e.name, e.tensor] as const) : Object.entries(vg);
    calls.push(list.map(([name, t]) => ({ name, g: (t.dataSync() as Float32Array).slice() })));
    apply(vg);
  };
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy' });
  const before = tf.memory().numTensors;
  const history = await model.fit(xs, ys, { epochs: 5, batchSize: 8, shuffle: false, verbose: 0 });
  expect(tf.memory().numTensors).toBe(before);
  const loss = history.history.loss as number[];
  expect(loss.length).toBe(5);
  expect(loss[4]!).toBeLessThan(loss[0]!);
  expect(calls.length).toBe(20);
  expect(opt.iterations).toBe(20);

  // replay: one param group per toTfjs group, variables in fit's order
  const names = calls[0]!.map((c) => c.name);
  const byName = new Map(model.trainableWeights.map((w) => [(w.read() as tf.Variable).name, w]));
  const params = new Map(names.map((nm) => [nm, initial.find((i) => i.name === byName.get(nm)!.originalName)!.values.slice()]));
  expect(names.filter((nm) => opt.groupOf(nm) === 0).length).toBe(2); // the two biases
  const order = [...names].sort((a, b) => opt.groupOf(a) - opt.groupOf(b));
  const core = new AdamW(
    [
      { params: order.filter((nm) => opt.groupOf(nm) === 0).map((nm) => params.get(nm)!), weightDecay: 0 },
      { params: order.filter((nm) => opt.groupOf(nm) === 1).map((nm) => params.get(nm)!) },
    ],
    { lr: 0.02, weightDecay: 0.01 },
  );
  for (const call of calls) {
    const g = new Map(call.map((c) => [c.name, c.g]));
    core.step(order.map((nm) => g.get(nm)!));
  }
  for (const nm of names) expect(byName.get(nm)!.read().dataSync(), nm).toEqual(params.get(nm));
  expect(opt.paramGroups.length).toBe(2);
  core.dispose();
  opt.dispose();
  model.dispose();
  xs.dispose();
  ys.dispose();
});
