// Momentum (moving-average form) against its formula evaluated in float64,
// written out here independently of the library.
import { beforeAll, describe, expect, it } from 'vitest';
import { Momentum, SGD, ready } from '../src/index.js';
import { conformance, randn, rng } from './helpers.js';

/** v = beta*v + (1-beta)*d, v0 = 0, p = p - lr*v, d = (maximize ? -g : g) + wd*p, all in float64. */
function momentum64(p0: Float32Array, grads: Float32Array[], o: { lr: number[]; beta: number; wd: number; maximize: boolean }): Float64Array[] {
  const p = Float64Array.from(p0);
  const v = new Float64Array(p.length);
  const out: Float64Array[] = [];
  grads.forEach((g, t) => {
    for (let i = 0; i < p.length; i++) {
      const d = (o.maximize ? -g[i]! : g[i]!) + o.wd * p[i]!;
      v[i] = o.beta * v[i]! + (1 - o.beta) * d;
      p[i] = p[i]! - o.lr[t]! * v[i]!;
    }
    out.push(p.slice());
  });
  return out;
}

describe.each(['simd', 'scalar'] as const)('Momentum (%s build) equals its float64 formula', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  const configs = [
    { beta: 0.9, wd: 0, maximize: false, lr: 1e-2 },
    { beta: 0.5, wd: 0.05, maximize: false, lr: 0.1 },
    { beta: 0.99, wd: 0, maximize: true, lr: 0.05 },
    { beta: 0, wd: 0.01, maximize: false, lr: 0.03 },
  ];
  it.each(configs)('beta=$beta wd=$wd maximize=$maximize', (c) => {
    const next = rng(7);
    for (const n of [1, 3, 4, 5, 17, 64, 1000]) {
      const p0 = randn(next, n);
      const steps = 40;
      const grads = Array.from({ length: steps }, () => randn(next, n));
      const lrs = grads.map((_, t) => (t < 20 ? c.lr : c.lr / 10));
      const w = p0.slice();
      const opt = new Momentum([w], { lr: c.lr, beta: c.beta, weightDecay: c.wd, maximize: c.maximize });
      const want = momentum64(p0, grads, { lr: lrs, beta: c.beta, wd: c.wd, maximize: c.maximize });
      grads.forEach((g, t) => {
        opt.paramGroups[0]!.lr = lrs[t]!;
        opt.step([g]);
        const { ratio, where } = conformance([w], [Float32Array.from(want[t]!)]);
        if (!(ratio <= 1)) expect.fail(`n=${n} step ${t + 1}: ${where}`);
      });
      opt.dispose();
    }
  });

  it('starts v at zero: the first step moves by lr*(1-beta)*g, unlike SGD with dampening', () => {
    const g = new Float32Array([2, -4]);
    const a = new Float32Array([1, 1]);
    const b = new Float32Array([1, 1]);
    const m = new Momentum([a], { lr: 0.1, beta: 0.9 });
    const s = new SGD([b], { lr: 0.1, momentum: 0.9, dampening: 0.9 });
    m.step([g]);
    s.step([g]);
    expect(Array.from(a)).toEqual([Math.fround(1 - Math.fround(0.1 * Math.fround(0.1 * 2))), Math.fround(1 + Math.fround(0.1 * Math.fround(0.1 * 4)))].map((x) => expect.closeTo(x, 6)));
    expect(Array.from(b)).toEqual([expect.closeTo(0.8, 6), expect.closeTo(1.4, 6)]);
    m.dispose();
    s.dispose();
  });
});
