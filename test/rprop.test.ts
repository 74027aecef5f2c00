// Rprop's semantics where PyTorch has its own rules: step sizes start at the
// learning rate of the first step and ignore later lr changes; a sign change
// shrinks the step size, skips the move and forgets the gradient; sign(NaN)
// is 0 (torch.sign). Expected values are float32 numbers recorded from
// torch 1.13.1 (torch.optim.Rprop) or worked out by hand.
import { beforeAll, describe, expect, it } from 'vitest';
import { Rprop, ready } from '../src/index.js';

const f = Math.fround;

describe.each(['simd', 'scalar'] as const)('Rprop (%s build)', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it('fills the step sizes with the lr of the first step; later lr changes do nothing', () => {
    const a = new Rprop([new Float32Array(5)], { lr: 0.01 });
    a.paramGroups[0]!.lr = 0.05; // before the first step: counts, as PyTorch creates the state at the first step
    a.step([new Float32Array([1, -1, 1, -1, 0])]);
    expect(Array.from(a.stateDict().state[0]!.stepSize as Float32Array)).toEqual(new Array(5).fill(f(0.05)));
    expect(Array.from(a.params[0]!)).toEqual([-f(0.05), f(0.05), -f(0.05), f(0.05), 0]);
    const b = new Rprop([a.params[0]!.slice()], { lr: 0.05 });
    b.loadStateDict(a.stateDict());
    a.paramGroups[0]!.lr = 1e3; // after it: ignored
    a.step([new Float32Array([1, 1, 1, 1, 1])]);
    b.step([new Float32Array([1, 1, 1, 1, 1])]);
    expect(Array.from(a.params[0]!)).toEqual(Array.from(b.params[0]!));
  });

  it('grows, shrinks, clamps and skips exactly as the formula says', () => {
    const etas: [number, number] = [0.15, 1.5];
    const opt = new Rprop([new Float32Array(4)], { lr: 0.5, etas, stepSizes: [0.1, 1] });
    const grads = [
      [1, 1, 0, -2],
      [2, -1, 0, -1], // same sign: *1.5 | change: *0.15 -> 0.075, clamped to 0.1, no move | zero: *1, no move | same: *1.5
      [3, 1, 5, -1], //  same: 1.125, clamped to 1 | after a change prev = 0: *1 | prev = 0: *1 | same: clamped to 1
      [-1, 1, 5, 1], //  change: *0.15, no move | same: *1.5 | same: *1.5 | change: *0.15, no move
    ];
    const s = [0.5, 0.5, 0.5, 0.5].map(f);
    const p = [0, 0, 0, 0];
    const prev = [0, 0, 0, 0];
    for (const g of grads) {
      opt.step([new Float32Array(g)]);
      for (let i = 0; i < 4; i++) {
        const prod = g[i]! * prev[i]!;
        const factor = prod > 0 ? f(1.5) : prod < 0 ? f(0.15) : 1;
        s[i] = Math.min(Math.max(f(s[i]! * factor), f(0.1)), 1);
        const d = prod < 0 ? 0 : g[i]!;
        p[i] = f(p[i]! - Math.sign(d) * s[i]!);
        prev[i] = d;
      }
      expect(Array.from(opt.params[0]!)).toEqual(p);
      expect(Array.from(opt.stateDict().state[0]!.stepSize as Float32Array)).toEqual(s);
      expect(Array.from(opt.stateDict().state[0]!.prev as Float32Array)).toEqual(prev);
    }
  });

  it('treats a NaN gradient as torch 1.13.1 does (checkFinite: false): no move, step size kept', () => {
    const opt = new Rprop([new Float32Array([1, 1])], { lr: 0.01, checkFinite: false });
    // torch.optim.Rprop([p], lr=0.01) on p = [1, 1], float32, printed after each step
    const torch = [
      { g: [1, 1], p: [0.9900000095367432, 0.9900000095367432], prev: [1, 1], step: [0.009999999776482582, 0.009999999776482582] },
      { g: [NaN, -1], p: [0.9900000095367432, 0.9900000095367432], prev: [NaN, 0], step: [0.009999999776482582, 0.004999999888241291] },
      { g: [1, 1], p: [0.9800000190734863, 0.9850000143051147], prev: [1, 1], step: [0.009999999776482582, 0.004999999888241291] },
      { g: [1, 1], p: [0.9679999947547913, 0.9790000319480896], prev: [1, 1], step: [0.012000000104308128, 0.006000000052154064] },
    ];
    for (const s of torch) {
      opt.step([new Float32Array(s.g)]);
      const st = opt.stateDict().state[0]!;
      expect(Array.from(opt.params[0]!)).toEqual(s.p);
      expect(Array.from(st.prev as Float32Array)).toEqual(s.prev);
      expect(Array.from(st.stepSize as Float32Array)).toEqual(s.step);
    }
  });

  it('maximize follows +g instead of -g', () => {
    const a = new Rprop([new Float32Array([0, 0])], { lr: 0.1, maximize: true });
    a.step([new Float32Array([2, -3])]);
    expect(Array.from(a.params[0]!)).toEqual([f(0.1), -f(0.1)]);
  });
});
