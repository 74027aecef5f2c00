// The demo models: hand-derived gradients against central finite
// differences in float64, losses against values worked out by hand, and short
// training runs on the digits that must reach a loss threshold.
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, MLP, SoftmaxRegression, fit, loadDigits, makeDataset, ready, type Classifier, type Dataset, type Digits } from '../src/index.js';
import { randn, rng } from './helpers.js';

let digits: Digits;
beforeAll(async () => {
  await ready();
  digits = await loadDigits();
});

/** n random examples with dim features and labels in 0..classes-1. */
function randomData(n: number, dim: number, classes: number, seed: number): Dataset {
  const r = rng(seed);
  const y = new Uint8Array(n).map(() => Math.floor(r() * classes));
  return makeDataset('random', randn(r, n * dim), y, dim, classes);
}

/** The model's initial parameters in float64, with every value (biases too) moved off its start. */
function params64(model: Classifier, seed: number): Float64Array[] {
  const r = rng(seed + 100);
  return model.init(seed).map((p) => Float64Array.from(p, (v) => v + 0.3 * (r() - 0.5)));
}

/** Worst |analytic - numeric| / max(1e-3, |numeric|) over every parameter, by central differences. */
function gradientCheck(model: Classifier, data: Dataset, params: Float64Array[], indices?: number[]): number {
  const grads = params.map((p) => new Float64Array(p.length));
  model.compute(params, data, indices, grads);
  const h = 1e-6;
  let worst = 0;
  params.forEach((p, t) => {
    for (let i = 0; i < p.length; i++) {
      const keep = p[i]!;
      p[i] = keep + h;
      const up = model.compute(params, data, indices);
      p[i] = keep - h;
      const down = model.compute(params, data, indices);
      p[i] = keep;
      const numeric = (up - down) / (2 * h);
      worst = Math.max(worst, Math.abs(grads[t]![i]! - numeric) / Math.max(1e-3, Math.abs(numeric)));
    }
  });
  return worst;
}

const models: [string, () => Classifier][] = [
  ['softmax regression', () => new SoftmaxRegression({ inputs: 5, classes: 4 })],
  ['MLP tanh', () => new MLP({ inputs: 5, hidden: 6, classes: 4 })],
  ['MLP relu', () => new MLP({ inputs: 5, hidden: 6, classes: 4, activation: 'relu' })],
];

describe('gradients against finite differences (float64)', () => {
  it.each(models)('%s, whole dataset', (_name, make) => {
    const model = make();
    expect(gradientCheck(model, randomData(9, 5, 4, 1), params64(model, 1))).toBeLessThan(1e-6);
  });
  it.each(models)('%s, a batch with a repeated example', (_name, make) => {
    const model = make();
    expect(gradientCheck(model, randomData(9, 5, 4, 2), params64(model, 2), [4, 0, 7, 4])).toBeLessThan(1e-6);
  });
  it('MLP on real digits, a batch of 16', () => {
    const model = new MLP({ inputs: 64, hidden: 8, classes: 10 });
    expect(gradientCheck(model, digits.train, params64(model, 3), Array.from({ length: 16 }, (_, i) => 37 * i))).toBeLessThan(1e-6);
  });
  it.each(models)('%s: the float32 path agrees with float64', (_name, make) => {
    const model = make();
    const data = randomData(12, 5, 4, 4);
    const p64 = params64(model, 4);
    const p32 = p64.map((p) => Float32Array.from(p));
    const g64 = p64.map((p) => new Float64Array(p.length));
    const g32 = p32.map((p) => new Float32Array(p.length));
    const l64 = model.compute(p32.map((p) => Float64Array.from(p)), data, undefined, g64);
    const l32 = model.compute(p32, data, undefined, g32);
    expect(l32).toBeCloseTo(l64, 12); // the model computes in double either way
    g32.forEach((g, t) => g.forEach((v, i) => expect(v).toBe(Math.fround(g64[t]![i]!))));
  });
});

