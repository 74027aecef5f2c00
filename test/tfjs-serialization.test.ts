// Saving and restoring the TF.js adapters' optimizers: getWeights/setWeights
// in tf.train's layout (checked against real tf.train 4.22 next to it),
// getConfig/fromConfig through tf.serialization, and model.save +
// tf.loadLayersModel with includeOptimizer, after which training continues
// bit for bit as if it had never stopped. Also: non-finite gradients in
// train.*, and tensors not leaking through getWeights.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, Lion, NAdam, ASGD, SGD, mulberry32, ready } from '../src/index.js';
import { NonFiniteGradientError } from '../src/step.js';
import { toTfjs, train, type NamedTensor } from '../src/tfjs/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

let uid = 0;
const rand = mulberry32(7);
const values = (n: number, s = 1) => Float32Array.from({ length: n }, () => (rand() * 2 - 1) * s);

/** The seven factories with options that switch on every state buffer. */
const FACTORIES: [string, () => tf.Optimizer, () => tf.Optimizer][] = [
  ['sgd', () => train.sgd(0.1), () => tf.train.sgd(0.1)],
  ['momentum', () => train.momentum(0.05, 0.9, true), () => tf.train.momentum(0.05, 0.9, true)],
  ['adagrad', () => train.adagrad(0.1), () => tf.train.adagrad(0.1)],
  ['adadelta', () => train.adadelta(1, 0.9), () => tf.train.adadelta(1, 0.9)],
  ['adam', () => train.adam(0.01), () => tf.train.adam(0.01)],
  ['adamax', () => train.adamax(0.01, 0.9, 0.99, null, 0.01), () => tf.train.adamax(0.01, 0.9, 0.99, undefined, 0.01)],
  ['rmsprop', () => train.rmsprop(0.01, 0.9, 0.5, null, true), () => tf.train.rmsprop(0.01, 0.9, 0.5, undefined, true)],
];

/** Two variables (shapes with SIMD tails) and per-step gradients, the same for every run. */
function problem(steps: number) {
  const shapes = [[3, 5], [7]];
  const init = shapes.map((s) => values(s.reduce((a, b) => a * b)));
  const grads = Array.from({ length: steps }, () => shapes.map((s) => values(s.reduce((a, b) => a * b), 0.5)));
  const make = () => {
    const tag = `ser${uid++}`;
    return shapes.map((s, i) => tf.variable(tf.tensor(init[i]!, s), true, `${tag}/layer_${i}/w`));
  };
  const step = (opt: tf.Optimizer, vars: tf.Variable[], t: number) => {
    const map: tf.NamedTensorMap = {};
    vars.forEach((v, i) => (map[v.name] = tf.tensor(grads[t]![i]!, v.shape)));
    opt.applyGradients(map);
    tf.dispose(Object.values(map));
  };
  return { make, step };
}

const read = (vars: tf.Variable[]) => vars.map((v) => (v.dataSync() as Float32Array).slice());
async function weightsOf(opt: tf.Optimizer) {
  return (await opt.getWeights()).map((w) => ({ name: w.name, shape: w.tensor.shape, values: Array.from(w.tensor.dataSync() as ArrayLike<number>) }));
}

