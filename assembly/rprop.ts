import { flushTiny, flush, flush4 } from './common';

/**
 * Rprop, one fused pass (PyTorch semantics; Riedmiller & Braun 1993):
 *
 *   d     = gsign*g
 *   f     = etaplus if d*prev > 0, etaminus if d*prev < 0, else 1
 *   s     = clamp(s*f, smin, smax)
 *   d     = 0 where d*prev < 0          (no move after a sign change)
 *   p     = p - sign(d)*s
 *   prev  = d
 *
 * Branch-free: the two comparisons of d*prev with 0 are lane masks, and
 * v128.bitselect picks the factor. As torch.sign, sign(NaN) is 0, so a NaN
 * product keeps the step size and a NaN gradient does not move p. On a
 * group's first step (rpropFirst) the step sizes start at lr instead of being
 * loaded, as PyTorch fills them with the learning rate of that step. Step
 * sizes are flushed to zero below FLT_MIN.
 */
// @ts-ignore: decorator
@inline function rpropCore(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  lr_: f64, etaminus_: f64, etaplus_: f64, smin_: f64, smax_: f64, gsign_: f64,
  first: bool,
): void {
  const lr = <f32>lr_, etaminus = <f32>etaminus_, etaplus = <f32>etaplus_;
  const smin = <f32>smin_, smax = <f32>smax_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vMinus = f32x4.splat(etaminus);
    const vPlus = f32x4.splat(etaplus);
    const vMin = f32x4.splat(smin);
    const vMax = f32x4.splat(smax);
    const vGs = f32x4.splat(gsign);
    const vOne = f32x4.splat(1);
    const vNegOne = f32x4.splat(-1);
    const vZero = f32x4.splat(0);
    const vTiny = f32x4.splat(flushTiny);
    // not unrolled: four vectors in flight over this kernel's ten constants made it
    // 40% slower out of cache (2.4 vs 1.7 ns/element at 16M), for 10% in cache
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const d = f32x4.mul(v128.load(g + o), vGs);
      const prod = f32x4.mul(d, v128.load(prev + o));
      const up = f32x4.gt(prod, vZero);
      const down = f32x4.lt(prod, vZero);
      const f = v128.bitselect(vMinus, v128.bitselect(vPlus, vOne, up), down);
      const s0 = first ? vLr : v128.load(step + o);
      const s = flush4(f32x4.min(f32x4.max(f32x4.mul(s0, f), vMin), vMax), vTiny);
      v128.store(step + o, s);
      const dz = v128.andnot(d, down);
      const sign = v128.or(v128.and(f32x4.gt(dz, vZero), vOne), v128.and(f32x4.lt(dz, vZero), vNegOne));
      v128.store(p + o, f32x4.sub(v128.load(p + o), f32x4.mul(sign, s)));
      v128.store(prev + o, dz);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let d = load<f32>(g + o) * gsign;
    const prod = d * load<f32>(prev + o);
    const f: f32 = prod < 0 ? etaminus : prod > 0 ? etaplus : 1;
    const s0 = first ? lr : load<f32>(step + o);
    const s = flush(min<f32>(max<f32>(s0 * f, smin), smax));
    store<f32>(step + o, s);
    if (prod < 0) d = 0;
    const sign: f32 = d > 0 ? 1 : d < 0 ? -1 : 0;
    store<f32>(p + o, load<f32>(p + o) - sign * s);
    store<f32>(prev + o, d);
  }
}

/** Rprop after the first step. State: prev, step sizes. */
export function rprop(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  etaminus: f64, etaplus: f64, smin: f64, smax: f64, gsign: f64,
): void {
  rpropCore(p, g, prev, step, n, 0, etaminus, etaplus, smin, smax, gsign, false);
}

/** Rprop's first step: the step sizes start at lr (prev is zero). */
export function rpropFirst(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  lr: f64, etaminus: f64, etaplus: f64, smin: f64, smax: f64, gsign: f64,
): void {
  rpropCore(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, gsign, true);
}
