import { flushTiny, flush, flush4, grad, grad4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function adadeltaVec(
  o: usize, p: usize, g: usize, vGs: v128, vWd: v128, sq: usize, vRho: v128, vOmr: v128, vTiny: v128, acc: usize, vEps: v128, vLr: v128,
): void {
  const pv = v128.load(p + o);
  const d = grad4(v128.load(g + o), pv, vGs, vWd);
  const s = flush4(f32x4.add(f32x4.mul(v128.load(sq + o), vRho), f32x4.mul(f32x4.mul(vOmr, d), d)), vTiny);
  v128.store(sq + o, s);
  const a = v128.load(acc + o);
  const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(a, vEps)), f32x4.sqrt(f32x4.add(s, vEps))), d);
  v128.store(acc + o, flush4(f32x4.add(f32x4.mul(a, vRho), f32x4.mul(f32x4.mul(vOmr, delta), delta)), vTiny));
  v128.store(p + o, f32x4.sub(pv, f32x4.mul(vLr, delta)));
}

/**
 * Adadelta, one fused pass (PyTorch semantics; Zeiler 2012):
 *
 *   d     = gsign*g + wd*p
 *   sq    = rho*sq + (1-rho)*d*d
 *   delta = sqrt(acc + eps) / sqrt(sq + eps) * d
 *   acc   = rho*acc + (1-rho)*delta*delta
 *   p     = p - lr*delta
 *
 * sq and acc are flushed to zero below FLT_MIN.
 */
export function adadelta(
  p: usize, g: usize, sq: usize, acc: usize, n: i32,
  lr_: f64, rho_: f64, eps_: f64, wd_: f64, gsign_: f64,
): void {
  const lr = <f32>lr_, rho = <f32>rho_, omr = <f32>(1 - rho_), eps = <f32>eps_, wd = <f32>wd_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vRho = f32x4.splat(rho);
    const vOmr = f32x4.splat(omr);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const bytes4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      adadeltaVec(o, p, g, vGs, vWd, sq, vRho, vOmr, vTiny, acc, vEps, vLr);
      adadeltaVec(o + 16, p, g, vGs, vWd, sq, vRho, vOmr, vTiny, acc, vEps, vLr);
      adadeltaVec(o + 32, p, g, vGs, vWd, sq, vRho, vOmr, vTiny, acc, vEps, vLr);
      adadeltaVec(o + 48, p, g, vGs, vWd, sq, vRho, vOmr, vTiny, acc, vEps, vLr);
    }
    for (; o < bytes4; o += 16) adadeltaVec(o, p, g, vGs, vWd, sq, vRho, vOmr, vTiny, acc, vEps, vLr);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const s = flush(load<f32>(sq + o) * rho + omr * d * d);
    store<f32>(sq + o, s);
    const a = load<f32>(acc + o);
    const delta = (sqrt<f32>(a + eps) / sqrt<f32>(s + eps)) * d;
    store<f32>(acc + o, flush(a * rho + omr * delta * delta));
    store<f32>(p + o, pv - lr * delta);
  }
}