describe('train.*: getWeights/setWeights', () => {
  it.each(FACTORIES)('%s: the layout and values of tf.train getWeights', async (name, ours, theirs) => {
    if (name === 'adamax') return; // tf.train.adamax has no getWeights (it throws): checked below
    const { make, step } = problem(4);
    const a = make();
    const b = make();
    const o1 = ours();
    const o2 = theirs();
    for (let t = 0; t < 4; t++) {
      step(o1, a, t);
      step(o2, b, t);
    }
    const w1 = await weightsOf(o1);
    const w2 = await weightsOf(o2);
    const rename = (n: string) => n.replace(/^ser\d+\//, '');
    expect(w1.map((w) => [rename(w.name), w.shape])).toEqual(w2.map((w) => [rename(w.name), w.shape]));
    w1.forEach((w, i) => w.values.forEach((x, j) => expect(Math.abs(x - w2[i]!.values[j]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(w2[i]!.values[j]!)))));
    o1.dispose();
    o2.dispose();
    tf.dispose([...a, ...b]);
  });

  it('adamax (which tf.train cannot save) uses the names of its state variables, /m and /v', async () => {
    const { make, step } = problem(1);
    const a = make();
    const o = train.adamax();
    step(o, a, 0);
    expect((await weightsOf(o)).map((w) => w.name.replace(/^ser\d+\//, ''))).toEqual(['iter', 'layer_0/w/m', 'layer_1/w/m', 'layer_0/w/v', 'layer_1/w/v']);
    o.dispose();
    tf.dispose(a);
  });

  it.each(FACTORIES)('%s: stopped, saved, restored into a new optimizer: continues bit for bit', async (_name, ours) => {
    const { make, step } = problem(8);
    const a = make();
    const b = make();
    const o1 = ours();
    const o2 = ours();
    for (let t = 0; t < 4; t++) {
      step(o1, a, t);
      step(o2, b, t);
    }
    const o3 = ours();
    await o3.setWeights(await o2.getWeights());
    o2.dispose();
    expect(o3.iterations).toBe(4);
    for (let t = 4; t < 8; t++) {
      step(o1, a, t);
      step(o3, b, t);
    }
    expect(read(b)).toEqual(read(a));
    o1.dispose();
    o3.dispose();
    tf.dispose([...a, ...b]);
  });

  it.each(FACTORIES.filter(([n]) => n !== 'adamax'))('%s: restores what tf.train saved and continues as tf.train does', async (_name, ours, theirs) => {
    const { make, step } = problem(8);
    const a = make();
    const t1 = theirs();
    for (let t = 0; t < 4; t++) step(t1, a, t);
    const at4 = read(a);
    const o = ours();
    await o.setWeights(await t1.getWeights());
    for (let t = 4; t < 8; t++) step(t1, a, t);
    const want = read(a);
    a.forEach((v, i) => v.assign(tf.tensor(at4[i]!, v.shape)));
    for (let t = 4; t < 8; t++) step(o, a, t);
    // (tf.train's own setWeights recomputes Adam's beta powers with pow: equal to within rounding)
    read(a).forEach((x, i) => x.forEach((y, j) => expect(Math.abs(y - want[i]![j]!)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i]![j]!)))));
    o.dispose();
    t1.dispose();
    tf.dispose(a);
  });
});

describe('toTfjs: getWeights/setWeights/getConfig/fromConfig', () => {
  const CASES: [string, () => tf.Optimizer][] = [
    ['Adam (amsgrad)', () => toTfjs(Adam, { lr: 0.01, amsgrad: true })],
    ['AdamW with groups', () => toTfjs(AdamW, { lr: 0.01, weightDecay: 0.1 }, { groups: [{ match: /layer_1/, weightDecay: 0 }] })],
    ['NAdam (running mu product, a double)', () => toTfjs(NAdam, { lr: 0.01 })],
    ['ASGD (eta and mu)', () => toTfjs(ASGD, { lr: 0.01, t0: 2 })],
    ['Lion', () => toTfjs(Lion, { lr: 0.001 })],
    ['SGD nesterov, maxGradNorm', () => toTfjs(SGD, { lr: 0.05, momentum: 0.9, nesterov: true, maxGradNorm: 0.5 })],
  ];
  it.each(CASES)('%s: stopped, saved, restored (setWeights, and fromConfig(getConfig())): continues bit for bit', async (_n, make) => {
    const { make: vars, step } = problem(8);
    const a = vars();
    const b = vars();
    const o1 = make();
    const o2 = make();
    for (let t = 0; t < 4; t++) {
      step(o1, a, t);
      step(o2, b, t);
    }
    const cls = o2.constructor as typeof tf.serialization.Serializable & { fromConfig: (c: unknown, cfg: tf.serialization.ConfigDict) => tf.Optimizer };
    const o3 = cls.fromConfig(cls, JSON.parse(JSON.stringify(o2.getConfig())));
    await o3.setWeights(await o2.getWeights());
    o2.dispose();
    for (let t = 4; t < 8; t++) {
      step(o1, a, t);
      step(o3, b, t);
    }
    expect(read(b)).toEqual(read(a));
    expect(await weightsOf(o3)).toEqual((await weightsOf(o1)).map((w) => ({ ...w, name: w.name.replace(/^ser\d+/, b[0]!.name.split('/')[0]!) })));
    o1.dispose();
    o3.dispose();
    tf.dispose([...a, ...b]);
  });

  it('getConfig keeps the current hyperparameters (a scheduler moved lr) and survives the camel-casing of a load', () => {
    const o = toTfjs(AdamW, { lr: 0.01, weightDecay: 0.1 }, { groups: [{ match: /dense_\d+\/bias/, weightDecay: 0 }, { match: 'emb_table', lr: 0.1 }] });
    o.paramGroups[2]!.lr = 0.005;
    const cfg = o.getConfig();
    // what tfjs-layers does to every string of a saved config on load
    const camel = (v: unknown): unknown =>
      typeof v === 'string' ? (v.includes('_') ? v.replace(/[_]+(\w|$)/g, (_m, c: string) => c.toUpperCase()) : v) : Array.isArray(v) ? v.map(camel) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, camel(x)])) : v;
    const back = (o.constructor as unknown as { fromConfig: (c: unknown, cfg: unknown) => ReturnType<typeof toTfjs> }).fromConfig(o.constructor, camel(cfg));
    expect(back.groupOf('dense_12/bias')).toBe(0);
    expect(back.groupOf('emb_table')).toBe(1);
    expect(back.groupOf('dense_12/kernel')).toBe(2);
    expect(back.paramGroups.map((g) => [g.lr, g.weightDecay])).toEqual([[0.01, 0], [0.1, 0.1], [0.005, 0.1]]);
    expect(() => toTfjs(Adam, {}, { groups: [{ match: (n: string) => n.endsWith('b') }] }).getConfig()).toThrow(/groups\[0\]\.match is a function.*RegExp or a string/);
    o.dispose();
    back.dispose();
  });
});