describe('losses worked out by hand', () => {
  it('softmax regression, one example: log(e^z0 + e^z1) - z1', () => {
    const model = new SoftmaxRegression({ inputs: 1, classes: 2 });
    const data = makeDataset('one', new Float32Array([2]), new Uint8Array([1]), 1, 2);
    const W = new Float64Array([0.5, -0.25]);
    const b = new Float64Array([0.1, 0.3]);
    const z0 = 0.5 * 2 + 0.1;
    const z1 = -0.25 * 2 + 0.3;
    const grads = [new Float64Array(2), new Float64Array(2)];
    expect(model.compute([W, b], data, undefined, grads)).toBeCloseTo(Math.log(Math.exp(z0) + Math.exp(z1)) - z1, 14);
    const p1 = Math.exp(z1) / (Math.exp(z0) + Math.exp(z1));
    // dL/dz = softmax - onehot = (1 - p1, p1 - 1); dL/dW = dL/dz * x
    expect(grads[1]![0]).toBeCloseTo(1 - p1, 14);
    expect(grads[1]![1]).toBeCloseTo(p1 - 1, 14);
    expect(grads[0]![0]).toBeCloseTo(2 * (1 - p1), 14);
  });
  it('zero output weights give log(classes)', () => {
    const data = randomData(20, 5, 4, 5);
    const sm = new SoftmaxRegression({ inputs: 5, classes: 4 });
    expect(sm.loss([new Float32Array(20), new Float32Array(4)], data)).toBeCloseTo(Math.log(4), 14);
    const mlp = new MLP({ inputs: 5, hidden: 3, classes: 4 });
    const [W1, b1] = mlp.init(5);
    expect(mlp.loss([W1!, b1!, new Float32Array(12), new Float32Array(4)], data)).toBeCloseTo(Math.log(4), 14);
  });
  it('predicts the largest logit', () => {
    // W = identity, b = 0: the class is the index of the largest feature
    const model = new SoftmaxRegression({ inputs: 3, classes: 3 });
    const x = new Float32Array([1, 0, 0, 0, 2, 1, 0, 1, 3, 5, 0, 1]);
    const data = makeDataset('argmax', x, new Uint8Array([0, 1, 0, 1]), 3, 3);
    const params = [new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]), new Float32Array(3)];
    expect([...model.predict(params, data)]).toEqual([0, 1, 2, 0]);
    expect(model.accuracy(params, data)).toBe(0.5);
  });
  it('initialises the same for the same seed', () => {
    const m = new MLP({ inputs: 4, hidden: 3, classes: 2 });
    expect(m.init(7)).toEqual(m.init(7));
    expect(m.init(7)).not.toEqual(m.init(8));
    const limit = Math.sqrt(6 / 7); // Glorot: sqrt(6 / (fanIn + fanOut))
    expect(m.init(7)[0]!.every((v) => Math.abs(v) <= limit)).toBe(true);
  });
});

describe('short training runs on the digits', () => {
  it('MLP 64-16-10 with Adam: training loss below 0.2 and test accuracy above 93% after 5 epochs', () => {
    const model = new MLP({ inputs: 64, hidden: 16, classes: 10 });
    const opt = new Adam(model.init(0), { lr: 0.01 });
    const before = model.loss(opt.params, digits.train);
    const r = fit(opt, digits.train, model.lossAndGrad(digits.train), { epochs: 5, batchSize: 32, seed: 0 });
    expect(r.steps).toBe(5 * Math.ceil(1438 / 32));
    expect(before).toBeGreaterThan(2);
    expect(model.loss(opt.params, digits.train)).toBeLessThan(0.2);
    expect(model.accuracy(opt.params, digits.test)).toBeGreaterThan(0.93);
    opt.dispose();
  });
  it('softmax regression with Adam: training loss below 0.2 after 5 epochs, stopping early at 0.25', () => {
    const model = new SoftmaxRegression({ inputs: 64, classes: 10 });
    const opt = new Adam(model.init(0), { lr: 0.03 });
    const r = fit(opt, digits.train, model.lossAndGrad(digits.train), {
      epochs: 50, batchSize: 32, seed: 0, targetLoss: 0.25, evaluate: (p) => model.loss(p, digits.train),
    });
    expect(r.stopReason).toBe('target');
    expect(r.epochs).toBeLessThanOrEqual(5);
    expect(model.loss(opt.params, digits.train)).toBeLessThanOrEqual(0.25);
    opt.dispose();
  });
});

describe('argument checks', () => {
  it('names what is wrong', () => {
    expect(() => new MLP({ inputs: 4, hidden: 0, classes: 2 })).toThrow(/MLP: options\.hidden must be an integer >= 1, got 0/);
    expect(() => new MLP({ inputs: 4, hidden: 2, classes: 2, activation: 'sigmoid' as never })).toThrow(/options\.activation must be 'tanh' or 'relu', got "sigmoid"/);
    expect(() => new SoftmaxRegression({ inputs: 4, classes: 1 })).toThrow(/options\.classes must be an integer >= 2, got 1/);
    const m = new SoftmaxRegression({ inputs: 5, classes: 4 });
    const data = randomData(3, 5, 4, 6);
    expect(() => m.compute([new Float32Array(20)], data)).toThrow(/params must be an array of 2 arrays \(W, b\)/);
    expect(() => m.compute([new Float32Array(20), new Float32Array(3)], data)).toThrow(/params\[1\] \(b\) must have 4 elements, got 3/);
    expect(() => m.compute(m.init(), randomData(3, 6, 4, 6))).toThrow(/data\.dim must be 5 \(the model's inputs\), got 6/);
    expect(() => m.lossAndGrad({} as Dataset)).toThrow(/data must be a dataset/);
  });
});
