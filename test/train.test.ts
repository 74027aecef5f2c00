// The training loop: batches per epoch, seeded shuffling, accumulation, the
// schedule hook, callbacks, early stop, divergence and argument checks.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adagrad, Adam, AdamW, Momentum, RMSprop, SGD, Trainer, batchesPerEpoch, fit, mulberry32, permutation, ready,
  type LossAndGrad, type Optimizer,
} from '../src/index.js';
import { conformance, randn, rng } from './helpers.js';
import { everyOptimizer } from './registry-cases.js';

type AnyOpt = Optimizer<object>;

beforeAll(async () => {
  await ready();
});

/** A loss that records every batch it is asked for and returns 1 with a zero gradient. */
function recorder(): { batches: number[][]; fn: LossAndGrad } {
  const batches: number[][] = [];
  return {
    batches,
    fn: (batch, _params, grads) => {
      batches.push([...batch]);
      for (const g of grads) g.fill(0);
      return 1;
    },
  };
}

/**
 * Least squares on a fixed random problem: example i has features A[i] (dim d)
 * and target b[i]; the mean loss over a batch is mean_i (A[i].w - b[i])^2 / 2.
 */
function leastSquares(n: number, d: number, seed: number) {
  const r = rng(seed);
  const A = randn(r, n * d);
  // targets b = A w* + noise, with w* = (1, -1, 1, ...) and noise of standard deviation 0.1
  const noise = randn(r, n, 0.1);
  const b = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    b[i] = noise[i]!;
    for (let j = 0; j < d; j++) b[i]! += A[i * d + j]! * (j % 2 ? -1 : 1);
  }
  const grad64 = (w: ArrayLike<number>, batch: readonly number[]): Float64Array => {
    const g = new Float64Array(d);
    for (const i of batch) {
      let e = -b[i]!;
      for (let j = 0; j < d; j++) e += A[i * d + j]! * w[j]!;
      for (let j = 0; j < d; j++) g[j]! += (e * A[i * d + j]!) / batch.length;
    }
    return g;
  };
  const fn: LossAndGrad = (batch, params, grads) => {
    const w = params[0]!;
    const g = grads[0]!;
    g.fill(0);
    let loss = 0;
    const acc = new Float64Array(d);
    for (const i of batch) {
      let e = -b[i]!;
      for (let j = 0; j < d; j++) e += A[i * d + j]! * w[j]!;
      loss += (e * e) / 2;
      for (let j = 0; j < d; j++) acc[j]! += e * A[i * d + j]!;
    }
    for (let j = 0; j < d; j++) g[j] = acc[j]! / batch.length;
    return loss / batch.length;
  };
  return { fn, grad64, d };
}

describe('batches per epoch', () => {
  it.each([
    // n, batchSize, dropLast, expected batch sizes in an epoch
    [10, 3, false, [3, 3, 3, 1]],
    [10, 3, true, [3, 3, 3]],
    [10, 5, false, [5, 5]],
    [10, 1, false, Array(10).fill(1)],
    [10, 10, false, [10]],
    [10, 64, false, [10]],
    [7, undefined, false, [7]],
  ] as const)('n=%i batchSize=%s dropLast=%s', (n, batchSize, dropLast, sizes) => {
    const rec = recorder();
    const opt = new SGD([new Float32Array(2)], { lr: 0.1 });
    const t = new Trainer(opt, n, rec.fn, { epochs: 2, batchSize, dropLast });
    expect(t.batchesPerEpoch).toBe(sizes.length);
    const r = t.run();
    expect(rec.batches.map((b) => b.length)).toEqual([...sizes, ...sizes]);
    expect(r.steps).toBe(2 * sizes.length);
    expect(r.examples).toBe(2 * sizes.reduce((a, b) => a + b, 0));
    expect(batchesPerEpoch(n, Math.min(n, batchSize ?? n), dropLast)).toBe(sizes.length);
    opt.dispose();
  });
});