// (model.fit is slow on a loaded machine: a generous timeout, the test asserts no timing)
describe('model.save with includeOptimizer, then tf.loadLayersModel', { timeout: 120_000 }, () => {
  async function roundTrip(makeOpt: () => tf.Optimizer) {
    const r = mulberry32(3);
    const n = 24;
    const xs = tf.tensor2d(Float32Array.from({ length: n * 4 }, () => r() * 2 - 1), [n, 4]);
    const ys = tf.tensor2d(Float32Array.from(Array.from({ length: n }, (_, i) => [i % 3 === 0 ? 1 : 0, i % 3 === 0 ? 0 : 1]).flat()), [n, 2]);
    // seeded initial weights: the run is the same every time (centered RMSprop can reach NaN from some starts, as tf.train does)
    const init = (seed: number) => tfl.initializers.glorotUniform({ seed });
    const model = tfl.sequential({
      layers: [
        tfl.layers.dense({ units: 6, activation: 'tanh', inputShape: [4], kernelInitializer: init(1) }),
        tfl.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: init(2) }),
      ],
    });
    model.compile({ optimizer: makeOpt(), loss: 'categoricalCrossentropy' });
    const fit = (m: tfl.LayersModel) => m.fit(xs, ys, { epochs: 2, batchSize: 6, shuffle: false, verbose: 0 });
    await fit(model);
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(tf.io.withSaveHandler(async (art) => ((saved = art), { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } })), { includeOptimizer: true });
    const before = tf.memory().numTensors;
    const reloaded = await tfl.loadLayersModel(tf.io.fromMemory(saved!));
    expect(reloaded.optimizer.constructor).toBe(model.optimizer.constructor);
    expect(reloaded.optimizer.iterations).toBe(model.optimizer.iterations);
    await fit(model);
    await fit(reloaded);
    const w1 = model.getWeights().map((w) => Array.from(w.dataSync()));
    const w2 = reloaded.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1);
    reloaded.optimizer.dispose();
    reloaded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.optimizer.dispose();
    model.dispose();
    tf.dispose([xs, ys]);
    return saved!;
  }
  it('train.adam: the reloaded model (its variables renamed kernel_1, ...) continues bit for bit', async () => {
    const saved = await roundTrip(() => train.adam(0.02));
    expect((saved.trainingConfig as unknown as { optimizer_config: { class_name: string } }).optimizer_config.class_name).toBe('WasmOptimAdam');
  });
  it('train.rmsprop (centered, momentum) continues bit for bit', async () => {
    await roundTrip(() => train.rmsprop(0.01, 0.9, 0.5, null, true));
  });
  it('toTfjs(AdamW, ..., { groups: [{ match: /dense_\\d+\\/bias/ }] }) continues bit for bit', async () => {
    const saved = await roundTrip(() => toTfjs(AdamW, { lr: 0.02, weightDecay: 0.05, maxGradNorm: 1 }, { groups: [{ match: /dense_Dense\d+\/bias/, weightDecay: 0 }] }));
    expect((saved.trainingConfig as unknown as { optimizer_config: { class_name: string } }).optimizer_config.class_name).toBe('WasmOptimToTfjs');
  });
});

