import { grad, grad4 } from './common';

// One f32x4 vector of the kernel below (inlined; its main loop runs four per iteration).
// @ts-ignore: decorator
@inline function asgdVec(
  o: usize, p: usize, g: usize, vGs: v128, vWd: v128, vDecay: v128, vEta: v128, average: bool, ax: usize, vMu: v128,
): void {
  const pv = v128.load(p + o);
  const d = grad4(v128.load(g + o), pv, vGs, vWd);
  const np = f32x4.sub(f32x4.mul(pv, vDecay), f32x4.mul(vEta, d));
  v128.store(p + o, np);
  if (average) {
    const a = v128.load(ax + o);
    v128.store(ax + o, f32x4.add(a, f32x4.mul(f32x4.sub(np, a), vMu)));
  } else {
    v128.store(ax + o, np);
}
}

/**
 * ASGD (averaged SGD), one fused pass (PyTorch semantics; Polyak & Juditsky 1992):
 *
 *   d  = gsign*g + wd*p
 *   p  = decay*p - eta*d          decay = 1 - lambd*eta
 *   ax = p                        mu == 1: asgd
 *   ax = ax + (p - ax)*mu         mu != 1: asgdAverage
 *
 * eta and mu are the group's running scalars of the previous step (eta = lr
 * and mu = 1 on the first), kept and advanced in double by the caller:
 *   eta_t = lr / (1 + lambd*lr*t)^alpha,  mu_t = 1 / max(1, t - t0).
 * ax is an average of parameters, not a decaying quantity: it is not flushed.
 */
// @ts-ignore: decorator
@inline function asgdCore(
  p: usize, g: usize, ax: usize, n: i32,
  eta_: f64, decay_: f64, wd_: f64, gsign_: f64, mu_: f64,
  average: bool,
): void {
  const eta = <f32>eta_, decay = <f32>decay_, wd = <f32>wd_, gsign = <f32>gsign_, mu = <f32>mu_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vEta = f32x4.splat(eta);
    const vDecay = f32x4.splat(decay);
    const vWd = f32x4.splat(wd);
    const vGs = f32x4.splat(gsign);
    const vMu = f32x4.splat(mu);
    const end16 = (<usize>n & ~15) << 2;
    const bytes4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      asgdVec(o, p, g, vGs, vWd, vDecay, vEta, average, ax, vMu);
      asgdVec(o + 16, p, g, vGs, vWd, vDecay, vEta, average, ax, vMu);
      asgdVec(o + 32, p, g, vGs, vWd, vDecay, vEta, average, ax, vMu);
      asgdVec(o + 48, p, g, vGs, vWd, vDecay, vEta, average, ax, vMu);
    }
    for (; o < bytes4; o += 16) asgdVec(o, p, g, vGs, vWd, vDecay, vEta, average, ax, vMu);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = grad(load<f32>(g + o), pv, gsign, wd);
    const np = pv * decay - eta * d;
    store<f32>(p + o, np);
    if (average) {
      const a = load<f32>(ax + o);
      store<f32>(ax + o, a + (np - a) * mu);
    } else {
      store<f32>(ax + o, np);
    }
  }
}

/** ASGD while mu = 1 (before averaging starts): ax copies p. State: ax. */
export function asgd(p: usize, g: usize, ax: usize, n: i32, eta: f64, decay: f64, wd: f64, gsign: f64): void {
  asgdCore(p, g, ax, n, eta, decay, wd, gsign, 1, false);
}

/** ASGD once mu < 1: ax moves toward p by mu. State: ax. */
export function asgdAverage(
  p: usize, g: usize, ax: usize, n: i32, eta: f64, decay: f64, wd: f64, gsign: f64, mu: f64,
): void {
  asgdCore(p, g, ax, n, eta, decay, wd, gsign, mu, true);
}
