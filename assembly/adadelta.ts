import { flushTiny, flushPosIf, flushPosIf4, grad4c, gradc, isCoupled, madd4, nmadd4 } from './common';

/**
 * Adadelta, one fused pass (PyTorch semantics; Zeiler 2012), b2 = PyTorch's rho:
 *
 *   d     = gscale*g + wd*p
 *   sq    = b2*sq + (1-b2)*d*d
 *   delta = sqrt(acc + eps) / sqrt(sq + eps) * d
 *   acc   = b2*acc + (1-b2)*delta*delta
 *   p     = p - lr*delta
 *
 * Folded (wd = 0, gscale = ±1): sq and acc only see squares, so the sign goes
 * into lr. sq and acc are flushed to zero on flush steps.
 */
// @ts-ignore: decorator
@inline function adadeltaVec(
  p: usize, g: usize, sq: usize, acc: usize,
  vLr: v128, vB2: v128, vOmb2: v128, vEps: v128, vWd: v128, vGs: v128, vTiny: v128,
  coupled: bool, flushing: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const s = flushPosIf4(madd4(v128.load(sq), vB2, f32x4.mul(f32x4.mul(vOmb2, d), d)), vTiny, flushing);
  v128.store(sq, s);
  const a = v128.load(acc);
  const delta = f32x4.mul(f32x4.div(f32x4.sqrt(f32x4.add(a, vEps)), f32x4.sqrt(f32x4.add(s, vEps))), d);
  v128.store(acc, flushPosIf4(madd4(a, vB2, f32x4.mul(f32x4.mul(vOmb2, delta), delta)), vTiny, flushing));
  v128.store(p, nmadd4(vLr, delta, pv));
}

// @ts-ignore: decorator
@inline function adadeltaCore(
  p: usize, g: usize, sq: usize, acc: usize, n: i32,
  lr_: f64, b2_: f64, eps_: f64, wd_: f64, gscale_: f64,
  coupled: bool, flushing: bool,
): void {
  const b2 = <f32>b2_, omb2 = <f32>(1 - b2_), eps = <f32>eps_, wd = <f32>wd_, gscale = <f32>gscale_;
  const lr = coupled ? <f32>lr_ : <f32>lr_ * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr), vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vGs = f32x4.splat(gscale), vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      adadeltaVec(p + o, g + o, sq + o, acc + o, vLr, vB2, vOmb2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adadeltaVec(p + o + 16, g + o + 16, sq + o + 16, acc + o + 16, vLr, vB2, vOmb2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adadeltaVec(p + o + 32, g + o + 32, sq + o + 32, acc + o + 32, vLr, vB2, vOmb2, vEps, vWd, vGs, vTiny, coupled, flushing);
      adadeltaVec(p + o + 48, g + o + 48, sq + o + 48, acc + o + 48, vLr, vB2, vOmb2, vEps, vWd, vGs, vTiny, coupled, flushing);
    }
    for (; o < end4; o += 16) adadeltaVec(p + o, g + o, sq + o, acc + o, vLr, vB2, vOmb2, vEps, vWd, vGs, vTiny, coupled, flushing);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = gradc(load<f32>(g + o), pv, gscale, wd, coupled);
    const s = flushPosIf(load<f32>(sq + o) * b2 + omb2 * d * d, flushing);
    store<f32>(sq + o, s);
    const a = load<f32>(acc + o);
    const delta = ((sqrt<f32>(a + eps)) / (sqrt<f32>(s + eps))) * d;
    store<f32>(acc + o, flushPosIf(a * b2 + omb2 * delta * delta, flushing));
    store<f32>(p + o, pv - lr * delta);
  }
}

/** Adadelta. State: sq (square average), acc (accumulated delta). */
export function adadelta(
  p: usize, g: usize, sq: usize, acc: usize, n: i32,
  lr: f64, b2: f64, eps: f64, wd: f64, gscale: f64,
): void {
  const c = isCoupled(wd, gscale), fl = flushTiny != 0;
  if (c) {
    if (fl) adadeltaCore(p, g, sq, acc, n, lr, b2, eps, wd, gscale, true, true);
    else adadeltaCore(p, g, sq, acc, n, lr, b2, eps, wd, gscale, true, false);
  } else if (fl) adadeltaCore(p, g, sq, acc, n, lr, b2, eps, 0, gscale, false, true);
  else adadeltaCore(p, g, sq, acc, n, lr, b2, eps, 0, gscale, false, false);
}