describe('nothing leaks, bad input changes nothing', () => {
  it('getWeights any number of times, then dispose(): tf.memory() returns to where it was', async () => {
    const { make, step } = problem(3);
    const a = make();
    const start = tf.memory().numTensors;
    for (const make of [() => train.adam(), () => toTfjs(AdamW, {})]) {
      const o = make();
      for (let t = 0; t < 3; t++) step(o, a, t);
      for (let i = 0; i < 5; i++) await o.getWeights();
      o.dispose();
      expect(tf.memory().numTensors).toBe(start);
    }
    tf.dispose(a);
  });

  it.each([
    ['not an array', () => 'x', /expected an array of \{ name, tensor \}/],
    ['empty', () => [], /at least the 'iter' entry/],
    ['iter missing', (w: NamedTensor[]) => w.slice(1), /element 0 to be the scalar 'iter'/],
    ['a state tensor missing', (w: NamedTensor[]) => w.slice(0, -1), /state tensors per variable|expected entry/],
    ['wrong order', (w: NamedTensor[]) => [w[0]!, w[3]!, w[2]!, w[1]!, w[4]!], /expected entry/],
    ['mismatched shape', (w: NamedTensor[]) => [w[0]!, w[1]!, w[2]!, { name: w[3]!.name, tensor: tf.zeros([2]) }, w[4]!], /has shape \[2\]/],
    ['int32 state', (w: NamedTensor[]) => [w[0]!, w[1]!, w[2]!, { name: w[3]!.name, tensor: tf.zeros(w[3]!.tensor.shape, 'int32') }, w[4]!], /float32/],
    ['a disposed tensor', (w: NamedTensor[]) => { const t = tf.zeros(w[1]!.tensor.shape); t.dispose(); return [w[0]!, { name: w[1]!.name, tensor: t }, ...w.slice(2)]; }, /disposed/],
  ] as [string, (w: NamedTensor[]) => unknown, RegExp][])('train.adam setWeights refuses %s and changes nothing', async (_n, spoil, msg) => {
    const { make, step } = problem(3);
    const a = make();
    const o = train.adam(0.01);
    step(o, a, 0);
    const good = await train.adam(0.01).getWeights(); // (a spare, to spoil: same layout after a step below)
    void good;
    const src = train.adam(0.01);
    step(src, a, 1);
    const before = await weightsOf(o);
    await expect(o.setWeights(spoil(await src.getWeights()) as NamedTensor[])).rejects.toThrow(msg);
    expect(await weightsOf(o)).toEqual(before);
    expect(o.iterations).toBe(1);
    o.dispose();
    src.dispose();
    tf.dispose(a);
  });

  it('toTfjs setWeights refuses state that does not fit (a buffer of another method, bad JSON) and changes nothing', async () => {
    const { make, step } = problem(2);
    const a = make();
    const o = toTfjs(Adam, { lr: 0.01 });
    step(o, a, 0);
    const sgd = toTfjs(SGD, { lr: 0.01, momentum: 0.9 });
    step(sgd, a, 1);
    const before = await weightsOf(o);
    await expect(o.setWeights(await sgd.getWeights())).rejects.toThrow(/does not fit this optimizer.*momentumBuffer/);
    const w = await sgd.getWeights();
    await expect(o.setWeights([w[0]!, { name: w[1]!.name, tensor: tf.scalar('{oops', 'string') }])).rejects.toThrow(/not valid JSON/);
    expect(await weightsOf(o)).toEqual(before);
    o.dispose();
    sgd.dispose();
    tf.dispose(a);
  });

  it('train.*: a non-finite gradient is refused (nothing changed), skipped with skipNonFinite, let through with checkFinite = false', async () => {
    const { make, step } = problem(1);
    const a = make();
    const o = train.adam(0.01);
    step(o, a, 0);
    const params = read(a);
    const state = await weightsOf(o);
    const bad = () => ({ [a[0]!.name]: tf.tensor(values(15), [3, 5]), [a[1]!.name]: tf.tensor(Float32Array.from({ length: 7 }, (_, i) => (i === 3 ? NaN : 0.1)), [7]) });
    let g = bad();
    expect(() => o.applyGradients(g)).toThrow(NonFiniteGradientError);
    expect(() => o.applyGradients(g)).toThrow(/layer_1\/w.*has NaN at \[3\]; nothing was changed/);
    expect(read(a)).toEqual(params);
    expect(await weightsOf(o)).toEqual(state);
    expect(o.iterations).toBe(1);
    o.skipNonFinite = true;
    o.applyGradients(g);
    expect(read(a)).toEqual(params);
    expect(o.iterations).toBe(1);
    o.skipNonFinite = false;
    o.checkFinite = false;
    o.applyGradients(g);
    expect(Number.isNaN(read(a)[1]![3])).toBe(true);
    tf.dispose(Object.values(g));
    // a new variable met in a refused call gets no state
    const c = tf.variable(tf.zeros([4]), true, `fresh${uid++}`);
    o.checkFinite = true;
    g = { [c.name]: tf.tensor([0, Infinity, 0, 0]) };
    expect(() => o.applyGradients(g)).toThrow(/Infinity at \[1\]/);
    expect((o as unknown as { variableNames: string[] }).variableNames).not.toContain(c.name);
    tf.dispose([...Object.values(g), c]);
    o.dispose();
    tf.dispose(a);
  });
});

