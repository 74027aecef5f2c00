import { flushTiny, flush, flush4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function lionVec(
  o: usize, g: usize, vGs: v128, m: usize, vB1: v128, vOmb1: v128, vSignBit: v128, vOne: v128, vZero: v128, p: usize, vDecay: v128, vLr: v128, vB2: v128, vOmb2: v128, vTiny: v128,
): void {
  const gv = f32x4.mul(v128.load(g + o), vGs);
  const mv = v128.load(m + o);
  const c = f32x4.add(f32x4.mul(mv, vB1), f32x4.mul(vOmb1, gv));
  // sign(c): +-1 with c's sign bit, +0 where c == 0, c itself where c is NaN
  const unit = v128.andnot(v128.or(v128.and(c, vSignBit), vOne), f32x4.eq(c, vZero));
  const sign = v128.bitselect(c, unit, f32x4.ne(c, c));
  v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), vDecay), f32x4.mul(vLr, sign)));
  v128.store(m + o, flush4(f32x4.add(f32x4.mul(mv, vB2), f32x4.mul(vOmb2, gv)), vTiny));
}

/**
 * Lion, one fused pass (Chen et al. 2023, "Symbolic Discovery of Optimization
 * Algorithms", arXiv:2302.06675, Algorithm 2):
 *
 *   g = gscale*g                 (gscale: the clip-by-norm coefficient, 1 without clipping)
 *   c = b1*m + (1-b1)*g
 *   p = decay*p - lr*sign(c)      decay = 1 - lr*wd (decoupled weight decay)
 *   m = b2*m + (1-b2)*g
 *
 * sign(0) = 0 and sign(NaN) = NaN (jnp.sign, as the paper's code), so a
 * non-finite gradient is not hidden. m is flushed to zero below FLT_MIN.
 */
export function lion(p: usize, g: usize, m: usize, n: i32, lr_: f64, b1_: f64, b2_: f64, decay_: f64, gscale_: f64): void {
  const gscale = <f32>gscale_;
  const lr = <f32>lr_, b1 = <f32>b1_, omb1 = <f32>(1 - b1_), b2 = <f32>b2_, omb2 = <f32>(1 - b2_), decay = <f32>decay_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vGs = f32x4.splat(gscale);
    const vB1 = f32x4.splat(b1);
    const vOmb1 = f32x4.splat(omb1);
    const vB2 = f32x4.splat(b2);
    const vOmb2 = f32x4.splat(omb2);
    const vDecay = f32x4.splat(decay);
    const vOne = f32x4.splat(1);
    const vZero = f32x4.splat(0);
    const vSignBit = i32x4.splat(0x80000000);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const bytes4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      lionVec(o, g, vGs, m, vB1, vOmb1, vSignBit, vOne, vZero, p, vDecay, vLr, vB2, vOmb2, vTiny);
      lionVec(o + 16, g, vGs, m, vB1, vOmb1, vSignBit, vOne, vZero, p, vDecay, vLr, vB2, vOmb2, vTiny);
      lionVec(o + 32, g, vGs, m, vB1, vOmb1, vSignBit, vOne, vZero, p, vDecay, vLr, vB2, vOmb2, vTiny);
      lionVec(o + 48, g, vGs, m, vB1, vOmb1, vSignBit, vOne, vZero, p, vDecay, vLr, vB2, vOmb2, vTiny);
    }
    for (; o < bytes4; o += 16) lionVec(o, g, vGs, m, vB1, vOmb1, vSignBit, vOne, vZero, p, vDecay, vLr, vB2, vOmb2, vTiny);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const gv = load<f32>(g + o) * gscale;
    const mv = load<f32>(m + o);
    const c = mv * b1 + omb1 * gv;
    const sign: f32 = c > 0 ? 1 : c < 0 ? -1 : c == 0 ? 0 : c;
    store<f32>(p + o, load<f32>(p + o) * decay - lr * sign);
    store<f32>(m + o, flush(mv * b2 + omb2 * gv));
  }
}