describe('shuffling', () => {
  const epochsOf = (seed: number | undefined, shuffle = true) => {
    const rec = recorder();
    const opt = new SGD([new Float32Array(1)]);
    fit(opt, 50, rec.fn, { epochs: 3, batchSize: 7, seed, shuffle });
    opt.dispose();
    const flat = rec.batches.flat();
    return [flat.slice(0, 50), flat.slice(50, 100), flat.slice(100, 150)];
  };

  it('visits every example exactly once per epoch', () => {
    for (const epoch of epochsOf(3)) expect([...epoch].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
  it('draws a new order every epoch', () => {
    const [e1, e2, e3] = epochsOf(3);
    expect(e1).not.toEqual(e2);
    expect(e2).not.toEqual(e3);
  });
  it('is reproducible: the same seed gives the same batches, another seed others', () => {
    expect(epochsOf(3)).toEqual(epochsOf(3));
    expect(epochsOf(undefined)).toEqual(epochsOf(0));
    expect(epochsOf(4)).not.toEqual(epochsOf(3));
  });
  it('draws every order equally often (Fisher-Yates)', () => {
    const random = mulberry32(12);
    const counts = new Map<string, number>();
    const out = new Uint32Array(3);
    for (let t = 0; t < 6000; t++) {
      const key = permutation(out, random).join('');
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(['012', '021', '102', '120', '201', '210']);
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
  it('keeps the data order with shuffle: false', () => {
    for (const epoch of epochsOf(3, false)) expect(epoch).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });
  it('gives bit-identical parameters for the same seed', () => {
    const { fn } = leastSquares(40, 3, 1);
    const run = () => {
      const opt = new Adam([new Float32Array(3)], { lr: 0.05 });
      fit(opt, 40, fn, { epochs: 4, batchSize: 6, seed: 9 });
      const p = opt.params[0]!.slice();
      opt.dispose();
      return p;
    };
    expect(run()).toEqual(run());
  });
});

describe('gradient accumulation', () => {
  it('k micro-batches of B make the same steps as one batch of kB (incl. the last partial batch)', () => {
    const n = 110;
    const { fn, d } = leastSquares(n, 5, 2);
    const run = (batchSize: number, accumulate: number) => {
      const opt = new SGD([new Float32Array(d)], { lr: 0.1 });
      const losses: number[] = [];
      const examples: number[] = [];
      const r = fit(opt, n, fn, {
        epochs: 3, batchSize, accumulate, seed: 5, recordSteps: true,
        onStep: (s) => { examples.push(s.examples); losses.push(s.loss); },
      });
      const p = opt.params[0]!.slice();
      opt.dispose();
      return { p, r, losses, examples };
    };
    const big = run(32, 1);
    const acc = run(8, 4);
    // 110 = 3*32 + 14: four steps per epoch, the last one on 14 examples (micro-batches of 8 and 6)
    expect(big.examples).toEqual([32, 32, 32, 14, 32, 32, 32, 14, 32, 32, 32, 14]);
    expect(acc.examples).toEqual(big.examples);
    expect(acc.r.steps).toBe(12);
    expect(conformance([acc.p], [big.p]).ratio).toBeLessThanOrEqual(1);
    for (let i = 0; i < big.losses.length; i++) expect(Math.abs(acc.losses[i]! - big.losses[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(1, big.losses[i]!));
  });

  it('matches gradient descent on the union of the micro-batches, computed in float64', () => {
    const n = 37;
    const lr = 0.05;
    const { fn, grad64, d } = leastSquares(n, 4, 3);
    const seen: number[][] = [];
    const spy: LossAndGrad = (batch, params, grads) => {
      seen.push([...batch]);
      return fn(batch, params, grads);
    };
    const opt = new SGD([new Float32Array(d)], { lr });
    const stepsSeen: number[] = [];
    fit(opt, n, spy, { epochs: 2, batchSize: 5, accumulate: 3, seed: 11, onStep: (s) => { stepsSeen.push(s.examples); } });
    // 37 examples: 8 micro-batches (7 of 5, 1 of 2) -> steps of 3, 3, 2 micro-batches
    expect(stepsSeen).toEqual([15, 15, 7, 15, 15, 7]);
    // replay: each step is one gradient-descent step on the union of its micro-batches
    const w = new Float32Array(d);
    let k = 0;
    for (const size of stepsSeen) {
      const union: number[] = [];
      while (union.length < size) union.push(...seen[k++]!);
      const g = grad64(w, union);
      for (let j = 0; j < d; j++) w[j] = w[j]! - lr * g[j]!;
    }
    expect(conformance([opt.params[0]!], [w]).ratio).toBeLessThanOrEqual(1);
    opt.dispose();
  });
});

describe('schedule, callbacks and stopping', () => {
  it('assigns the scheduled lr to every param group before each step', () => {
    const opt = new SGD([{ params: [new Float32Array([1])] }, { params: [new Float32Array([2])], lr: 5 }], { lr: 1 });
    // loss (a^2 + b^2)/2, gradient (a, b)
    const quadratic: LossAndGrad = (_batch, params, grads) => {
      grads[0]![0] = params[0]![0]!;
      grads[1]![0] = params[1]![0]!;
      return (params[0]![0]! ** 2 + params[1]![0]! ** 2) / 2;
    };
    const at: { step: number; epoch: number }[] = [];
    const lrs: number[][] = [];
    fit(opt, 20, quadratic, {
      epochs: 2, batchSize: 10,
      schedule: (s) => { at.push(s); return 0.1 / (1 + s.step); },
      onStep: (s) => { lrs.push([s.lr, opt.paramGroups[1]!.lr]); },
    });
    expect(at).toEqual([{ step: 0, epoch: 0 }, { step: 1, epoch: 0 }, { step: 2, epoch: 1 }, { step: 3, epoch: 1 }]);
    expect(lrs).toEqual([[0.1, 0.1], [0.05, 0.05], [0.1 / 3, 0.1 / 3], [0.025, 0.025]]);
    // both groups stepped with the scheduled rates: a *= (1 - lr) per step, in float32
    let a = 1;
    let b = 2;
    for (const [lr] of lrs) {
      a = Math.fround(a - Math.fround(lr!) * a);
      b = Math.fround(b - Math.fround(lr!) * b);
    }
    expect(opt.params[0]![0]).toBeCloseTo(a, 6);
    expect(opt.params[1]![0]).toBeCloseTo(b, 6);
    opt.dispose();
  });

  it('calls onStep per step and onEpoch per epoch with the epoch loss; false stops', () => {
    const { fn } = leastSquares(30, 2, 5);
    const opt = new Momentum([new Float32Array(2)], { lr: 0.1 });
    const steps: number[] = [];
    const epochs: { epoch: number; steps: number; loss: number }[] = [];
    const r = fit(opt, 30, fn, {
      epochs: 10, batchSize: 8, recordSteps: true,
      onStep: (s) => { steps.push(s.step); },
      onEpoch: (e) => { epochs.push({ epoch: e.epoch, steps: e.steps, loss: e.loss }); return e.epoch < 3; },
    });
    expect(r.stopReason).toBe('callback');
    expect(r.epochs).toBe(3);
    expect(steps).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(epochs.map((e) => [e.epoch, e.steps])).toEqual([[1, 4], [2, 8], [3, 12]]);
    // the epoch loss is the batch losses weighted by batch size (8, 8, 8, 6)
    const s = r.stepLoss;
    expect(epochs[0]!.loss).toBeCloseTo((8 * s[0]! + 8 * s[1]! + 8 * s[2]! + 6 * s[3]!) / 30, 12);
    expect(r.epochLoss).toEqual(epochs.map((e) => e.loss));
    opt.dispose();
  });

  it('stops at the target loss, measured by evaluate', () => {
    const { fn } = leastSquares(64, 3, 6);
    const all = new Uint32Array(64).map((_, i) => i);
    const opt = new Adam([new Float32Array(3)], { lr: 0.1 });
    const scratch = [new Float32Array(3)];
    const evaluate = (p: readonly Float32Array[]) => fn(all, p, scratch);
    const start = evaluate(opt.params);
    const target = start * 0.8;
    const seen: (number | undefined)[] = [];
    const r = fit(opt, 64, fn, { epochs: 100, batchSize: 16, evaluate, targetLoss: target, onEpoch: (e) => { seen.push(e.evalLoss); } });
    expect(r.stopReason).toBe('target');
    expect(seen).toEqual(r.evalLoss); // onEpoch saw every epoch, the last one too
    expect(r.reached!.epoch).toBe(r.epochs);
    expect(r.reached!.step).toBe(4 * r.epochs);
    expect(r.evalLoss.at(-1)!).toBeLessThanOrEqual(target);
    expect(r.evalLoss.slice(0, -1).every((l) => l > target)).toBe(true);
    opt.dispose();
  });

  it('records the target without stopping when stopAtTarget is false', () => {
    const { fn } = leastSquares(64, 3, 6);
    const opt = new Adam([new Float32Array(3)], { lr: 0.1 });
    const r = fit(opt, 64, fn, { epochs: 6, batchSize: 16, targetLoss: 1e9, stopAtTarget: false });
    expect(r.reached).toEqual({ epoch: 1, step: 4, loss: r.epochLoss[0] });
    expect(r.epochs).toBe(6);
    expect(r.stopReason).toBe('epochs');
    opt.dispose();
  });

  it('stops without stepping when the loss is not finite', () => {
    const w = new Float32Array([1, 2]);
    const opt = new SGD([w], { lr: 0.1 });
    let calls = 0;
    const r = fit(opt, 10, (_b, _p, grads) => {
      calls++;
      grads[0]!.fill(1);
      return calls === 3 ? NaN : 1;
    }, { epochs: 5, batchSize: 2 });
    expect(r.stopReason).toBe('diverged');
    expect(r.diverged).toEqual({ epoch: 1, step: 2 });
    expect(r.steps).toBe(2);
    expect([...opt.params[0]!]).toEqual([Math.fround(Math.fround(1 - 0.1) - 0.1), Math.fround(Math.fround(2 - 0.1) - 0.1)]);
    opt.dispose();
  });

  it('runs epoch by epoch with Trainer', () => {
    const { fn } = leastSquares(12, 2, 7);
    const opt = new RMSprop([new Float32Array(2)], { lr: 0.01 });
    const t = new Trainer(opt, { n: 12 }, fn, { epochs: 3, batchSize: 4 });
    expect(t.stepsPerEpoch).toBe(3);
    expect(t.epoch()!.epoch).toBe(1);
    expect(t.done).toBe(false);
    expect(t.epoch()!.steps).toBe(6);
    expect(t.epoch()!.epoch).toBe(3);
    expect(t.done).toBe(true);
    expect(t.epoch()).toBeUndefined();
    expect(t.result.steps).toBe(9);
    expect(t.result.optimizerMs).toBeLessThanOrEqual(t.result.wallMs);
    opt.dispose();
  });
});

describe('every optimizer class', () => {
  // every registered optimizer at its demo learning rate (at least 0.05: 48 steps
  // of Lion's sign update at 1e-3 cannot cross this loss), plus SGD's momentum form
  const makers: [string, (p: Float32Array[]) => AnyOpt][] = [
    // Adafactor's step is relative, max(eps2, RMS(p))*rho: from p = 0 it is eps2*rho, so eps2 = 0.1 here to get going in 48 steps
    ...everyOptimizer.map((c): [string, (p: Float32Array[]) => AnyOpt] => [c.name, (p) => c.make(p, { lr: Math.max(0.05, c.entry.demo.lr), ...(c.name === 'Adafactor' ? { eps: [null, 0.1] } : {}) })]),
    ['SGD momentum', (p) => new SGD(p, { lr: 0.05, momentum: 0.9 })],
  ];
  it.each(makers)('%s lowers a least-squares loss', (_name, make) => {
    const { fn } = leastSquares(60, 4, 8);
    const opt = make([new Float32Array(4)]);
    const all = new Uint32Array(60).map((_, i) => i);
    const scratch = [new Float32Array(4)];
    const before = fn(all, opt.params, scratch);
    const r = fit(opt, 60, fn, { epochs: 8, batchSize: 10, seed: 1, evaluate: (p) => fn(all, p, scratch) });
    expect(r.steps).toBe(48);
    expect(r.evalLoss.at(-1)!).toBeLessThan(0.9 * before);
    opt.dispose();
  });
});

describe('argument checks', () => {
  const lossFn: LossAndGrad = () => 0;
  it.each([
    [{ epochs: 0 }, /options\.epochs: expected an integer >= 1, got 0/],
    [{ epochs: 1.5 }, /options\.epochs: expected an integer >= 1, got 1\.5/],
    [{ batchSize: 0 }, /options\.batchSize: expected an integer >= 1, got 0/],
    [{ accumulate: '2' }, /options\.accumulate: expected an integer >= 1, got "2"/],
    [{ shuffle: 1 }, /options\.shuffle: expected true or false, got 1/],
    [{ onStep: 'x' }, /options\.onStep: expected a function/],
    [{ targetLoss: NaN }, /options\.targetLoss: expected a number, got NaN/],
    [{ batchsize: 3 }, /unknown option "batchsize" \(valid options: epochs, batchSize/],
  ])('options %j', (options, message) => {
    const opt = new SGD([new Float32Array(2)]);
    expect(() => fit(opt, 10, lossFn, options as never)).toThrow(message);
    opt.dispose();
  });
  it('checks opt, data and lossAndGrad', () => {
    const opt = new SGD([new Float32Array(2)]);
    expect(() => fit({} as AnyOpt, 10, lossFn)).toThrow(/fit: opt must be an optimizer \(SGD, Adam, ..., LBFGS\), got an object/);
    expect(() => fit(opt, 0, lossFn)).toThrow(/fit: data must be the number of examples .* got 0/);
    expect(() => fit(opt, { n: -1 }, lossFn)).toThrow(/got -1 as data\.n/);
    expect(() => fit(opt, 10, 'f' as never)).toThrow(/fit: lossAndGrad must be a function/);
    opt.dispose();
    expect(() => fit(opt, 10, lossFn)).toThrow(/fit: opt was disposed/);
  });
});
