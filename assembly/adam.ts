import { flushTiny, flushIf, flushIf4, flushPosIf, flushPosIf4, grad4c, gradc, isCoupled, madd4, maxNaNOr, maxNaNOr4, msub4 } from './common';

/**
 * Adam and AdamW, one fused pass over n floats (PyTorch semantics):
 *
 *   d    = gscale*g + wd*p             coupled L2 (Adam); wd = 0 for AdamW
 *   p    = decay*p                    decoupled decay (AdamW: 1 - lr*wd; Adam: 1)
 *   m    = b1*m + (1-b1)*d
 *   v    = b2*v + (1-b2)*d*d
 *   vmax = max(vmax, v)               AMSGrad only; the denominator uses vmax
 *   p    = p - step*m / (sqrt(v)*rsqrtBc2 + eps)
 *        = p - (step/rsqrtBc2)*m / (sqrt(v) + eps/rsqrtBc2)
 *
 * step = lr / (1 - b1^t) and rsqrtBc2 = 1 / sqrt(1 - b2^t) are computed in
 * double by the caller; the kernel evaluates the second, equivalent form (the
 * "efficient version" of Kingma & Ba's Algorithm 1), whose two constants are
 * computed in double and rounded once: one multiply per element fewer, and a
 * last-bit difference from PyTorch far inside the conformance tolerance.
 * m, v and vmax are flushed to zero on flush steps.
 */
// @ts-ignore: decorator
@inline function adamVec(
  p: usize, g: usize, m: usize, v: usize, vmax: usize,
  vStep: v128, vB1: v128, vOmb1: v128, vB2: v128, vOmb2: v128, vEps: v128, vWd: v128, vDecay: v128, vGs: v128, vTiny: v128,
  coupled: bool, decoupled: bool, flushing: bool, amsgrad: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const mv = flushIf4(madd4(v128.load(m), vB1, f32x4.mul(vOmb1, d)), vTiny, flushing);
  let vv = flushPosIf4(madd4(v128.load(v), vB2, f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny, flushing);
  v128.store(m, mv);
  v128.store(v, vv);
  if (amsgrad) {
    vv = flushPosIf4(maxNaNOr4(vv, v128.load(vmax)), vTiny, flushing);
    v128.store(vmax, vv);
  }
  const upd = f32x4.div(f32x4.mul(vStep, mv), f32x4.add(f32x4.sqrt(vv), vEps));
  v128.store(p, decoupled ? msub4(pv, vDecay, upd) : f32x4.sub(pv, upd));
}

// @ts-ignore: decorator
@inline function adamCore(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  step_: f64, rsqrtBc2_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, decay_: f64, gscale_: f64,
  coupled: bool, decoupled: bool, flushing: bool, amsgrad: bool,
): void {
  const step = <f32>(step_ / rsqrtBc2_), eps = <f32>(eps_ / rsqrtBc2_);
  const b1 = <f32>b1_, b2 = <f32>b2_, omb2 = <f32>(1 - b2_);
  const wd = <f32>wd_, decay = <f32>decay_, gscale = <f32>gscale_;
  // folded: d = ±g, so (1-b1)*d = ((1-b1)*gscale)*g bit for bit (v only sees d*d)
  const omb1 = coupled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vStep = f32x4.splat(step), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vDecay = f32x4.splat(decay), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      adamVec(p + o, g + o, m + o, v + o, vmax + o, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, amsgrad);
      adamVec(p + o + 16, g + o + 16, m + o + 16, v + o + 16, vmax + o + 16, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, amsgrad);
      adamVec(p + o + 32, g + o + 32, m + o + 32, v + o + 32, vmax + o + 32, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, amsgrad);
      adamVec(p + o + 48, g + o + 48, m + o + 48, v + o + 48, vmax + o + 48, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, amsgrad);
    }
    for (; o < end4; o += 16) {
      adamVec(p + o, g + o, m + o, v + o, vmax + o, vStep, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing, amsgrad);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = gradc(load<f32>(g + o), pv, gscale, wd, coupled);
    const mv = flushIf(load<f32>(m + o) * b1 + omb1 * d, flushing);
    let vv = flushPosIf(load<f32>(v + o) * b2 + omb2 * d * d, flushing);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    if (amsgrad) {
      vv = flushPosIf(maxNaNOr(vv, load<f32>(vmax + o)), flushing);
      store<f32>(vmax + o, vv);
    }
    const upd = ((step * mv) / (sqrt<f32>(vv) + eps));
    store<f32>(p + o, (decoupled ? pv * decay : pv) - upd);
  }
}

// @ts-ignore: decorator
@inline function adamDispatch(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  step: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64, amsgrad: bool,
): void {
  const c = isCoupled(wd, gscale), dc = decay != 1, fl = flushTiny != 0;
  if (c) {
    if (dc) {
      if (fl) adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true, true, true, amsgrad);
      else adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true, true, false, amsgrad);
    } else if (fl) adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, wd, 1, gscale, true, false, true, amsgrad);
    else adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, wd, 1, gscale, true, false, false, amsgrad);
  } else if (dc) {
    if (fl) adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, 0, decay, gscale, false, true, true, amsgrad);
    else adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, 0, decay, gscale, false, true, false, amsgrad);
  } else if (fl) adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, 0, 1, gscale, false, false, true, amsgrad);
  else adamCore(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, 0, 1, gscale, false, false, false, amsgrad);
}

/** Adam / AdamW without AMSGrad. State: m, v. */
export function adam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  adamDispatch(p, g, m, v, 0, n, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, false);
}

/** Adam / AdamW with AMSGrad. State: m, v, vmax (flushed with m and v). */
export function adamAmsgrad(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  step: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  adamDispatch(p, g, m, v, vmax, n, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true);
}
