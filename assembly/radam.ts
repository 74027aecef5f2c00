import { flushTiny, flush, flush4, grad, grad4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function radamVec(
  o: usize, p: usize, g: usize, vGs: v128, vWd: v128, m: usize, vB1: v128, vOmb1: v128, vTiny: v128, v: usize, vB2: v128, vOmb2: v128, rectified: bool, vStep: v128, vEps: v128, vDecay: v128,
): void {
  const pv = v128.load(p + o);
  const d = grad4(v128.load(g + o), pv, vGs, vWd);
  const mv = flush4(f32x4.add(f32x4.mul(v128.load(m + o), vB1), f32x4.mul(vOmb1, d)), vTiny);
  const vv = flush4(f32x4.add(f32x4.mul(v128.load(v + o), vB2), f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny);
  v128.store(m + o, mv);
  v128.store(v + o, vv);
  const upd = rectified
    ? f32x4.div(f32x4.mul(vStep, mv), f32x4.add(f32x4.sqrt(vv), vEps))
    : f32x4.mul(vStep, mv);
  v128.store(p + o, f32x4.sub(f32x4.mul(pv, vDecay), upd));
}

/**
 * RAdam, one fused pass (PyTorch semantics; Liu et al. 2020):
 *
 *   d = gsign*g + wd*p                  coupled L2; wd = 0 with decoupled decay
 *   p = decay*p                         decoupled decay: 1 - lr*wd; else 1
 *   m = b1*m + (1-b1)*d
 *   v = b2*v + (1-b2)*d*d
 *   p = p - step * m / (sqrt(v) + eps)  rectified (rho_t > 5): radam
 *   p = p - step * m                    un-rectified (rho_t <= 5): radamUnrectified
 *
 * The caller computes in double: rectified step = lr*r_t*sqrt(1-b2^t)/(1-b1^t)
 * (eps is added before the bias correction, as PyTorch), un-rectified
 * step = lr/(1-b1^t). m and v are flushed to zero below FLT_MIN.
 */
// @ts-ignore: decorator
@inline function radamCore(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step_: f64, eps_: f64, b1_: f64, b2_: f64, wd_: f64, decay_: f64, gsign_: f64,
  rectified: bool,
): void {
  const step = <f32>step_, eps = <f32>eps_, b1 = <f32>b1_, b2 = <f32>b2_, omb1 = <f32>(1 - b1_), omb2 = <f32>(1 - b2_);
  const wd = <f32>wd_, decay = <f32>decay_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vStep = f32x4.splat(step);
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
      radamVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, rectified, vStep, vEps, vDecay);
      radamVec(o + 16, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, rectified, vStep, vEps, vDecay);
      radamVec(o + 32, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, rectified, vStep, vEps, vDecay);
      radamVec(o + 48, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, rectified, vStep, vEps, vDecay);
    }
    for (; o < bytes4; o += 16) radamVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, v, vB2, vOmb2, rectified, vStep, vEps, vDecay);
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
    const upd = rectified ? (step * mv) / (sqrt<f32>(vv) + eps) : step * mv;
    store<f32>(p + o, pv * decay - upd);
  }
}

/** RAdam step with the variance rectification (rho_t > 5). State: m, v. */
export function radam(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, eps: f64, b1: f64, b2: f64, wd: f64, decay: f64, gsign: f64,
): void {
  radamCore(p, g, m, v, n, step, eps, b1, b2, wd, decay, gsign, true);
}

/** RAdam step without rectification (rho_t <= 5: momentum SGD with bias correction). State: m, v. */
export function radamUnrectified(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  step: f64, b1: f64, b2: f64, wd: f64, decay: f64, gsign: f64,
): void {
  radamCore(p, g, m, v, n, step, 0, b1, b2, wd, decay, gsign, false);
}
