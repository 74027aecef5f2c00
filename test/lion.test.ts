// Lion against the formula of its paper, evaluated in float64 and written
// out here independently of the library: Chen et al. 2023, "Symbolic
// Discovery of Optimization Algorithms", arXiv:2302.06675, Algorithm 2
// (Lion with decoupled weight decay):
//
//   c_t     = b1*m_{t-1} + (1 - b1)*g_t
//   theta_t = theta_{t-1} - eta_t*(sign(c_t) + lambda*theta_{t-1})
//   m_t     = b2*m_{t-1} + (1 - b2)*g_t
//
// The update is a sign, so two correct implementations can differ by a whole
// step of lr where c_t is within rounding of 0. The float64 formula is
// therefore applied step by step to the optimizer's own float32 parameters and
// moment (read back through stateDict), and an element whose float64 c_t lies
// within 1e-6 of 0, relative to its two terms, may take either sign; such
// elements are counted and must stay rare.
import { beforeAll, describe, expect, it } from 'vitest';
import { Lion, ready } from '../src/index.js';
import { randn, rng } from './helpers.js';

interface Config {
  name: string;
  options: { lr?: number; betas?: [number, number]; weightDecay?: number };
  scale?: number;
  sparse?: boolean;
  /** lr per step, when it changes */
  lrs?: (t: number) => number | undefined;
}

const PAPER_DEFAULTS = { lr: 1e-4, betas: [0.9, 0.99] as [number, number], weightDecay: 0 };

const configs: Config[] = [
  { name: 'defaults', options: {} },
  { name: 'lr=3e-3 weightDecay=0.1', options: { lr: 3e-3, weightDecay: 0.1 } },
  { name: 'betas=(0.95,0.98) scale=1e-3', options: { lr: 1e-3, betas: [0.95, 0.98] }, scale: 1e-3 },
  { name: 'betas=(0,0.5) scale=1e3', options: { lr: 1e-2, betas: [0, 0.5], weightDecay: 0.01 }, scale: 1e3 },
  { name: 'sparse gradients', options: { lr: 1e-3, weightDecay: 1 }, sparse: true },
  { name: 'lr schedule', options: { lr: 1e-2, weightDecay: 0.5 }, lrs: (t) => (t % 6 === 0 ? 1e-2 * 0.5 ** (t / 6) : undefined) },
];

const SIZES = [1, 3, 4, 5, 17, 64, 1000];
const STEPS = 25;

describe.each(['simd', 'scalar'] as const)('Lion (%s build) equals the paper formula in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(configs.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const o = { ...PAPER_DEFAULTS, ...c.options };
    const [b1, b2] = o.betas;
    const next = rng(SIZES.length * 1000 + configs.indexOf(c));
    const params = SIZES.map((n) => randn(next, n));
    const opt = new Lion(params, c.options);
    let lr = o.lr;
    let ambiguous = 0;
    let total = 0;
    for (let t = 1; t <= STEPS; t++) {
      const newLr = c.lrs?.(t);
      if (newLr !== undefined) opt.paramGroups[0]!.lr = lr = newLr;
      const grads = SIZES.map((n) => {
        const g = randn(next, n, c.scale ?? 1);
        if (c.sparse) for (let i = 0; i < n; i++) if (next() < 0.8) g[i] = 0;
        return g;
      });
      const before = opt.params.map((p) => Float64Array.from(p));
      const sd = opt.stateDict();
      const moments = SIZES.map((n, k) => Float64Array.from((sd.state[k]?.expAvg as Float32Array | undefined) ?? new Float32Array(n)));
      opt.step(grads);
      const after = opt.stateDict();
      SIZES.forEach((n, k) => {
        const theta = before[k]!;
        const m = moments[k]!;
        const g = grads[k]!;
        const got = opt.params[k]!;
        const gotM = after.state[k]!.expAvg as Float32Array;
        for (let i = 0; i < n; i++) {
          total++;
          const c1 = b1 * m[i]!;
          const c2 = (1 - b1) * g[i]!;
          const ct = c1 + c2;
          const sign = ct > 0 ? 1 : ct < 0 ? -1 : 0;
          const want = theta[i]! - lr * (sign + o.weightDecay * theta[i]!);
          const wantM = b2 * m[i]! + (1 - b2) * g[i]!;
          const tol = 1e-5 * Math.max(1, Math.abs(want));
          const tolM = 1e-5 * Math.max(1, Math.abs(wantM));
          if (!(Math.abs(gotM[i]! - wantM) <= tolM)) expect.fail(`step ${t} tensor ${k}[${i}]: m ${gotM[i]}, formula ${wantM}`);
          if (Math.abs(got[i]! - want) <= tol) continue;
          const nearZero = Math.abs(ct) <= 1e-6 * (Math.abs(c1) + Math.abs(c2));
          const other = [-1, 0, 1].some((s) => Math.abs(got[i]! - (theta[i]! - lr * (s + o.weightDecay * theta[i]!))) <= tol);
          if (nearZero && other) {
            ambiguous++;
            continue;
          }
          expect.fail(`step ${t} tensor ${k}[${i}]: got ${got[i]}, formula ${want} (c = ${ct}, lr ${lr})`);
        }
      });
    }
    opt.dispose();
    expect(ambiguous).toBeLessThanOrEqual(total * 1e-4);
  });

  it('moves every element by exactly lr on the first step (sign of (1 - b1)*g), and not where g = 0', () => {
    const p = new Float32Array([0.5, -0.25, 3, 0, 1, 2, -7, 0.125, 9]);
    const g = new Float32Array([1e-30, -1e3, 0, 2, -0.5, 4, 1, -1, 0]);
    const opt = new Lion([p.slice()], { lr: 0.125 });
    opt.step([g]);
    const want = Array.from(p, (x, i) => x - 0.125 * Math.sign(g[i]!));
    expect(Array.from(opt.params[0]!)).toEqual(want);
    opt.dispose();
  });

  it('a NaN gradient reaches the parameters (checkFinite: false), as sign(NaN) is NaN', () => {
    const opt = new Lion([new Float32Array(6).fill(1)], { lr: 0.1, checkFinite: false });
    opt.step([new Float32Array([NaN, 1, 1, 1, 1, NaN])]);
    const p = opt.params[0]!;
    expect(p[0]).toBeNaN();
    expect(p[5]).toBeNaN();
    expect(p[1]).toBeCloseTo(0.9, 6);
    opt.dispose();
  });
});
