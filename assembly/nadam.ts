import { flushTiny, flush, flush4, grad, grad4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function nadamVec(
  o: usize, p: usize, g: usize, vGs: v128, vWd: v128, m: usize, vB1: v128, vOmb1: v128, vTiny: v128, v: usize, vB2: v128, vOmb2: v128, vRs: v128, vEps: v128, vCg: v128, vCm: v128, vDecay: v128,
): void {
  const pv = v128.load(p + o);
  const d = grad4(v128.load(g + o), pv, vGs, vWd);
  const mv = flush4(f32x4.add(f32x4.mul(v128.load(m + o), vB1), f32x4.mul(vOmb1, d)), vTiny);
  const vv = flush4(f32x4.add(f32x4.mul(v128.load(v + o), vB2), f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny);
  v128.store(m + o, mv);
  v128.store(v + o, vv);
  const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vv), vRs), vEps);
  const num = f32x4.add(f32x4.mul(vCg, d), f32x4.mul(vCm, mv));
  v128.store(p + o, f32x4.sub(f32x4.mul(pv, vDecay), f32x4.div(num, denom)));
}

/**
 * NAdam, one fused pass (PyTorch >= 2.0 semantics; Dozat 2016):
 *
 *   d     = gsign*g + wd*p              coupled L2; wd = 0 with decoupled decay
 *   p     = decay*p                     decoupled decay: 1 - lr*wd; else 1
 *   m     = b1*m + (1-b1)*d
 *   v     = b2*v + (1-b2)*d*d
 *   denom = sqrt(v)*rsqrtBc2 + eps
 *   p     = p - (cg*d + cm*m) / denom
 *
 * The caller computes in double, from mu_t = b1*(1 - 0.5*0.96^(t*momentumDecay))
 * and the running product P_t = mu_1*...*mu_t:
 *   cg = lr*(1 - mu_t)/(1 - P_t),  cm = lr*mu_{t+1}/(1 - P_t*mu_{t+1}),
 *   rsqrtBc2 = 1/sqrt(1 - b2^t).
 * m and v are flushed to zero below FLT_MIN.
 */
export function nadam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  cg_: f64, cm_: f64, rsqrtBc2_: f64, eps_: f64, b1_: f64, b2_: f64, wd_: f64, decay_: f64, gsign_: f64,
): void {
  const cg = <f32>cg_, cm = <f32>cm_, rsqrtBc2 = <f32>rsqrtBc2_, eps = <f32>eps_;
  const b1 = <f32>b1_, b2 = <f32>b2_, omb1 = <f32>(1 - b1_), omb2 = <f32>(1 - b2_);
  const wd = <f32>wd_, decay = <f32>decay_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vCg = f32x4.splat(cg);
    const vCm = f32x4.splat(cm);
    const vRs = f32x4.splat(rsqrtBc2);
    const vEps = f32x4.splat(eps);
    const vB1 = f32x4.splat(b1);
    const vB2 = f32x4.splat(b2);
    const vOmb1 = f32x4.splat(omb1);
    const vOmb2 = f32x4.splat(omb2);
    const vWd = f32x4.splat(wd);
    const vDecay = f32x4.splat(decay);
    const vGs = f32x4.splat(gsign);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const bytes4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      nadamVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, vRs, vEps, vCg, vCm, vDecay);
      nadamVec(o + 16, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, vRs, vEps, vCg, vCm, vDecay);
      nadamVec(o + 32, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, vRs, vEps, vCg, vCm, vDecay);
      nadamVec(o + 48, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, vRs, vEps, vCg, vCm, vDecay);
    }
    for (; o < bytes4; o += 16) nadamVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, vRs, vEps, vCg, vCm, vDecay);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const mv = flush(load<f32>(m + o) * b1 + omb1 * d);
    const vv = flush(load<f32>(v + o) * b2 + omb2 * d * d);
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    const denom = sqrt<f32>(vv) * rsqrtBc2 + eps;
    store<f32>(p + o, pv * decay - (cg * d + cm * mv) / denom);
  }
}