it('toTfjs hands each variable its shape ({ data, shape }): optimizerOf(name).shapes', () => {
  const { make, step } = problem(1);
  const a = make();
  const o = toTfjs(Adam, {});
  step(o, a, 0);
  expect(a.map((v) => o.optimizerOf(v.name)!.shapes)).toEqual([[[3, 5]], [[7]]]);
  o.dispose();
  tf.dispose(a);
});

describe('toTfjs: exportState/importState (torch names, safetensors)', () => {
  it('export, import into a new toTfjs optimizer (by the variable names in the file), continue: bit for bit; the file also loads into new AdamW', async () => {
    const { make, step } = problem(8);
    const a = make();
    const b = make();
    const opts = () => toTfjs(AdamW, { lr: 0.01, weightDecay: 0.1 }, { groups: [{ match: /layer_1/, weightDecay: 0 }] });
    const o1 = opts();
    const o2 = opts();
    for (let t = 0; t < 4; t++) {
      step(o1, a, t);
      step(o2, b, t);
    }
    o2.paramGroups[1]!.lr = 0.02;
    o1.paramGroups[1]!.lr = 0.02;
    const file = o2.exportState();
    const { decodeSafetensors } = await import('../src/safetensors.js');
    const meta = decodeSafetensors('t', file).metadata;
    // torch order: group by group (layer_1 first: groups[0]), shapes as the variables'
    expect(JSON.parse(meta.variables!)).toEqual([b[1]!.name, b[0]!.name]);
    expect(JSON.parse(meta.param_groups!).map((g: { params: number[]; lr: number }) => [g.params, g.lr])).toEqual([[[0], 0.01], [[1], 0.02]]);
    expect(decodeSafetensors('t', file).tensors.get('state.1.exp_avg')!.shape).toEqual([3, 5]);
    const o3 = opts();
    o3.importState(file);
    expect(o3.paramGroups[1]!.lr).toBe(0.02);
    o2.dispose();
    for (let t = 4; t < 8; t++) {
      step(o1, a, t);
      step(o3, b, t);
    }
    expect(read(b)).toEqual(read(a));
    // the same file into a core optimizer with the same groups
    const core = new AdamW([{ params: [new Float32Array(7)], weightDecay: 0 }, { params: [{ data: new Float32Array(15), shape: [3, 5] }] }], { lr: 0.01, weightDecay: 0.1 });
    core.importState(file);
    expect(core.paramGroups[1]!.lr).toBe(0.02);
    expect(core.stateDict().state[0]!.step).toBe(4);
    core.dispose();
    o1.dispose();
    o3.dispose();
    tf.dispose([...a, ...b]);
  });

  it('refuses a file that does not fit (another class, unknown variable, groups out of order) and changes nothing', () => {
    const { make, step } = problem(2);
    const a = make();
    const adam = toTfjs(Adam, { lr: 0.01 });
    step(adam, a, 0);
    const sgd = toTfjs(SGD, { lr: 0.01, momentum: 0.9 });
    step(sgd, a, 1);
    const before = adam.exportState();
    expect(() => adam.importState(sgd.exportState())).toThrow(/torch\.optim\.SGD.*not torch\.optim\.Adam/);
    expect(() => adam.importState(before, { variables: ['nope', a[1]!.name] })).toThrow(/no variable named "nope"/);
    const grouped = toTfjs(Adam, {}, { groups: [{ match: /layer_1/ }] });
    expect(() => grouped.importState(before, { variables: [a[0]!.name, a[1]!.name] })).toThrow(/group by group/);
    expect(adam.exportState()).toEqual(before);
    expect(() => toTfjs(Adam, {}).exportState()).toThrow(/no state yet/);
    adam.dispose();
    sgd.dispose();
    grouped.dispose();
    tf.dispose(a);
  });
});
