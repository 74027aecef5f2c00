// State of the eight optimizers of the family: state dicts named as PyTorch's,
// bit-identical resumption (running scalars included) after hyperparameter
// changes, and the subnormal flush / NaN handling of their kernels.
import { beforeAll, describe, expect, it } from 'vitest';
import { ASGD, Adadelta, Adamax, Lamb, Lion, NAdam, RAdam, Rprop, ready, type Optimizer } from '../src/index.js';
import type { Kernels } from '../src/wasm.js';
import { bytesOf, randn, rng, kernelInstance } from './helpers.js';

type AnyOpt = Optimizer<object> & { paramGroups: readonly Record<string, unknown>[] };
type Make = (params: Float32Array[]) => AnyOpt;

/** Each optimizer, its state dict keys in PyTorch's order, and a hyperparameter change to make mid-run. */
const makers: [string, Make, string[], Record<string, unknown>][] = [
  ['Adadelta', (p) => new Adadelta(p, { weightDecay: 0.01 }) as never, ['step', 'squareAvg', 'accDelta'], { rho: 0.5 }],
  ['Adamax', (p) => new Adamax(p, { lr: 0.05 }) as never, ['step', 'expAvg', 'expInf'], { betas: [0.8, 0.99] }],
  ['NAdam', (p) => new NAdam(p, { lr: 0.05, decoupledWeightDecay: true, weightDecay: 0.1 }) as never, ['step', 'muProduct', 'expAvg', 'expAvgSq'], { betas: [0.7, 0.999] }],
  ['RAdam', (p) => new RAdam(p, { lr: 0.05, maximize: true }) as never, ['step', 'expAvg', 'expAvgSq'], { betas: [0.9, 0.9] }],
  ['Rprop', (p) => new Rprop(p, { lr: 0.05 }) as never, ['step', 'prev', 'stepSize'], { etas: [0.3, 1.4] }],
  ['ASGD', (p) => new ASGD(p, { lr: 0.05, t0: 3 }) as never, ['step', 'eta', 'mu', 'ax'], { lambd: 0.1, lr: 0.01 }],
  ['Lion', (p) => new Lion(p, { lr: 0.01, weightDecay: 0.1 }) as never, ['step', 'expAvg'], { betas: [0.5, 0.9] }],
  ['Lamb', (p) => new Lamb(p, { lr: 0.01, weightDecay: 0.01 }) as never, ['step', 'expAvg', 'expAvgSq'], { eps: 1e-3 }],
];

const SIZES = [1, 3, 5, 17, 64, 1000];

describe('state dicts of the family', () => {
  beforeAll(() => ready());

  it.each(makers)('%s: PyTorch-shaped, and a mid-run round trip resumes with identical bytes', (_name, make, keys, change) => {
    const next = rng(8);
    const init = SIZES.map((n) => randn(next, n));
    const grads = Array.from({ length: 14 }, () => SIZES.map((n) => randn(next, n)));
    const a = make(init.map((x) => x.slice()));
    expect(a.stateDict().state.every((s) => s === null)).toBe(true);
    for (let s = 0; s < 6; s++) a.step(grads[s]!);
    Object.assign(a.paramGroups[0]!, change);
    a.step(grads[6]!);
    const sd = structuredClone(a.stateDict());
    sd.state.forEach((s) => expect(Object.keys(s!)).toEqual(keys));
    const b = make(a.params.map((x) => x.slice()));
    b.loadStateDict(sd);
    expect(b.stepCount).toBe(7);
    expect(b.paramGroups[0]).toEqual(a.paramGroups[0]);
    for (let s = 7; s < 14; s++) {
      a.step(grads[s]!);
      b.step(grads[s]!);
    }
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    expect(b.stateDict()).toEqual(a.stateDict());
    // loading a fresh state dict restarts the running state, as a new optimizer would
    const fresh = make(init.map((x) => x.slice()));
    b.loadStateDict(fresh.stateDict());
    b.params.forEach((p, i) => p.set(init[i]!));
    for (let s = 0; s < 3; s++) {
      b.step(grads[s]!);
      fresh.step(grads[s]!);
    }
    expect(bytesOf(b.params)).toEqual(bytesOf(fresh.params));
    expect(b.stateDict()).toEqual(fresh.stateDict());
    for (const o of [a, b, fresh]) o.dispose();
  });

  it('groups keep their own running scalars', () => {
    const opt = new NAdam([{ params: [new Float32Array(3)] }, { params: [new Float32Array(2)], betas: [0.5, 0.9] }], { lr: 0.1 });
    opt.step([new Float32Array([1, 2, 3]), new Float32Array([1, 1])]);
    const sd = opt.stateDict();
    expect(sd.state[0]!.muProduct).toBeCloseTo(0.9 * (1 - 0.5 * 0.96 ** 0.004), 15);
    expect(sd.state[1]!.muProduct).toBeCloseTo(0.5 * (1 - 0.5 * 0.96 ** 0.004), 15);
  });
});

describe('kernels of the family flush subnormal state to zero and keep NaN', () => {

  const n = 9; // two SIMD blocks and a tail element
  const [P, G, A, B] = [64, 256, 512, 768];
  // One call with zero gradients: state at 1e-36 decays by 0.01 to 1e-38, below FLT_MIN (1.18e-38).
  const calls: [string, (k: Kernels, f: (a: number) => Float32Array) => void, number[]][] = [
    ['adadelta', (k) => k.adadelta(P, G, A, B, n, 1, 0.01, 1e-6, 0, 1), [A, B]],
    ['adamax', (k) => k.adamax(P, G, A, B, n, 1e-3, 0.01, 0.01, 0, 0, 1), [A, B]],
    ['nadam', (k) => k.nadam(P, G, A, B, n, 1e-3, 1e-3, 1, 0.01, 0.01, 1e-8, 0, 1, 1), [A, B]],
    ['radam', (k) => k.radam(P, G, A, B, n, 1e-3, 0.01, 0.01, 1e-8, 0, 1, 1), [A, B]],
    ['radamUnrectified', (k) => k.radamUnrectified(P, G, A, B, n, 1e-3, 0.01, 0.01, 0, 1, 1), [A, B]],
    // Lion is not here: it never flushes (test/kernel-defects.test.ts)
    ['lambMoments', (k) => k.lambMoments(P, G, A, B, n, 1, 1, 0.01, 0.01, 1e-6, 0, 1), [A, B]],
    [
      'rprop',
      (k, f) => {
        // prev = -1 against g = +1: a sign change, so the step sizes shrink by etaminus = 0.01 (stepSizes min 0)
        f(A).fill(-1);
        f(G).fill(1);
        k.rprop(P, G, A, B, n, 0.01, 1.2, 0, 50, 1);
      },
      [B],
    ],
  ];

  it.each(['simd', 'scalar'] as const)('%s build', (build) => {
    for (const [name, call, decaying] of calls) {
      const memory = new WebAssembly.Memory({ initial: 1 });
      const k = kernelInstance(build, memory);
      const f = (a: number) => new Float32Array(memory.buffer, a, n);
      f(P).fill(1);
      f(G).fill(0);
      for (const a of decaying) {
        f(a).fill(1e-36);
        f(a)[3] = NaN;
        f(a)[n - 1] = NaN;
      }
      call(k, f);
      for (const a of decaying) {
        const v = f(a);
        for (let i = 0; i < n; i++) {
          if (i === 3 || i === n - 1) expect(v[i], `${name} [${i}]`).toBeNaN();
          else expect(v[i], `${name} [${i}]`).toBe(0);
        }
      }
    }
  });
});
