import { clamp, clamp4, flushTiny, flushPosIf, flushPosIf4, nmadd4 } from './common';

/**
 * Rprop, one fused pass (PyTorch semantics; Riedmiller & Braun 1993):
 *
 *   d     = gscale*g
 *   f     = etaplus if d*prev > 0, etaminus if d*prev < 0, else 1
 *   s     = clamp(s*f, smin, smax)
 *   d     = 0 where d*prev < 0          (no move after a sign change)
 *   p     = p - sign(d)*s
 *   prev  = d
 *
 * Branch-free: the two comparisons of d*prev with 0 are lane masks (never both
 * set), and the factor is 1 XOR the masked bits of etaplus^1 and etaminus^1:
 * two ands, an or and a xor instead of two bit selects. As torch.sign,
 * sign(NaN) is 0, so a NaN gradient does not move p. On a group's first step (rpropFirst) the step sizes start at lr
 * instead of being loaded, as PyTorch fills them with the learning rate of
 * that step. The clamp is pmax/pmin (one instruction each; s*f is never NaN with
 * validated options). Step sizes are flushed to zero on flush steps. With gscale = 1
 * its multiply is compiled out.
 */
// @ts-ignore: decorator
@inline function rpropVec(
  p: usize, g: usize, prev: usize, step: usize,
  vLr: v128, vMinus: v128, vPlus: v128, vMin: v128, vMax: v128, vGs: v128, vTiny: v128, vOne: v128, vZero: v128, vNegOne: v128,
  scaled: bool, flushing: bool, first: bool,
): void {
  const d = scaled ? f32x4.mul(v128.load(g), vGs) : v128.load(g);
  const prod = f32x4.mul(d, v128.load(prev));
  const down = f32x4.lt(prod, vZero);
  // the two masks never overlap: f = 1 ^ (up & (etaplus ^ 1)) ^ (down & (etaminus ^ 1)), bit for bit the select
  const f = v128.xor(vOne, v128.or(v128.and(f32x4.gt(prod, vZero), vPlus), v128.and(down, vMinus)));
  const s = flushPosIf4(clamp4(f32x4.mul(first ? vLr : v128.load(step), f), vMin, vMax), vTiny, flushing);
  v128.store(step, s);
  const dz = v128.andnot(d, down);
  // sign(dz): +1 or -1 by its comparisons with 0, else 0 (0 and NaN); times s as PyTorch (0*inf is NaN)
  const sign = v128.or(v128.and(f32x4.gt(dz, vZero), vOne), v128.and(f32x4.lt(dz, vZero), vNegOne));
  v128.store(p, nmadd4(sign, s, v128.load(p)));
  v128.store(prev, dz);
}

// @ts-ignore: decorator
@inline function rpropCore(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  lr_: f64, etaminus_: f64, etaplus_: f64, smin_: f64, smax_: f64, gscale_: f64,
  scaled: bool, flushing: bool, first: bool,
): void {
  const lr = <f32>lr_, etaminus = <f32>etaminus_, etaplus = <f32>etaplus_;
  const smin = <f32>smin_, smax = <f32>smax_, gscale = <f32>gscale_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    // vMinus, vPlus: the bits of etaminus and etaplus XOR those of 1 (rpropVec XORs 1 back in)
    const one = reinterpret<u32>(<f32>1);
    const vMinus = i32x4.splat(reinterpret<u32>(etaminus) ^ one), vPlus = i32x4.splat(reinterpret<u32>(etaplus) ^ one);
    const vLr = f32x4.splat(lr), vMin = f32x4.splat(smin), vMax = f32x4.splat(smax);
    const vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny), vOne = f32x4.splat(1), vZero = f32x4.splat(0), vNegOne = f32x4.splat(-1);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      rpropVec(p + o, g + o, prev + o, step + o, vLr, vMinus, vPlus, vMin, vMax, vGs, vTiny, vOne, vZero, vNegOne, scaled, flushing, first);
      rpropVec(p + o + 16, g + o + 16, prev + o + 16, step + o + 16, vLr, vMinus, vPlus, vMin, vMax, vGs, vTiny, vOne, vZero, vNegOne, scaled, flushing, first);
      rpropVec(p + o + 32, g + o + 32, prev + o + 32, step + o + 32, vLr, vMinus, vPlus, vMin, vMax, vGs, vTiny, vOne, vZero, vNegOne, scaled, flushing, first);
      rpropVec(p + o + 48, g + o + 48, prev + o + 48, step + o + 48, vLr, vMinus, vPlus, vMin, vMax, vGs, vTiny, vOne, vZero, vNegOne, scaled, flushing, first);
    }
    for (; o < end4; o += 16) rpropVec(p + o, g + o, prev + o, step + o, vLr, vMinus, vPlus, vMin, vMax, vGs, vTiny, vOne, vZero, vNegOne, scaled, flushing, first);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let d = scaled ? load<f32>(g + o) * gscale : load<f32>(g + o);
    const prod = d * load<f32>(prev + o);
    const f: f32 = prod < 0 ? etaminus : prod > 0 ? etaplus : 1;
    const s = flushPosIf(clamp((first ? lr : load<f32>(step + o)) * f, smin, smax), flushing);
    store<f32>(step + o, s);
    if (prod < 0) d = 0;
    const sign: f32 = d > 0 ? 1 : d < 0 ? -1 : 0;
    store<f32>(p + o, load<f32>(p + o) - sign * s);
    store<f32>(prev + o, d);
  }
}

// @ts-ignore: decorator
@inline function rpropDispatch(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  lr: f64, etaminus: f64, etaplus: f64, smin: f64, smax: f64, gscale: f64, first: bool,
): void {
  const sc = gscale != 1, fl = flushTiny != 0;
  if (sc) {
    if (fl) rpropCore(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, gscale, true, true, first);
    else rpropCore(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, gscale, true, false, first);
  } else if (fl) rpropCore(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, 1, false, true, first);
  else rpropCore(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, 1, false, false, first);
}

/** Rprop after the first step. State: prev, step sizes. */
export function rprop(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  etaminus: f64, etaplus: f64, smin: f64, smax: f64, gscale: f64,
): void {
  rpropDispatch(p, g, prev, step, n, 0, etaminus, etaplus, smin, smax, gscale, false);
}

/** Rprop's first step: the step sizes start at lr (prev is zero). */
export function rpropFirst(
  p: usize, g: usize, prev: usize, step: usize, n: i32,
  lr: f64, etaminus: f64, etaplus: f64, smin: f64, smax: f64, gscale: f64,
): void {
  rpropDispatch(p, g, prev, step, n, lr, etaminus, etaplus, smin, smax, gscale, true);
}
