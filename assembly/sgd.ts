import { flushTiny, flushIf, flushIf4, isCoupled, madd4, nmadd4 } from './common';

/**
 * Plain gradient descent (SGD with momentum 0; also full-batch and mini-batch GD):
 *
 *   p = p - lr*(gscale*g + wd*p)
 *
 * With wd = 0 and gscale = ±1 the sign folds into the step, p - (lr*gscale)*g, which
 * is exact. The main loop is unrolled four times.
 */
// @ts-ignore: decorator
@inline function sgdVec(p: usize, g: usize, vLr: v128, vWd: v128, vGs: v128, coupled: bool): void {
  const pv = v128.load(p);
  let d = v128.load(g);
  if (coupled) d = madd4(d, vGs, f32x4.mul(vWd, pv));
  v128.store(p, nmadd4(vLr, d, pv));
}

// @ts-ignore: decorator
@inline function sgdCore(p: usize, g: usize, n: i32, lr_: f64, wd_: f64, gscale_: f64, coupled: bool): void {
  const wd = <f32>wd_, gscale = <f32>gscale_;
  const lr = coupled ? <f32>lr_ : <f32>lr_ * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gscale);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      sgdVec(p + o, g + o, vLr, vWd, vGs, coupled);
      sgdVec(p + o + 16, g + o + 16, vLr, vWd, vGs, coupled);
      sgdVec(p + o + 32, g + o + 32, vLr, vWd, vGs, coupled);
      sgdVec(p + o + 48, g + o + 48, vLr, vWd, vGs, coupled);
    }
    for (; o < end4; o += 16) sgdVec(p + o, g + o, vLr, vWd, vGs, coupled);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (coupled) d = d * gscale + wd * pv;
    store<f32>(p + o, pv - lr * d);
  }
}

/** Gradient descent. No state. */
export function sgd(p: usize, g: usize, n: i32, lr: f64, wd: f64, gscale: f64): void {
  if (isCoupled(wd, gscale)) sgdCore(p, g, n, lr, wd, gscale, true);
  else sgdCore(p, g, n, lr, 0, gscale, false);
}

/**
 * Heavy-ball momentum in one pass. With d = gscale*g + wd*p:
 *
 *   buf = b1*buf + c*d
 *   p   = p - lr*buf                  (classical)
 *   p   = p - lr*(d + k*buf)          (Nesterov, k = momentum)
 *
 * The caller picks the coefficients, so one kernel serves every variant:
 *   PyTorch SGD, first step: b1 = 0, c = 1                (buf = d; buf starts at 0)
 *   PyTorch SGD, later:      b1 = momentum, c = 1 - dampening
 *   Momentum class:          b1 = beta, c = 1 - beta
 * buf is flushed to zero on flush steps. Without weight decay the sign of g
 * folds into c and a (exact). The main loop is unrolled four times.
 */
// @ts-ignore: decorator
@inline function sgdMomentumVec(
  p: usize, g: usize, buf: usize,
  vLr: v128, vB1: v128, vC: v128, vA: v128, vK: v128, vWd: v128, vGs: v128, vTiny: v128,
  coupled: bool, flushing: bool, nesterov: bool,
): void {
  const pv = v128.load(p);
  let d = v128.load(g);
  if (coupled) d = madd4(d, vGs, f32x4.mul(vWd, pv));
  const b = flushIf4(madd4(v128.load(buf), vB1, f32x4.mul(vC, d)), vTiny, flushing);
  v128.store(buf, b);
  const step = nesterov ? madd4(vA, d, f32x4.mul(vK, b)) : b;
  v128.store(p, nmadd4(vLr, step, pv));
}

// @ts-ignore: decorator
@inline function sgdMomentumCore(
  p: usize, g: usize, buf: usize, n: i32,
  lr_: f64, b1_: f64, c_: f64, k_: f64, wd_: f64, gscale_: f64,
  coupled: bool, flushing: bool, nesterov: bool,
): void {
  const lr = <f32>lr_, wd = <f32>wd_, gscale = <f32>gscale_, b1 = <f32>b1_, k = <f32>k_;
  // c*d and a*d with d = gscale*g: fold the sign when there is no coupled decay
  const c = coupled ? <f32>c_ : <f32>c_ * gscale;
  const a: f32 = coupled ? 1 : gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gscale);
    const vB1 = f32x4.splat(b1);
    const vC = f32x4.splat(c);
    const vA = f32x4.splat(a);
    const vK = f32x4.splat(k);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      sgdMomentumVec(p + o, g + o, buf + o, vLr, vB1, vC, vA, vK, vWd, vGs, vTiny, coupled, flushing, nesterov);
      sgdMomentumVec(p + o + 16, g + o + 16, buf + o + 16, vLr, vB1, vC, vA, vK, vWd, vGs, vTiny, coupled, flushing, nesterov);
      sgdMomentumVec(p + o + 32, g + o + 32, buf + o + 32, vLr, vB1, vC, vA, vK, vWd, vGs, vTiny, coupled, flushing, nesterov);
      sgdMomentumVec(p + o + 48, g + o + 48, buf + o + 48, vLr, vB1, vC, vA, vK, vWd, vGs, vTiny, coupled, flushing, nesterov);
    }
    for (; o < end4; o += 16) {
      sgdMomentumVec(p + o, g + o, buf + o, vLr, vB1, vC, vA, vK, vWd, vGs, vTiny, coupled, flushing, nesterov);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = load<f32>(g + o);
    if (coupled) d = d * gscale + wd * pv;
    const b = flushIf(load<f32>(buf + o) * b1 + c * d, flushing);
    store<f32>(buf + o, b);
    const step = nesterov ? a * d + k * b : b;
    store<f32>(p + o, pv - lr * step);
  }
}

/**
 * SGD with momentum (b1 = the momentum factor mu): `nesterov` = 0 or 1; k is the
 * Nesterov look-ahead factor (momentum), ignored without Nesterov. State: buf.
 */
export function sgdMomentum(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f64, b1: f64, c: f64, nesterov: i32, k: f64, wd: f64, gscale: f64,
): void {
  const cp = isCoupled(wd, gscale), fl = flushTiny != 0;
  if (nesterov) {
    if (cp) {
      if (fl) sgdMomentumCore(p, g, buf, n, lr, b1, c, k, wd, gscale, true, true, true);
      else sgdMomentumCore(p, g, buf, n, lr, b1, c, k, wd, gscale, true, false, true);
    } else if (fl) sgdMomentumCore(p, g, buf, n, lr, b1, c, k, 0, gscale, false, true, true);
    else sgdMomentumCore(p, g, buf, n, lr, b1, c, k, 0, gscale, false, false, true);
  } else if (cp) {
    if (fl) sgdMomentumCore(p, g, buf, n, lr, b1, c, k, wd, gscale, true, true, false);
    else sgdMomentumCore(p, g, buf, n, lr, b1, c, k, wd, gscale, true, false, false);
  } else if (fl) sgdMomentumCore(p, g, buf, n, lr, b1, c, k, 0, gscale, false, true, false);
  else sgdMomentumCore(p, g, buf, n, lr, b1, c, k, 0, gscale, false, false, false);
}
