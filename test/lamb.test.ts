// LAMB against the formula of its paper, evaluated in float64 and written out
// here independently of the library: You et al. 2020, "Large Batch
// Optimization for Deep Learning: Training BERT in 76 minutes",
// arXiv:1904.00962, Algorithm 2, per layer (here: per tensor), with the bias
// correction and the identity as scaling function phi:
//
//   m_t = b1*m + (1 - b1)*g,  v_t = b2*v + (1 - b2)*g^2
//   r_t = (m_t/(1 - b1^t)) / (sqrt(v_t/(1 - b2^t)) + eps)
//   x  <- x - lr * ||x|| / ||r_t + lambda*x|| * (r_t + lambda*x)
//
// with the trust ratio taken as 1 when ||x|| or ||r_t + lambda*x|| is 0.
// Also: the two Lamb kernels give the same bits in both builds, norms included.
import { beforeAll, describe, expect, it } from 'vitest';
import { Lamb, ready } from '../src/index.js';
import type { Kernels } from '../src/wasm.js';
import { conformance, randn, rng, kernelInstance } from './helpers.js';

interface LambHyper {
  lr: number;
  b1: number;
  b2: number;
  eps: number;
  wd: number;
}

/** One LAMB step on one layer, in float64, in place. */
function lamb64(x: Float64Array, g: Float32Array, m: Float64Array, v: Float64Array, t: number, h: LambHyper): void {
  const n = x.length;
  const upd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    m[i] = h.b1 * m[i]! + (1 - h.b1) * g[i]!;
    v[i] = h.b2 * v[i]! + (1 - h.b2) * g[i]! * g[i]!;
    const mHat = m[i]! / (1 - h.b1 ** t);
    const vHat = v[i]! / (1 - h.b2 ** t);
    upd[i] = mHat / (Math.sqrt(vHat) + h.eps) + h.wd * x[i]!;
  }
  const xNorm = Math.hypot(...x);
  const uNorm = Math.hypot(...upd);
  const trust = xNorm > 0 && uNorm > 0 ? xNorm / uNorm : 1;
  for (let i = 0; i < n; i++) x[i] = x[i]! - h.lr * trust * upd[i]!;
}

const DEFAULTS: LambHyper = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-6, wd: 0 };
const SIZES = [1, 3, 4, 5, 17, 64, 1000];
const STEPS = 25;

interface Config {
  name: string;
  /** options per group (one group unless several), and the tensors of each group */
  groups: { options: Partial<{ lr: number; betas: [number, number]; eps: number; weightDecay: number }>; tensors: number[] }[];
  scale?: number;
  sparse?: boolean;
  lrs?: (t: number, gi: number) => number | undefined;
}

const all = SIZES.map((_, i) => i);
const configs: Config[] = [
  { name: 'defaults', groups: [{ options: {}, tensors: all }] },
  { name: 'lr=0.01 weightDecay=0.01', groups: [{ options: { lr: 0.01, weightDecay: 0.01 }, tensors: all }] },
  { name: 'betas=(0.8,0.95) eps=1e-8 scale=1e-3', groups: [{ options: { lr: 0.01, betas: [0.8, 0.95], eps: 1e-8 }, tensors: all }], scale: 1e-3 },
  { name: 'weightDecay=0.1 scale=1e3', groups: [{ options: { lr: 0.02, weightDecay: 0.1 }, tensors: all }], scale: 1e3 },
  { name: 'sparse gradients', groups: [{ options: { lr: 0.01, weightDecay: 0.05 }, tensors: all }], sparse: true },
  {
    name: '2 param groups + lr schedule',
    groups: [
      { options: { lr: 0.01 }, tensors: [6, 0, 2] },
      { options: { lr: 0.005, weightDecay: 0.1, betas: [0.85, 0.99] }, tensors: [1, 3, 4, 5] },
    ],
    lrs: (t, gi) => (t % 7 === 0 ? (gi ? 0.005 : 0.01) * 0.6 ** (t / 7) : undefined),
  },
];

