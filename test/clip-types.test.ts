// Type-level checks of the gradient-clipping signatures: the documented
// in-place use `clipGradNorm(opt.grads, 1)` must type-check, with opt.grads a
// `readonly Float32Array[]` (the optimizer's views; the array is read-only,
// the numbers in it are not). These lines are checked by `tsc` (typecheck
// covers test/); the runtime assertions below make them a normal test too.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { clipGradNorm, clipGradValue, ready, SGD } from '../src/index.js';

describe('clipGradNorm / clipGradValue accept the optimizer\'s readonly grads', () => {
  it('type-check with readonly Float32Array[] and clip opt.grads in place', async () => {
    await ready();
    const w = new Float32Array([0, 0]);
    const opt = new SGD([w], { lr: 1 });
    expectTypeOf(opt.grads).toEqualTypeOf<readonly Float32Array[]>();
    expectTypeOf(clipGradNorm).parameter(0).toEqualTypeOf<readonly Float32Array[]>();
    expectTypeOf(clipGradValue).parameter(0).toEqualTypeOf<readonly Float32Array[]>();
    opt.grads[0]!.set([3, 4]);
    const total: number = clipGradNorm(opt.grads, 1); // the documented in-place use
    expect(total).toBe(5);
    expect(Array.from(opt.grads[0]!)).toEqual([Math.fround(3 / (5 + 1e-6)), Math.fround(4 / (5 + 1e-6))]);
    opt.grads[0]!.set([3, -4]);
    clipGradValue(opt.grads, 2);
    expect(Array.from(opt.grads[0]!)).toEqual([2, -2]);
    const frozen: readonly Float32Array[] = Object.freeze([new Float32Array([-7])]);
    clipGradValue(frozen, 1);
    expect(frozen[0]![0]).toBe(-1);
    // a mutable array still works
    const mutable: Float32Array[] = [new Float32Array([0.5])];
    expect(clipGradNorm(mutable, 1)).toBe(0.5);
  });
});
