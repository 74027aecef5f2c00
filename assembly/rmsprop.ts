import { flushTiny, flush, flush4, flushNonNegative, flushNonNegative4, madd4 } from './common';

/**
 * RMSprop, one fused pass (PyTorch semantics):
 *
 *   d   = gscale*g + wd*p
 *   sq  = alpha*sq + (1-alpha)*d*d
 *   ga  = alpha*ga + (1-alpha)*d                    centered only
 *   avg = sqrt(sq - ga*ga) + eps   (centered)   or   sqrt(sq) + eps
 *   buf = mu*buf + d/avg;  p = p - lr*buf          momentum > 0
 *   p   = p - lr*d/avg                              momentum = 0
 *
 * Four exports, one per state layout, so no kernel streams a buffer it does
 * not use. sq, ga and buf are flushed to zero below the flush threshold. The
 * main loop is unrolled four times.
 */
// @ts-ignore: decorator
@inline function rmspropVec(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize,
  vLr: v128, vAlpha: v128, vOma: v128, vEps: v128, vWd: v128, vGs: v128, vMu: v128, vTiny: v128,
  coupled: bool, centered: bool, withMomentum: bool,
): void {
  const pv = v128.load(p);
  let d = v128.load(g);
  d = coupled ? madd4(d, vGs, f32x4.mul(vWd, pv)) : f32x4.mul(d, vGs);
  const sRaw = madd4(v128.load(sq), vAlpha, f32x4.mul(f32x4.mul(vOma, d), d));
  // where sq is flushed, ga (|ga| <= sqrt(sq)) is too, so that sq - ga*ga stays >= 0
  const small = f32x4.lt(sRaw, vTiny);
  const s = v128.andnot(sRaw, small);
  v128.store(sq, s);
  let avg: v128;
  if (centered) {
    const a = v128.andnot(flush4(madd4(v128.load(ga), vAlpha, f32x4.mul(vOma, d)), vTiny), small);
    v128.store(ga, a);
    avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a))), vEps);
  } else {
    avg = f32x4.add(f32x4.sqrt(s), vEps);
  }
  if (withMomentum) {
    const b = flush4(madd4(v128.load(buf), vMu, f32x4.div(d, avg)), vTiny);
    v128.store(buf, b);
    v128.store(p, f32x4.sub(pv, f32x4.mul(vLr, b)));
  } else {
    v128.store(p, f32x4.sub(pv, f32x4.div(f32x4.mul(vLr, d), avg)));
  }
}

// @ts-ignore: decorator
@inline function rmspropCore(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr_: f64, alpha_: f64, eps_: f64, wd_: f64, gscale_: f64, mu_: f64,
  coupled: bool, centered: bool, withMomentum: bool,
): void {
  const lr = <f32>lr_, alpha = <f32>alpha_, oma = <f32>(1 - alpha_), eps = <f32>eps_;
  const wd = <f32>wd_, gscale = <f32>gscale_, mu = <f32>mu_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vAlpha = f32x4.splat(alpha);
    const vOma = f32x4.splat(oma);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gscale);
    const vMu = f32x4.splat(mu);
    const vTiny = f32x4.splat(flushTiny);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      rmspropVec(p + o, g + o, sq + o, ga + o, buf + o, vLr, vAlpha, vOma, vEps, vWd, vGs, vMu, vTiny, coupled, centered, withMomentum);
      rmspropVec(p + o + 16, g + o + 16, sq + o + 16, ga + o + 16, buf + o + 16, vLr, vAlpha, vOma, vEps, vWd, vGs, vMu, vTiny, coupled, centered, withMomentum);
      rmspropVec(p + o + 32, g + o + 32, sq + o + 32, ga + o + 32, buf + o + 32, vLr, vAlpha, vOma, vEps, vWd, vGs, vMu, vTiny, coupled, centered, withMomentum);
      rmspropVec(p + o + 48, g + o + 48, sq + o + 48, ga + o + 48, buf + o + 48, vLr, vAlpha, vOma, vEps, vWd, vGs, vMu, vTiny, coupled, centered, withMomentum);
    }
    for (; o < end4; o += 16) {
      rmspropVec(p + o, g + o, sq + o, ga + o, buf + o, vLr, vAlpha, vOma, vEps, vWd, vGs, vMu, vTiny, coupled, centered, withMomentum);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    let d = load<f32>(g + o);
    d = coupled ? d * gscale + wd * pv : d * gscale;
    const sRaw = load<f32>(sq + o) * alpha + oma * d * d;
    const small = sRaw < flushTiny;
    const s: f32 = small ? 0 : sRaw;
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const a: f32 = small ? 0 : flush(load<f32>(ga + o) * alpha + oma * d);
      store<f32>(ga + o, a);
      avg = sqrt<f32>(s - a * a) + eps;
    } else {
      avg = sqrt<f32>(s) + eps;
    }
    if (withMomentum) {
      const b = flush(load<f32>(buf + o) * mu + d / avg);
      store<f32>(buf + o, b);
      store<f32>(p + o, pv - lr * b);
    } else {
      store<f32>(p + o, pv - (lr * d) / avg);
    }
  }
}

/** RMSprop, state: sq. */
export function rmsprop(p: usize, g: usize, sq: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gscale: f64): void {
  if (wd != 0) rmspropCore(p, g, sq, 0, 0, n, lr, alpha, eps, wd, gscale, 0, true, false, false);
  else rmspropCore(p, g, sq, 0, 0, n, lr, alpha, eps, 0, gscale, 0, false, false, false);
}

/** RMSprop with momentum, state: sq, buf. */
export function rmspropMomentum(
  p: usize, g: usize, sq: usize, buf: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gscale: f64, mu: f64,
): void {
  if (wd != 0) rmspropCore(p, g, sq, 0, buf, n, lr, alpha, eps, wd, gscale, mu, true, false, true);
  else rmspropCore(p, g, sq, 0, buf, n, lr, alpha, eps, 0, gscale, mu, false, false, true);
}

/** Centered RMSprop, state: sq, ga. */
export function rmspropCentered(
  p: usize, g: usize, sq: usize, ga: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gscale: f64,
): void {
  if (wd != 0) rmspropCore(p, g, sq, ga, 0, n, lr, alpha, eps, wd, gscale, 0, true, true, false);
  else rmspropCore(p, g, sq, ga, 0, n, lr, alpha, eps, 0, gscale, 0, false, true, false);
}

/** Centered RMSprop with momentum, state: sq, ga, buf. */
export function rmspropCenteredMomentum(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f64, alpha: f64, eps: f64, wd: f64, gscale: f64, mu: f64,
): void {
  if (wd != 0) rmspropCore(p, g, sq, ga, buf, n, lr, alpha, eps, wd, gscale, mu, true, true, true);
  else rmspropCore(p, g, sq, ga, buf, n, lr, alpha, eps, 0, gscale, mu, false, true, true);
}
