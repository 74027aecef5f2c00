import { flushTiny, flushIf, flushIf4, flushPosIf, flushPosIf4, grad4c, gradc, isCoupled, madd4, msub4, nmadd4 } from './common';

/**
 * RAdam, one fused pass (PyTorch semantics; Liu et al. 2020):
 *
 *   d = gscale*g + wd*p                 coupled L2; wd = 0 with decoupled decay
 *   p = decay*p                         decoupled decay: 1 - lr*wd; else 1
 *   m = b1*m + (1-b1)*d
 *   v = b2*v + (1-b2)*d*d
 *   p = p - step * m / (sqrt(v) + eps)  rectified (rho_t > 5): radam
 *   p = p - step * m                    un-rectified (rho_t <= 5): radamUnrectified
 *
 * The caller computes in double: rectified step = lr*r_t*sqrt(1-b2^t)/(1-b1^t)
 * (eps is added before the bias correction, as PyTorch), un-rectified
 * step = lr/(1-b1^t). Folded (wd = 0, gscale = ±1): the sign goes into (1-b1).
 * m and v are flushed to zero on flush steps.
 */
// @ts-ignore: decorator
@inline function radamVec(
  p: usize, g: usize, m: usize, v: usize,
  vStep: v128, vB1: v128, vOmb1: v128, vB2: v128, vOmb2: v128, vEps: v128, vWd: v128, vDecay: v128, vGs: v128, vTiny: v128,
  coupled: bool, decoupled: bool, flushing: bool, rectified: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const mv = flushIf4(madd4(v128.load(m), vB1, f32x4.mul(vOmb1, d)), vTiny, flushing);
  const vv = flushPosIf4(madd4(v128.load(v), vB2, f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny, flushing);
  v128.store(m, mv);
  v128.store(v, vv);
  const base = decoupled ? f32x4.mul(pv, vDecay) : pv;
  if (rectified) {
    const upd = f32x4.div(f32x4.mul(vStep, mv), f32x4.add(f32x4.sqrt(vv), vEps));
    v128.store(p, decoupled ? msub4(pv, vDecay, upd) : f32x4.sub(pv, upd));
  } else {
    v128.store(p, nmadd4(vStep, mv, base));
  }
}

// @ts-ignore: decorator
@inline function radamCore(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, decay_: f64, gscale_: f64,
  coupled: bool, decoupled: bool, flushing: bool, rectified: bool,
): void {
  const step = <f32>step_, eps = <f32>eps_, wd = <f32>wd_, decay = <f32>decay_, gscale = <f32>gscale_;
  const b1 = <f32>b1_, b2 = <f32>b2_, omb2 = <f32>(1 - b2_);
  const omb1 = coupled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vStep = f32x4.splat(step), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vDecay = f32x4.splat(decay), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      radamVec(p + o, g + o, m + o, v + o, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, rectified);
      radamVec(p + o + 16, g + o + 16, m + o + 16, v + o + 16, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, rectified);
      radamVec(p + o + 32, g + o + 32, m + o + 32, v + o + 32, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, rectified);
      radamVec(p + o + 48, g + o + 48, m + o + 48, v + o + 48, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, rectified);
    }
    for (; o < end4; o += 16) radamVec(p + o, g + o, m + o, v + o, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, rectified);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = gradc(load<f32>(g + o), pv, gscale, wd, coupled);
    const mv = flushIf(load<f32>(m + o) * b1 + omb1 * d, flushing);
    const vv = flushPosIf(load<f32>(v + o) * b2 + omb2 * d * d, flushing);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    const base = decoupled ? pv * decay : pv;
    store<f32>(p + o, rectified ? base - ((step * mv) / (sqrt<f32>(vv) + eps)) : base - step * mv);
  }
}

// @ts-ignore: decorator
@inline function radamDispatch(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64, rectified: bool,
): void {
  const c = isCoupled(wd, gscale), dc = decay != 1, fl = flushTiny != 0;
  if (c) {
    if (dc) {
      if (fl) radamCore(p, g, m, v, n, step, b1, b2, eps, wd, decay, gscale, true, true, true, rectified);
      else radamCore(p, g, m, v, n, step, b1, b2, eps, wd, decay, gscale, true, true, false, rectified);
    } else if (fl) radamCore(p, g, m, v, n, step, b1, b2, eps, wd, 1, gscale, true, false, true, rectified);
    else radamCore(p, g, m, v, n, step, b1, b2, eps, wd, 1, gscale, true, false, false, rectified);
  } else if (dc) {
    if (fl) radamCore(p, g, m, v, n, step, b1, b2, eps, 0, decay, gscale, false, true, true, rectified);
    else radamCore(p, g, m, v, n, step, b1, b2, eps, 0, decay, gscale, false, true, false, rectified);
  } else if (fl) radamCore(p, g, m, v, n, step, b1, b2, eps, 0, 1, gscale, false, false, true, rectified);
  else radamCore(p, g, m, v, n, step, b1, b2, eps, 0, 1, gscale, false, false, false, rectified);
}

/** RAdam step with the variance rectification (rho_t > 5). State: m, v. */
export function radam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  radamDispatch(p, g, m, v, n, step, b1, b2, eps, wd, decay, gscale, true);
}

/** RAdam step without rectification (rho_t <= 5: momentum SGD with bias correction). State: m, v. */
export function radamUnrectified(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, b1: f64, b2: f64, wd: f64, decay: f64, gscale: f64,
): void {
  radamDispatch(p, g, m, v, n, step, b1, b2, 0, wd, decay, gscale, false);
}
