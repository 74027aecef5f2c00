import { FLT_MIN, flush, flush4, grad, grad4 } from './common';

/**
 * RMSprop, one fused pass (PyTorch semantics):
 *
 *   d   = gsign*g + wd*p
 *   sq  = alpha*sq + (1-alpha)*d*d
 *   ga  = alpha*ga + (1-alpha)*d                    centered only
 *   avg = sqrt(sq - ga*ga) + eps   (centered)   or   sqrt(sq) + eps
 *   buf = mu*buf + d/avg;  p = p - lr*buf          momentum > 0
 *   p   = p - lr*d/avg                              momentum = 0
 *
 * Four exports, one per state layout, so no kernel streams a buffer it does
 * not use. sq, ga and buf are flushed to zero below FLT_MIN.
 */
// @ts-ignore: decorator
@inline function rmspropCore(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr_: f64, alpha_: f64, eps_: f64, wd_: f64, gsign_: f64, mu_: f64,
  centered: bool, withMomentum: bool,
): void {
  const lr = <f32>lr_, alpha = <f32>alpha_, oma = <f32>(1 - alpha_), eps = <f32>eps_;
  const wd = <f32>wd_, gsign = <f32>gsign_, mu = <f32>mu_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vAlpha = f32x4.splat(alpha);
    const vOma = f32x4.splat(oma);
    const vEps = f32x4.splat(eps);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const vMu = f32x4.splat(mu);
    const vTiny = f32x4.splat(FLT_MIN);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const d = grad4(v128.load(g + o), pv, vGs, vWd);
      const s = flush4(f32x4.add(f32x4.mul(v128.load(sq + o), vAlpha), f32x4.mul(f32x4.mul(vOma, d), d)), vTiny);
      v128.store(sq + o, s);
      let avg: v128;
      if (centered) {
        const a = flush4(f32x4.add(f32x4.mul(v128.load(ga + o), vAlpha), f32x4.mul(vOma, d)), vTiny);
        v128.store(ga + o, a);
        avg = f32x4.add(f32x4.sqrt(f32x4.sub(s, f32x4.mul(a, a))), vEps);
      } else {
        avg = f32x4.add(f32x4.sqrt(s), vEps);
      }
      if (withMomentum) {
        const b = flush4(f32x4.add(f32x4.mul(v128.load(buf + o), vMu), f32x4.div(d, avg)), vTiny);
        v128.store(buf + o, b);
        v128.store(p + o, f32x4.sub(pv, f32x4.mul(vLr, b)));
      } else {
        v128.store(p + o, f32x4.sub(pv, f32x4.div(f32x4.mul(vLr, d), avg)));
      }
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const s = flush(load<f32>(sq + o) * alpha + oma * d * d);
    store<f32>(sq + o, s);
    let avg: f32;
    if (centered) {
      const a = flush(load<f32>(ga + o) * alpha + oma * d);
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
export function rmsprop(p: usize, g: usize, sq: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gsign: f64): void {
  rmspropCore(p, g, sq, 0, 0, n, lr, alpha, eps, wd, gsign, 0, false, false);
}

/** RMSprop with momentum, state: sq, buf. */
export function rmspropMomentum(
  p: usize, g: usize, sq: usize, buf: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gsign: f64, mu: f64,
): void {
  rmspropCore(p, g, sq, 0, buf, n, lr, alpha, eps, wd, gsign, mu, false, true);
}

/** Centered RMSprop, state: sq, ga. */
export function rmspropCentered(
  p: usize, g: usize, sq: usize, ga: usize, n: i32, lr: f64, alpha: f64, eps: f64, wd: f64, gsign: f64,
): void {
  rmspropCore(p, g, sq, ga, 0, n, lr, alpha, eps, wd, gsign, 0, true, false);
}

/** Centered RMSprop with momentum, state: sq, ga, buf. */
export function rmspropCenteredMomentum(
  p: usize, g: usize, sq: usize, ga: usize, buf: usize, n: i32,
  lr: f64, alpha: f64, eps: f64, wd: f64, gsign: f64, mu: f64,
): void {
  rmspropCore(p, g, sq, ga, buf, n, lr, alpha, eps, wd, gsign, mu, true, true);
}
