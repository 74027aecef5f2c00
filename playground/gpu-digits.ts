// The digits on the GPU (the "GPU" toggle with Train; loaded on demand, with
// TF.js and its webgpu backend, as a chunk of its own): for each chosen
// optimizer that has a WebGPU version, a TF.js dense 64-32-10 model (tanh,
// then softmax; Glorot-uniform weights from the seed) on TF.js's webgpu
// backend, trained on the same shuffled mini-batches with toTfjs(its class,
// the row's hyperparameters): the forward and backward passes are TF.js's
// WGSL, the update wasm-optim's kernels on the variables' GPU buffers
// (src/tfjs/webgpu.ts), with no readback in the step. The loss is read back
// once per epoch, for the table. Optimizers without a WebGPU version are listed
// with the reason, and train only in the WebAssembly panel.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32, permutation, registry, type Dataset, type Digits, type Optimizer } from 'wasm-optim';
import { toTfjs } from 'wasm-optim/tfjs';
import { create, type Choice } from './controls.js';
import { gpuTwin } from './gpu.js';
import { makeModel, tensors } from './tfjs-model.js';

export interface GpuTrainOptions {
  epochs: number;
  batchSize: number;
  seed: number;
}


const lossOf = (model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): tf.Scalar =>
  tf.mean(tfl.metrics.categoricalCrossentropy(y, model.apply(x) as tf.Tensor)) as tf.Scalar;

/**
 * Trains on TF.js's webgpu backend, one run after the other, filling `table`
 * (one row per chosen optimizer) and marking `box.dataset.state` running, then
 * done (or stopped when `stopped()` turns true). Throws when the webgpu backend
 * does not start.
 */
export async function trainDigitsOnGpu(digits: Digits, choices: readonly Choice[], options: GpuTrainOptions, table: HTMLTableElement, box: HTMLElement, stopped: () => boolean): Promise<void> {
  if (!(await tf.setBackend('webgpu'))) throw new Error('TF.js: the webgpu backend did not initialize');
  await tf.ready();
  box.dataset.state = 'running';
  box.dataset.backend = tf.getBackend();
  table.replaceChildren();
  const head = table.createTHead().insertRow();
  for (const t of ['optimizer', 'runs on', 'epoch', 'train loss', 'test acc']) {
    const th = document.createElement('th');
    th.textContent = t;
    head.append(th);
  }
  const body = table.createTBody();
  const train = tensors(digits.train);
  const test = tensors(digits.test);
  try {
    for (const choice of choices.filter((c) => !c.def.makeClosure)) {
      const row = body.insertRow();
      row.dataset.optimizer = choice.def.id;
      row.insertCell().textContent = choice.def.label;
      const where = row.insertCell();
      const cells = [row.insertCell(), row.insertCell(), row.insertCell()];
      const cpu: Optimizer<object> = create(choice, [new Float32Array(1)]);
      const twin = gpuTwin(cpu);
      const entry = registry.find((e) => e.name === cpu.kind)!;
      cpu.dispose();
      if ('reason' in twin) {
        row.dataset.device = 'wasm';
        where.textContent = `WebAssembly panel only: ${twin.reason}`;
        continue;
      }
      row.dataset.device = 'gpu';
      where.textContent = 'GPU (TF.js webgpu + toTfjs)';
      const model = makeModel(digits.train.dim, options.seed);
      const opt = toTfjs(entry.class, twin.options as never);
      const random = mulberry32(options.seed);
      const order = new Uint32Array(digits.train.n);
      const show = async (epoch: number) => {
        const [loss, acc] = tf.tidy(() => {
          const l = lossOf(model, train.x, train.y);
          const pred = tf.argMax(model.apply(test.x) as tf.Tensor, 1);
          const a = tf.mean(tf.cast(tf.equal(pred, tf.argMax(test.y, 1)), 'float32'));
          return [l, a];
        });
        const [lv, av] = [(await loss!.data())[0]!, (await acc!.data())[0]!];
        tf.dispose([loss!, acc!]);
        cells[0]!.textContent = String(epoch);
        cells[1]!.textContent = lv.toFixed(4);
        cells[2]!.textContent = `${(100 * av).toFixed(1)}%`;
        row.dataset.epoch = String(epoch);
        row.dataset.loss = String(lv);
        (row.dataset.losses ??= '');
        row.dataset.losses += (row.dataset.losses ? ' ' : '') + String(lv);
      };
      try {
        await show(0);
        for (let epoch = 1; epoch <= options.epochs && !stopped(); epoch++) {
          permutation(order, random);
          for (let at = 0; at < order.length; at += options.batchSize) {
            const batch = tensors(digits.train, order.subarray(at, Math.min(order.length, at + options.batchSize)));
            tf.tidy(() => {
              opt.minimize(() => lossOf(model, batch.x, batch.y));
            });
            tf.dispose([batch.x, batch.y]);
          }
          await show(epoch);
          await new Promise((r) => requestAnimationFrame(r));
        }
        row.dataset.onGpu = String(model.trainableWeights.every((w) => opt.gpuOptimizerOf(w.name) !== undefined));
      } finally {
        opt.dispose();
        model.dispose();
      }
      if (stopped()) break;
    }
  } finally {
    tf.dispose([train.x, train.y, test.x, test.y]);
    box.dataset.state = stopped() ? 'stopped' : 'done';
  }
}
