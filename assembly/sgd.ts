import { FLT_MIN, flush, flush4, grad, grad4 } from './common';

/**
 * Plain gradient descent (SGD with momentum 0; also full-batch and mini-batch GD):
 *
 *   p = p - lr*(gsign*g + wd*p)
 */
export function sgd(p: usize, g: usize, n: i32, lr_: f64, wd_: f64, gsign_: f64): void {
  const lr = <f32>lr_, wd = <f32>wd_, gsign = <f32>gsign_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const d = grad4(v128.load(g + o), pv, vGs, vWd);
      v128.store(p + o, f32x4.sub(pv, f32x4.mul(vLr, d)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    store<f32>(p + o, pv - lr * grad(load<f32>(g + o), pv, gsign, wd));
  }
}

/**
 * Heavy-ball momentum in one pass. With d = gsign*g + wd*p:
 *
 *   buf = mu*buf + c*d
 *   p   = p - lr*(a*d + k*buf)
 *
 * The caller picks the coefficients, so one loop serves every variant:
 *   PyTorch SGD, first step: mu = 0, c = 1                 (buf = d, buf starts at 0)
 *   PyTorch SGD, later:      mu = momentum, c = 1 - dampening
 *   plain:                   a = 0, k = 1                  (p -= lr*buf)
 *   Nesterov:                a = 1, k = momentum           (p -= lr*(d + momentum*buf))
 *   Momentum class:          mu = beta, c = 1 - beta, a = 0, k = 1
 * buf is flushed to zero below FLT_MIN.
 */
export function sgdMomentum(
  p: usize, g: usize, buf: usize, n: i32,
  lr_: f64, wd_: f64, gsign_: f64, mu_: f64, c_: f64, a_: f64, k_: f64,
): void {
  const lr = <f32>lr_, wd = <f32>wd_, gsign = <f32>gsign_, mu = <f32>mu_, c = <f32>c_, a = <f32>a_, k = <f32>k_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const vMu = f32x4.splat(mu);
    const vC = f32x4.splat(c);
    const vA = f32x4.splat(a);
    const vK = f32x4.splat(k);
    const vTiny = f32x4.splat(FLT_MIN);
    const bytes4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < bytes4; o += 16) {
      const pv = v128.load(p + o);
      const d = grad4(v128.load(g + o), pv, vGs, vWd);
      const b = flush4(f32x4.add(f32x4.mul(v128.load(buf + o), vMu), f32x4.mul(vC, d)), vTiny);
      v128.store(buf + o, b);
      const step = f32x4.add(f32x4.mul(vA, d), f32x4.mul(vK, b));
      v128.store(p + o, f32x4.sub(pv, f32x4.mul(vLr, step)));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const b = flush(load<f32>(buf + o) * mu + c * d);
    store<f32>(buf + o, b);
    store<f32>(p + o, pv - lr * (a * d + k * b));
  }
}
