import { grad, grad4 } from './common';

/**
 * Adagrad, one fused pass:
 *
 *   d   = gsign*g + wd*p
 *   sum = sum + d*d
 *   p   = p - clr*d / (sqrt(sum) + eps)
 *
 * clr = lr / (1 + (t-1)*lrDecay) is computed in double by the caller. sum
 * only grows, so it needs no flush to zero.
 */
export function adagrad(p: usize, g: usize, sum: usize, n: i32, clr_: f64, eps_: f64, wd_: f64, gsign_: f64): void {
  const clr = <f32>clr_, eps = <f32>eps_, wd = <f32>wd_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vClr = f32x4.splat(clr);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const d = grad4(v128.load(g + o), pv, vGs, vWd);
      const s = f32x4.add(v128.load(sum + o), f32x4.mul(d, d));
      v128.store(sum + o, s);
      const std = f32x4.add(f32x4.sqrt(s), vEps);
      v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(vClr, d), std)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const s = load<f32>(sum + o) + d * d;
    store<f32>(sum + o, s);
    store<f32>(p + o, pv - (clr * d) / (sqrt<f32>(s) + eps));
  }
}
