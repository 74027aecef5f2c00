import { flushTiny, flushIf, flushIf4, flushPosIf, flushPosIf4, grad4c, gradc, isCoupled, madd4, maxNaNOr, maxNaNOr4, nmadd4 } from './common';

/**
 * Adamax, one fused pass (PyTorch semantics; Kingma & Ba 2015, section 7.1):
 *
 *   d = gscale*g + wd*p
 *   m = b1*m + (1-b1)*d
 *   u = max(b2*u, |d| + eps)
 *   p = p - step * (m / u)
 *
 * step = lr / (1 - b1^t) is computed in double by the caller. max keeps NaN,
 * as torch.amax does (maxNaNOr4: two maxps and an or). Folded (wd = 0, gscale = ±1): the sign goes into (1-b1)
 * (u only sees |d|). m and u are flushed to zero on flush steps.
 */
// @ts-ignore: decorator
@inline function adamaxVec(
  p: usize, g: usize, m: usize, u: usize,
  vStep: v128, vB1: v128, vOmb1: v128, vB2: v128, vEps: v128, vWd: v128, vGs: v128, vTiny: v128,
  coupled: bool, flushing: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const mv = flushIf4(madd4(v128.load(m), vB1, f32x4.mul(vOmb1, d)), vTiny, flushing);
  const uv = flushPosIf4(maxNaNOr4(f32x4.add(f32x4.abs(d), vEps), f32x4.mul(v128.load(u), vB2)), vTiny, flushing);
  v128.store(m, mv);
  v128.store(u, uv);
  v128.store(p, nmadd4(vStep, f32x4.div(mv, uv), pv));
}

// @ts-ignore: decorator
@inline function adamaxCore(
  p: usize, g: usize, m: usize, u: usize, n: i32,
  step_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, gscale_: f64,
  coupled: bool, flushing: bool,
): void {
  const step = <f32>step_, b1 = <f32>b1_, b2 = <f32>b2_, eps = <f32>eps_, wd = <f32>wd_, gscale = <f32>gscale_;
  const omb1 = coupled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vStep = f32x4.splat(step), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      adamaxVec(p + o, g + o, m + o, u + o, vStep, vB1, vOmb1, vB2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adamaxVec(p + o + 16, g + o + 16, m + o + 16, u + o + 16, vStep, vB1, vOmb1, vB2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adamaxVec(p + o + 32, g + o + 32, m + o + 32, u + o + 32, vStep, vB1, vOmb1, vB2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adamaxVec(p + o + 48, g + o + 48, m + o + 48, u + o + 48, vStep, vB1, vOmb1, vB2, vEps, vWd, vGs, vTiny, coupled, flushing);
    }
    for (; o < end4; o += 16) adamaxVec(p + o, g + o, m + o, u + o, vStep, vB1, vOmb1, vB2, vEps, vWd, vGs, vTiny, coupled, flushing);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = gradc(load<f32>(g + o), pv, gscale, wd, coupled);
    const mv = flushIf(load<f32>(m + o) * b1 + omb1 * d, flushing);
    const uv = flushPosIf(maxNaNOr(abs<f32>(d) + eps, load<f32>(u + o) * b2), flushing);
    store<f32>(m + o, mv);
    store<f32>(u + o, uv);
    store<f32>(p + o, pv - step * (mv / uv));
  }
}

/** Adamax. State: m, u. */
export function adamax(
  p: usize, g: usize, m: usize, u: usize, n: i32,
  step: f64, b1: f64, b2: f64, eps: f64, wd: f64, gscale: f64,
): void {
  const c = isCoupled(wd, gscale), fl = flushTiny != 0;
  if (c) {
    if (fl) adamaxCore(p, g, m, u, n, step, b1, b2, eps, wd, gscale, true, true);
    else adamaxCore(p, g, m, u, n, step, b1, b2, eps, wd, gscale, true, false);
  } else if (fl) adamaxCore(p, g, m, u, n, step, b1, b2, eps, 0, gscale, false, true);
  else adamaxCore(p, g, m, u, n, step, b1, b2, eps, 0, gscale, false, false);
}
