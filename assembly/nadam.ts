import { flushTiny, flushIf, flushIf4, flushPosIf, flushPosIf4, grad4c, gradc, isCoupled, madd4, msub4 } from './common';

/**
 * NAdam, one fused pass (PyTorch >= 2.0 semantics; Dozat 2016):
 *
 *   d     = gscale*g + wd*p             coupled L2; wd = 0 with decoupled decay
 *   p     = decay*p                     decoupled decay: 1 - lr*wd; else 1
 *   m     = b1*m + (1-b1)*d
 *   v     = b2*v + (1-b2)*d*d
 *   p     = p - (cg*d + cm*m) / (sqrt(v)*rsqrtBc2 + eps)
 *         = p - ((cg/rsqrtBc2)*d + (cm/rsqrtBc2)*m) / (sqrt(v) + eps/rsqrtBc2)
 *
 * The caller computes in double, from mu_t = b1*(1 - 0.5*0.96^(t*momentumDecay))
 * and the running product P_t = mu_1*...*mu_t:
 *   cg = lr*(1 - mu_t)/(1 - P_t),  cm = lr*mu_{t+1}/(1 - P_t*mu_{t+1}),
 *   rsqrtBc2 = 1/sqrt(1 - b2^t);
 * the kernel divides the three constants by rsqrtBc2 in double (as Adam: one
 * multiply per element fewer). Folded (wd = 0, gscale = ±1): the sign goes
 * into (1-b1) and cg. m and v are flushed to zero on flush steps.
 */
// @ts-ignore: decorator
@inline function nadamVec(
  p: usize, g: usize, m: usize, v: usize,
  vCg: v128, vCm: v128, vB1: v128, vOmb1: v128, vB2: v128, vOmb2: v128, vEps: v128, vWd: v128, vDecay: v128, vGs: v128, vTiny: v128,
  coupled: bool, decoupled: bool, flushing: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const mv = flushIf4(madd4(v128.load(m), vB1, f32x4.mul(vOmb1, d)), vTiny, flushing);
  const vv = flushPosIf4(madd4(v128.load(v), vB2, f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny, flushing);
  v128.store(m, mv);
  v128.store(v, vv);
  const upd = f32x4.div(madd4(vCg, d, f32x4.mul(vCm, mv)), f32x4.add(f32x4.sqrt(vv), vEps));
  v128.store(p, decoupled ? msub4(pv, vDecay, upd) : f32x4.sub(pv, upd));
}

// @ts-ignore: decorator
@inline function nadamCore(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  cg_: f64, cm_: f64, rsqrtBc2_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, decay_: f64, gscale_: f64,
  coupled: bool, decoupled: bool, flushing: bool,
): void {
  const gscale = <f32>gscale_, wd = <f32>wd_, decay = <f32>decay_;
  const cm = <f32>(cm_ / rsqrtBc2_), eps = <f32>(eps_ / rsqrtBc2_);
  const cg = coupled ? <f32>(cg_ / rsqrtBc2_) : <f32>(cg_ / rsqrtBc2_) * gscale;
  const b1 = <f32>b1_, b2 = <f32>b2_, omb2 = <f32>(1 - b2_);
  const omb1 = coupled ? <f32>(1 - b1_) : <f32>(1 - b1_) * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vCg = f32x4.splat(cg), vCm = f32x4.splat(cm), vB1 = f32x4.splat(b1), vOmb1 = f32x4.splat(omb1), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vDecay = f32x4.splat(decay), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      nadamVec(p + o, g + o, m + o, v + o, vCg, vCm, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing);
      nadamVec(p + o + 16, g + o + 16, m + o + 16, v + o + 16, vCg, vCm, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing);
      nadamVec(p + o + 32, g + o + 32, m + o + 32, v + o + 32, vCg, vCm, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing);
      nadamVec(p + o + 48, g + o + 48, m + o + 48, v + o + 48, vCg, vCm, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing);
    }
    for (; o < end4; o += 16) nadamVec(p + o, g + o, m + o, v + o, vCg, vCm, vB1, vOmb1, vB2, vOmb2, vEps, vWd, vDecay, vGs, vTiny, coupled, decoupled, flushing);
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
    const upd = ((cg * d + cm * mv) / (sqrt<f32>(vv) + eps));
    store<f32>(p + o, (decoupled ? pv * decay : pv) - upd);
  }
}

/** NAdam. State: m, v. */
export function nadam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  cg: f64, cm: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  const c = isCoupled(wd, gscale), dc = decay != 1, fl = flushTiny != 0;
  if (c) {
    if (dc) {
      if (fl) nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true, true, true);
      else nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true, true, false);
    } else if (fl) nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, wd, 1, gscale, true, false, true);
    else nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, wd, 1, gscale, true, false, false);
  } else if (dc) {
    if (fl) nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, 0, decay, gscale, false, true, true);
    else nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, 0, decay, gscale, false, true, false);
  } else if (fl) nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, 0, 1, gscale, false, false, true);
  else nadamCore(p, g, m, v, n, cg, cm, rsqrtBc2, b1, b2, eps, 0, 1, gscale, false, false, false);
}
