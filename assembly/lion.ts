import { madd4, msub4 } from './common';

/**
 * Lion, one fused pass (Chen et al. 2023, "Symbolic Discovery of Optimization
 * Algorithms", arXiv:2302.06675, Algorithm 2):
 *
 *   d = gscale*g                 (gscale: the clip-by-norm coefficient, 1 without clipping)
 *   c = b1*m + (1-b1)*d
 *   p = decay*p - lr*sign(c)      decay = 1 - lr*wd (decoupled weight decay)
 *   m = b2*m + (1-b2)*d
 *
 * sign(0) = 0 and sign(NaN) = NaN (jnp.sign, as the paper's code), so a
 * non-finite gradient is not hidden. lr*sign(c) is formed without a multiply,
 * in six bit operations and compares (no arithmetic on c, which can be subnormal):
 * lr with c's sign bit, 0 where c = 0, NaN where c is NaN. m is never flushed:
 * the sign of a subnormal moment still moves the parameter by lr, so flushing
 * would change the result (README, design notes). With gscale = ±1 the sign is
 * folded into (1-b1) and (1-b2) (exact); with decay = 1 its multiply is compiled out.
 */
// @ts-ignore: decorator
@inline function lionVec(
  p: usize, g: usize, m: usize,
  vLr: v128, vB1: v128, vOmb1: v128, vB2: v128, vOmb2: v128, vDecay: v128, vGs: v128, vSign: v128, vZero: v128,
  scaled: bool, decoupled: bool,
): void {
  const gv = scaled ? f32x4.mul(v128.load(g), vGs) : v128.load(g);
  const mv = v128.load(m);
  const c = madd4(mv, vB1, f32x4.mul(vOmb1, gv));
  // lr*sign(c), 6 operations: (c & (signbit | isNaN(c))) | lr is lr with c's sign bit, or a NaN where c is one
  // (its exponent all ones, its mantissa nonzero), then 0 where c == 0
  const step = v128.andnot(v128.or(v128.and(c, v128.or(vSign, f32x4.ne(c, c))), vLr), f32x4.eq(c, vZero));
  const pv = v128.load(p);
  v128.store(p, decoupled ? msub4(pv, vDecay, step) : f32x4.sub(pv, step));
  v128.store(m, madd4(mv, vB2, f32x4.mul(vOmb2, gv)));
}

// @ts-ignore: decorator
@inline function lionCore(
  p: usize, g: usize, m: usize, n: i32,
  lr_: f64, b1_: f64, b2_: f64, decay_: f64, gscale_: f64,
  scaled: bool, decoupled: bool,
): void {
  const gscale = <f32>gscale_, lr = <f32>lr_, b1 = <f32>b1_, b2 = <f32>b2_, decay = <f32>decay_;
  // gscale = ±1: (1-b)*(±g) = ((1-b)*±1)*g bit for bit
  const omb1 = scaled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale;
  const omb2 = scaled ? <f32>(1 - b2_) : <f32>(1 - b2_) * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vDecay = f32x4.splat(decay), vGs = f32x4.splat(gscale), vSign = i32x4.splat(0x80000000), vZero = f32x4.splat(0);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      lionVec(p + o, g + o, m + o, vLr, vB1, vOmb1, vB2, vOmb2, vDecay, vGs, vSign, vZero, scaled, decoupled);
      lionVec(p + o + 16, g + o + 16, m + o + 16, vLr, vB1, vOmb1, vB2, vOmb2, vDecay, vGs, vSign, vZero, scaled, decoupled);
      lionVec(p + o + 32, g + o + 32, m + o + 32, vLr, vB1, vOmb1, vB2, vOmb2, vDecay, vGs, vSign, vZero, scaled, decoupled);
      lionVec(p + o + 48, g + o + 48, m + o + 48, vLr, vB1, vOmb1, vB2, vOmb2, vDecay, vGs, vSign, vZero, scaled, decoupled);
    }
    for (; o < end4; o += 16) lionVec(p + o, g + o, m + o, vLr, vB1, vOmb1, vB2, vOmb2, vDecay, vGs, vSign, vZero, scaled, decoupled);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = scaled ? load<f32>(g + o) * gscale : load<f32>(g + o);
    const mv = load<f32>(m + o);
    const c = mv * b1 + omb1 * gv;
    const sign: f32 = c > 0 ? 1 : c < 0 ? -1 : c == 0 ? 0 : c;
    const pv = load<f32>(p + o);
    store<f32>(p + o, (decoupled ? pv * decay : pv) - lr * sign);
    store<f32>(m + o, mv * b2 + omb2 * gv);
  }
}

/** Lion. State: m. */
export function lion(p: usize, g: usize, m: usize, n: i32, lr: f64, b1: f64, b2: f64, decay: f64, gscale: f64): void {
  const scaled = abs(gscale) != 1, dc = decay != 1;
  if (scaled) {
    if (dc) lionCore(p, g, m, n, lr, b1, b2, decay, gscale, true, true);
    else lionCore(p, g, m, n, lr, b1, b2, 1, gscale, true, false);
  } else if (dc) lionCore(p, g, m, n, lr, b1, b2, decay, gscale, false, true);
  else lionCore(p, g, m, n, lr, b1, b2, 1, gscale, false, false);
}
