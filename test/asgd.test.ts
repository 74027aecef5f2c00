// ASGD's running scalars and averaged parameters against the formulas of
// PyTorch's ASGD, evaluated in float64 here:
//   d = (maximize ? -g : g) + wd*p;  p = p*(1 - lambd*eta) - eta*d
//   ax = p if mu = 1, else ax + (p - ax)*mu
//   then eta = lr/(1 + lambd*lr*t)^alpha and mu = 1/max(1, t - t0), for the next step;
// eta starts at the lr of the first step and mu at 1.
import { beforeAll, describe, expect, it } from 'vitest';
import { ASGD, ready } from '../src/index.js';
import { conformance, randn, rng, snapshot } from './helpers.js';

describe.each(['simd', 'scalar'] as const)('ASGD (%s build)', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it('averages from step t0 + 2 on, with eta and mu carried from the previous step, through lr changes', () => {
    const next = rng(99);
    const sizes = [1, 5, 64, 1000];
    const init = sizes.map((n) => randn(next, n));
    const o = { lr: 0.05, lambd: 0.02, alpha: 0.75, t0: 3.5, weightDecay: 0.01 };
    const opt = new ASGD(init.map((p) => p.slice()), o);
    const x = init.map((p) => Float64Array.from(p));
    const ax = sizes.map((n) => new Float64Array(n));
    let lr = 0.08; // set before the first step: eta starts there
    opt.paramGroups[0]!.lr = lr;
    let eta = lr;
    let mu = 1;
    for (let t = 1; t <= 20; t++) {
      if (t === 9) opt.paramGroups[0]!.lr = lr = 0.02; // shows in eta from step 10
      const grads = sizes.map((n) => randn(next, n));
      opt.step(grads);
      sizes.forEach((n, k) => {
        for (let i = 0; i < n; i++) {
          const d = grads[k]![i]! + o.weightDecay * x[k]![i]!;
          x[k]![i] = x[k]![i]! * (1 - o.lambd * eta) - eta * d;
          ax[k]![i] = mu === 1 ? x[k]![i]! : ax[k]![i]! + (x[k]![i]! - ax[k]![i]!) * mu;
        }
      });
      eta = lr / (1 + o.lambd * lr * t) ** o.alpha;
      mu = 1 / Math.max(1, t - o.t0);
      const sd = opt.stateDict();
      const p = conformance([...opt.params], x.map((a) => Float32Array.from(a)));
      const a = conformance(sd.state.map((s) => s!.ax as Float32Array), ax.map((v) => Float32Array.from(v)));
      if (!(p.ratio <= 1)) expect.fail(`step ${t} params: ${p.where}`);
      if (!(a.ratio <= 1)) expect.fail(`step ${t} ax: ${a.where}`);
      for (const s of sd.state) {
        expect(s!.eta).toBeCloseTo(eta, 15);
        expect(s!.mu).toBe(mu);
        expect(s!.step).toBe(t);
      }
    }
    expect(mu).toBeLessThan(1);
    opt.dispose();
  });

  it('resumes from a state dict bit for bit, eta and mu included', () => {
    const grads = (t: number) => [new Float32Array([Math.sin(t), Math.cos(t), 1]), new Float32Array([0.5 - t / 10])];
    const a = new ASGD([new Float32Array([1, 2, 3]), new Float32Array([4])], { lr: 0.1, t0: 2 });
    for (let t = 1; t <= 4; t++) a.step(grads(t));
    a.paramGroups[0]!.lr = 0.03;
    a.step(grads(5));
    const sd = JSON.parse(JSON.stringify(a.stateDict(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    expect(Object.keys(sd.state[0])).toEqual(['step', 'eta', 'mu', 'ax']);
    const b = new ASGD([a.params[0]!.slice(), a.params[1]!.slice()]);
    b.loadStateDict(sd);
    for (let t = 6; t <= 9; t++) {
      a.step(grads(t));
      b.step(grads(t));
    }
    expect(snapshot(b)).toEqual(snapshot(a));
  });

  it('refuses a state dict with a missing, non-finite or inconsistent eta or mu, and changes nothing', () => {
    const a = new ASGD([new Float32Array([1, 2]), new Float32Array([3])], { lr: 0.1 });
    a.step([new Float32Array([1, 1]), new Float32Array([1])]);
    const b = new ASGD([new Float32Array([5, 5]), new Float32Array([5])], { lr: 0.2 });
    b.step([new Float32Array([2, 2]), new Float32Array([2])]);
    b.step([new Float32Array([2, 2]), new Float32Array([2])]);
    const before = snapshot(b);
    const sd = a.stateDict();
    const bad: [unknown, RegExp, ErrorConstructor][] = [
      [{ ...sd, state: [{ ...sd.state[0], eta: undefined }, sd.state[1]] }, /state\[0\]\.eta must be a finite number.*got undefined/, TypeError],
      [{ ...sd, state: [{ ...sd.state[0], mu: '1' }, sd.state[1]] }, /state\[0\]\.mu must be a finite number.*got "1"/, TypeError],
      [{ ...sd, state: [sd.state[0], { ...sd.state[1], eta: NaN }] }, /state\[1\]\.eta must be a finite number.*got NaN/, RangeError],
      [{ ...sd, state: [sd.state[0], { ...sd.state[1], eta: 0.5 }] }, /must share one eta.*state\[1\]\.eta is 0\.5/, RangeError],
      [{ ...sd, state: [sd.state[0], { ...sd.state[1], ax: new Float32Array(2) }] }, /state\[1\]\.ax must have 1 elements/, RangeError],
      [{ ...sd, kind: 'NAdam' }, /belongs to "NAdam", not ASGD/, TypeError],
    ];
    for (const [dict, re, Err] of bad) {
      expect(() => b.loadStateDict(dict as never)).toThrow(re);
      expect(() => b.loadStateDict(dict as never)).toThrow(Err);
      expect(snapshot(b)).toEqual(before);
      expect(b.paramGroups[0]!.lr).toBe(0.2);
    }
  });
});
