import { flushPosIf, flushPosIf4, flushTiny, isCoupled, madd4 } from './common';

/**
 * Adagrad, one fused pass:
 *
 *   d   = gscale*g + wd*p
 *   sum = sum + d*d
 *   p   = p - clr*d / (sqrt(sum) + eps)
 *
 * lr = clr = lr / (1 + (t-1)*lrDecay) is computed in double by the caller. sum
 * starts below FLT_MIN when |g| < 1e-19 and stays there under zero
 * gradients, so it is flushed like every other state (on flush steps). Without weight decay the sign of g
 * folds into clr (exact). The main loop is unrolled twice.
 */
// @ts-ignore: decorator
@inline function adagradVec(p: usize, g: usize, sum: usize, vClr: v128, vEps: v128, vWd: v128, vGs: v128, vTiny: v128, coupled: bool, flushing: bool): void {
  const pv = v128.load(p);
  let d = v128.load(g);
  if (coupled) d = madd4(d, vGs, f32x4.mul(vWd, pv));
  const s = flushPosIf4(madd4(d, d, v128.load(sum)), vTiny, flushing);
  v128.store(sum, s);
  const std = f32x4.add(f32x4.sqrt(s), vEps);
  v128.store(p, f32x4.sub(pv, f32x4.div(f32x4.mul(vClr, d), std)));
}

// @ts-ignore: decorator
@inline function adagradCore(p: usize, g: usize, sum: usize, n: i32, clr_: f64, eps_: f64, wd_: f64, gscale_: f64, coupled: bool, flushing: bool): void {
  const eps = <f32>eps_, wd = <f32>wd_, gscale = <f32>gscale_;
  const clr = coupled ? <f32>clr_ : <f32>clr_ * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vClr = f32x4.splat(clr);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gscale);
    const vTiny = f32x4.splat(flushTiny);
    const end8 = (<usize>n & ~7) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end8; o += 32) {
      adagradVec(p + o, g + o, sum + o, vClr, vEps, vWd, vGs, vTiny, coupled, flushing);
      adagradVec(p + o + 16, g + o + 16, sum + o + 16, vClr, vEps, vWd, vGs, vTiny, coupled, flushing);
    }
    for (; o < end4; o += 16) adagradVec(p + o, g + o, sum + o, vClr, vEps, vWd, vGs, vTiny, coupled, flushing);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (coupled) d = d * gscale + wd * pv;
    const s = flushPosIf(load<f32>(sum + o) + d * d, flushing);
    store<f32>(sum + o, s);
    store<f32>(p + o, pv - ((clr * d) / (sqrt<f32>(s) + eps)));
  }
}

/** Adagrad. State: sum. */
export function adagrad(p: usize, g: usize, sum: usize, n: i32, lr: f64, eps: f64, wd: f64, gscale: f64): void {
  const c = isCoupled(wd, gscale), fl = flushTiny != 0;
  if (c) {
    if (fl) adagradCore(p, g, sum, n, lr, eps, wd, gscale, true, true);
    else adagradCore(p, g, sum, n, lr, eps, wd, gscale, true, false);
  } else if (fl) adagradCore(p, g, sum, n, lr, eps, 0, gscale, false, true);
  else adagradCore(p, g, sum, n, lr, eps, 0, gscale, false, false);
}