describe.each(['simd', 'scalar'] as const)('Lamb (%s build) equals the paper formula in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(configs.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const next = rng(4242 + configs.indexOf(c));
    const init = SIZES.map((n) => randn(next, n));
    const opt = new Lamb(c.groups.map((g) => ({ params: g.tensors.map((i) => init[i]!.slice()), ...g.options })));
    const order = c.groups.flatMap((g) => g.tensors);
    const hyper = c.groups.map((g) => ({
      ...DEFAULTS,
      ...(g.options.lr !== undefined ? { lr: g.options.lr } : {}),
      ...(g.options.betas ? { b1: g.options.betas[0], b2: g.options.betas[1] } : {}),
      ...(g.options.eps !== undefined ? { eps: g.options.eps } : {}),
      ...(g.options.weightDecay !== undefined ? { wd: g.options.weightDecay } : {}),
    }));
    const x = init.map((p) => Float64Array.from(p));
    const m = SIZES.map((n) => new Float64Array(n));
    const v = SIZES.map((n) => new Float64Array(n));
    for (let t = 1; t <= STEPS; t++) {
      c.groups.forEach((_, gi) => {
        const lr = c.lrs?.(t, gi);
        if (lr !== undefined) opt.paramGroups[gi]!.lr = hyper[gi]!.lr = lr;
      });
      const grads = SIZES.map((n) => {
        const g = randn(next, n, c.scale ?? 1);
        if (c.sparse) for (let i = 0; i < n; i++) if (next() < 0.8) g[i] = 0;
        return g;
      });
      opt.step(order.map((i) => grads[i]!));
      c.groups.forEach((g, gi) => g.tensors.forEach((i) => lamb64(x[i]!, grads[i]!, m[i]!, v[i]!, t, hyper[gi]!)));
      const { ratio, where } = conformance(
        [...opt.params],
        order.map((i) => Float32Array.from(x[i]!)),
      );
      if (!(ratio <= 1)) expect.fail(`step ${t}: ${where}`);
    }
    opt.dispose();
  });

  it('takes the trust ratio per tensor: scaling one tensor does not change how far the others move', () => {
    const g = [new Float32Array([1, -2, 3]), new Float32Array([0.5, 0.5])];
    const a = new Lamb([new Float32Array([1, 1, 1]), new Float32Array([2, -1])], { lr: 0.1 });
    const b = new Lamb([new Float32Array([1, 1, 1]), new Float32Array([200, -100])], { lr: 0.1 });
    a.step(g);
    b.step(g);
    expect(Array.from(b.params[0]!)).toEqual(Array.from(a.params[0]!));
    // the second tensor moves 100x as far in b: its ||p|| is 100x larger, ||u|| the same
    const da = [2 - a.params[1]![0]!, -1 - a.params[1]![1]!];
    const db = [200 - b.params[1]![0]!, -100 - b.params[1]![1]!];
    expect(db[0]! / da[0]!).toBeCloseTo(100, 3);
    expect(db[1]! / da[1]!).toBeCloseTo(100, 3);
    a.dispose();
    b.dispose();
  });

  it('uses a trust ratio of 1 when ||p|| = 0 or ||u|| = 0', () => {
    // ||p|| = 0: the first step is lr * m_hat/(sqrt(v_hat) + eps) = lr * g/(|g| + eps), about lr*sign(g)
    const zero = new Lamb([new Float32Array(5)], { lr: 0.1 });
    zero.step([new Float32Array([1, -2, 0.5, 4, -8])]);
    for (const [i, s] of [1, -1, 1, 1, -1].entries()) expect(zero.params[0]![i]).toBeCloseTo(-0.1 * s, 5);
    // ||u|| = 0: zero gradient and no weight decay: nothing moves, nothing becomes NaN
    const still = new Lamb([new Float32Array([1, 2, 3])], { lr: 0.1 });
    still.step([new Float32Array(3)]);
    expect(Array.from(still.params[0]!)).toEqual([1, 2, 3]);
    zero.dispose();
    still.dispose();
  });
});

describe('Lamb kernels', () => {

  function run(build: 'simd' | 'scalar', n: number, misalign: number, seed: number) {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const k = kernelInstance(build, memory);
    const next = rng(seed);
    const stride = 4 * (n + 8);
    const [p, g, m, v] = [0, 1, 2, 3].map((i) => 64 + misalign + i * stride) as [number, number, number, number];
    const view = (a: number) => new Float32Array(memory.buffer, a, n);
    view(p).set(randn(next, n));
    view(g).set(randn(next, n));
    view(m).set(randn(next, n, 0.1));
    view(v).set(randn(next, n, 0.1).map((x) => x * x + 1e-4));
    k.lambMoments(p, g, m, v, n, 1.9, 3.1, 0.9, 0.999, 1e-6, 0.01, 1);
    const sums = [k.lambParamSumSq(), k.lambUpdateSumSq()];
    const moments = [view(m).slice(), view(v).slice()];
    k.lambApply(p, m, v, n, 1e-3 * Math.sqrt(sums[0]! / sums[1]!), 1.9, 3.1, 1e-6, 0.01);
    return { sums, arrays: [...moments, view(p).slice()] };
  }

  it('SIMD and scalar builds give the same bits, the squared norms included', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1000, 1023]) {
      for (const misalign of [0, 4]) {
        const a = run('simd', n, misalign, n * 17 + misalign);
        const b = run('scalar', n, misalign, n * 17 + misalign);
        expect(a.sums, `n=${n}`).toEqual(b.sums);
        a.arrays.forEach((arr, t) => {
          for (let i = 0; i < n; i++) {
            if (!Object.is(arr[i], b.arrays[t]![i])) expect.fail(`n=${n} misalign=${misalign} array ${t}[${i}]: simd ${arr[i]} != scalar ${b.arrays[t]![i]}`);
          }
        });
      }
    }
  });

  it('sums squares in double: the norms match a float64 sum to 1e-12 (a float32 sum would be off by ~1e-5)', () => {
    const n = 1000;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = kernelInstance('simd', memory);
    const p = new Float32Array(memory.buffer, 64, n);
    p.set(randn(rng(5), n, 1e3));
    // g = m = 0, v = 0, wd = 1: u = p exactly
    k.lambMoments(64, 64 + 4 * n, 64 + 8 * n, 64 + 12 * n, n, 1, 1, 0.9, 0.999, 1e-6, 1, 1);
    let exact = 0;
    for (const x of p) exact += x * x;
    expect(Math.abs(k.lambParamSumSq() - exact) / exact).toBeLessThan(1e-12);
    expect(k.lambUpdateSumSq()).toBe(k.lambParamSumSq());
  });
});
