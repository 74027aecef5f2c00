import { flushTiny, flush4, flushIf, flushIf4, madd4, nmadd4 } from './common';

/**
 * RMSprop, one fused pass (PyTorch semantics), b2 = PyTorch's alpha:
 *
 *   d   = gscale*g + wd*p
 *   sq  = b2*sq + (1-b2)*d*d
 *   ga  = b2*ga + (1-b2)*d                          centered only
 *   avg = sqrt(sq - ga*ga) + eps   (centered)   or   sqrt(sq) + eps
 *   buf = mu*buf + d/avg;  p = p - lr*buf          momentum > 0
 *   p   = p - lr*d/avg                              momentum = 0
 *
 * Four exports, one per state layout, so no kernel streams a buffer it does
 * not use. sq, ga and buf are flushed to zero on flush steps. The
 * main loop is unrolled four times.
 */
// @ts-ignore: decorator
@inline function rmspropVec(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  vLr: v128, vB2: v128, vOmb2: v128, vMu: v128, vEps: v128, vWd: v128, vGs: v128, vTiny: v128,
  coupled: bool, flushing: bool, centered: bool, withMomentum: bool,
): void {
  const pv = v128.load(p);
  let d = v128.load(g);
  d = coupled ? madd4(d, vGs, f32x4.mul(vWd, pv)) : f32x4.mul(d, vGs);
  const sRaw = madd4(v128.load(sq), vB2, f32x4.mul(f32x4.mul(vOmb2, d), d));
  // where sq is flushed, ga (|ga| <= sqrt(sq)) is too, so that sq - ga*ga stays >= 0
  const small = f32x4.lt(sRaw, vTiny);
  const s = flushing ? v128.andnot(sRaw, small) : sRaw;
  v128.store(sq, s);
  let avg: v128;
  if (centered) {
    const aRaw = madd4(v128.load(ga), vB2, f32x4.mul(vOmb2, d));
    const a = flushing ? v128.andnot(flush4(aRaw, vTiny), small) : aRaw;
    v128.store(ga, a);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a))), vEps);
  } else {
    avg = f32x4.add(f32x4.sqrt(s), vEps);
  }
  if (withMomentum) {
    const b = flushIf4(madd4(v128.load(buf), vMu, f32x4.div(d, avg)), vTiny, flushing);
    v128.store(buf, b);
    v128.store(p, nmadd4(vLr, b, pv));
  } else {
    v128.store(p, f32x4.sub(pv, f32x4.div(f32x4.mul(vLr, d), avg)));
  }
}

// @ts-ignore: decorator
@inline function rmspropCore(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr_: f64, b2_: f64, mu_: f64, eps_: f64, wd_: f64, gscale_: f64,
  coupled: bool, flushing: bool, centered: bool, withMomentum: bool,
): void {
  const lr = <f32>lr_, b2 = <f32>b2_, omb2 = <f32>(1 - b2_), eps = <f32>eps_;
  const wd = <f32>wd_, gscale = <f32>gscale_, mu = <f32>mu_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vB2 = f32x4.splat(b2);
    const vOmb2 = f32x4.splat(omb2);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gscale);
    const vMu = f32x4.splat(mu);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      rmspropVec(p + o, g + o, sq + o, ga + o, buf + o, vLr, vB2, vOmb2, vMu, vEps, vWd, vGs, vTiny, coupled, flushing, centered, withMomentum);
      rmspropVec(p + o + 16, g + o + 16, sq + o + 16, ga + o + 16, buf + o + 16, vLr, vB2, vOmb2, vMu, vEps, vWd, vGs, vTiny, coupled, flushing, centered, withMomentum);
      rmspropVec(p + o + 32, g + o + 32, sq + o + 32, ga + o + 32, buf + o + 32, vLr, vB2, vOmb2, vMu, vEps, vWd, vGs, vTiny, coupled, flushing, centered, withMomentum);
      rmspropVec(p + o + 48, g + o + 48, sq + o + 48, ga + o + 48, buf + o + 48, vLr, vB2, vOmb2, vMu, vEps, vWd, vGs, vTiny, coupled, flushing, centered, withMomentum);
    }
    for (; o < end4; o += 16) {
      rmspropVec(p + o, g + o, sq + o, ga + o, buf + o, vLr, vB2, vOmb2, vMu, vEps, vWd, vGs, vTiny, coupled, flushing, centered, withMomentum);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = load<f32>(g + o);
    d = coupled ? d * gscale + wd * pv : d * gscale;
    const sRaw = load<f32>(sq + o) * b2 + omb2 * d * d;
    const small = flushing && sRaw < flushTiny;
    const s: f32 = small ? 0 : sRaw;
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const a: f32 = small ? 0 : flushIf(load<f32>(ga + o) * b2 + omb2 * d, flushing);
      store<f32>(ga + o, a);
      avg = sqrt<f32>(s - a * a) + eps;
    } else {
      avg = sqrt<f32>(s) + eps;
    }
    if (withMomentum) {
      const b = flushIf(load<f32>(buf + o) * mu + (d / avg), flushing);
      store<f32>(buf + o, b);
      store<f32>(p + o, pv - lr * b);
    } else {
      store<f32>(p + o, pv - ((lr * d) / avg));
    }
  }
}

// @ts-ignore: decorator
@inline function rmspropDispatch(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f64, b2: f64, mu: f64, eps: f64, wd: f64, gscale: f64, centered: bool, withMomentum: bool,
): void {
  const c = wd != 0, fl = flushTiny != 0;
  if (c) {
    if (fl) rmspropCore(p, g, sq, ga, buf, n, lr, b2, mu, eps, wd, gscale, true, true, centered, withMomentum);
    else rmspropCore(p, g, sq, ga, buf, n, lr, b2, mu, eps, wd, gscale, true, false, centered, withMomentum);
  } else if (fl) rmspropCore(p, g, sq, ga, buf, n, lr, b2, mu, eps, 0, gscale, false, true, centered, withMomentum);
  else rmspropCore(p, g, sq, ga, buf, n, lr, b2, mu, eps, 0, gscale, false, false, centered, withMomentum);
}

/** RMSprop, state: sq. */
export function rmsprop(p: usize, g: usize, sq: usize, n: i32, lr: f64, b2: f64, eps: f64, wd: f64, gscale: f64): void {
  rmspropDispatch(p, g, sq, 0, 0, n, lr, b2, 0, eps, wd, gscale, false, false);
}

/** RMSprop with momentum (mu), state: sq, buf. */
export function rmspropMomentum(
  p: usize, g: usize, sq: usize, buf: usize, n: i32, lr: f64, b2: f64, mu: f64, eps: f64, wd: f64, gscale: f64,
): void {
  rmspropDispatch(p, g, sq, 0, buf, n, lr, b2, mu, eps, wd, gscale, false, true);
}

/** Centered RMSprop, state: sq, ga. */
export function rmspropCentered(
  p: usize, g: usize, sq: usize, ga: usize, n: i32, lr: f64, b2: f64, eps: f64, wd: f64, gscale: f64,
): void {
  rmspropDispatch(p, g, sq, ga, 0, n, lr, b2, 0, eps, wd, gscale, true, false);
}

/** Centered RMSprop with momentum (mu), state: sq, ga, buf. */
export function rmspropCenteredMomentum(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f64, b2: f64, mu: f64, eps: f64, wd: f64, gscale: f64,
): void {
  rmspropDispatch(p, g, sq, ga, buf, n, lr, b2, mu, eps, wd, gscale, true, true);
}
