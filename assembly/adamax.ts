import { flushTiny, flush, flush4, grad, grad4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function adamaxVec(
  o: usize, p: usize, g: usize, vGs: v128, vWd: v128, m: usize, vB1: v128, vOmb1: v128, vTiny: v128, u: usize, vB2: v128, vEps: v128, vClr: v128,
): void {
  const pv = v128.load(p + o);
  const d = grad4(v128.load(g + o), pv, vGs, vWd);
  const mv = flush4(f32x4.add(f32x4.mul(v128.load(m + o), vB1), f32x4.mul(vOmb1, d)), vTiny);
  const uv = flush4(f32x4.max(f32x4.mul(v128.load(u + o), vB2), f32x4.add(f32x4.abs(d), vEps)), vTiny);
  v128.store(m + o, mv);
  v128.store(u + o, uv);
  v128.store(p + o, f32x4.sub(pv, f32x4.mul(vClr, f32x4.div(mv, uv))));
}

/**
 * Adamax, one fused pass (PyTorch semantics; Kingma & Ba 2015, section 7.1):
 *
 *   d = gsign*g + wd*p
 *   m = b1*m + (1-b1)*d
 *   u = max(b2*u, |d| + eps)
 *   p = p - clr * (m / u)
 *
 * clr = lr / (1 - b1^t) is computed in double by the caller. max keeps NaN,
 * as torch.amax does. m and u are flushed to zero below FLT_MIN.
 */
export function adamax(
  p: usize, g: usize, m: usize, u: usize, n: i32,
  clr_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, gsign_: f64,
): void {
  const clr = <f32>clr_, b1 = <f32>b1_, omb1 = <f32>(1 - b1_), b2 = <f32>b2_, eps = <f32>eps_;
  const wd = <f32>wd_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vClr = f32x4.splat(clr);
    const vB1 = f32x4.splat(b1);
    const vOmb1 = f32x4.splat(omb1);
    const vB2 = f32x4.splat(b2);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const bytes4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      adamaxVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, u, vB2, vEps, vClr);
      adamaxVec(o + 16, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, u, vB2, vEps, vClr);
      adamaxVec(o + 32, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, u, vB2, vEps, vClr);
      adamaxVec(o + 48, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, u, vB2, vEps, vClr);
    }
    for (; o < bytes4; o += 16) adamaxVec(o, p, g, vGs, vWd, m, vB1, vOmb1, vTiny, u, vB2, vEps, vClr);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const mv = flush(load<f32>(m + o) * b1 + omb1 * d);
    const uv = flush(max<f32>(load<f32>(u + o) * b2, abs<f32>(d) + eps));
    store<f32>(m + o, mv);
    store<f32>(u + o, uv);
    store<f32>(p + o, pv - clr * (mv / uv));
  }
}
