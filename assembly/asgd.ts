import { grad4c, gradc, isCoupled, madd4, msub4, nmadd4 } from './common';

/**
 * ASGD (averaged SGD), one fused pass (PyTorch semantics; Polyak & Juditsky 1992):
 *
 *   d  = gscale*g + wd*p
 *   p  = decay*p - eta*d          decay = 1 - lambd*eta
 *   ax = p                        mu == 1: asgd
 *   ax = ax + (p - ax)*mu         mu != 1: asgdAverage
 *
 * eta and mu are the group's running scalars of the previous step (eta = lr
 * and mu = 1 on the first), kept and advanced in double by the caller:
 *   eta_t = lr / (1 + lambd*lr*t)^alpha,  mu_t = 1 / max(1, t - t0).
 * Folded (wd = 0, gscale = ±1): the sign goes into eta. ax is an average of
 * parameters, not a decaying quantity: it is not flushed.
 */
// @ts-ignore: decorator
@inline function asgdVec(
  p: usize, g: usize, ax: usize,
  vEta: v128, vMu: v128, vWd: v128, vDecay: v128, vGs: v128,
  coupled: bool, decoupled: bool, average: bool,
): void {
  const pv = v128.load(p);
  const d = grad4c(v128.load(g), pv, vGs, vWd, coupled);
  const np = decoupled ? msub4(pv, vDecay, f32x4.mul(vEta, d)) : nmadd4(vEta, d, pv);
  v128.store(p, np);
  if (average) {
    const a = v128.load(ax);
    v128.store(ax, madd4(f32x4.sub(np, a), vMu, a));
  } else {
    v128.store(ax, np);
  }
}

// @ts-ignore: decorator
@inline function asgdCore(
  p: usize, g: usize, ax: usize, n: i32,
  eta_: f64, mu_: f64, wd_: f64, decay_: f64, gscale_: f64,
  coupled: bool, decoupled: bool, average: bool,
): void {
  const mu = <f32>mu_, wd = <f32>wd_, decay = <f32>decay_, gscale = <f32>gscale_;
  const eta = coupled ? <f32>eta_ : <f32>eta_ * gscale;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vEta = f32x4.splat(eta), vMu = f32x4.splat(mu), vWd = f32x4.splat(wd), vDecay = f32x4.splat(decay), vGs = f32x4.splat(gscale);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      asgdVec(p + o, g + o, ax + o, vEta, vMu, vWd, vDecay, vGs, coupled, decoupled, average);
      asgdVec(p + o + 16, g + o + 16, ax + o + 16, vEta, vMu, vWd, vDecay, vGs, coupled, decoupled, average);
      asgdVec(p + o + 32, g + o + 32, ax + o + 32, vEta, vMu, vWd, vDecay, vGs, coupled, decoupled, average);
      asgdVec(p + o + 48, g + o + 48, ax + o + 48, vEta, vMu, vWd, vDecay, vGs, coupled, decoupled, average);
    }
    for (; o < end4; o += 16) asgdVec(p + o, g + o, ax + o, vEta, vMu, vWd, vDecay, vGs, coupled, decoupled, average);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const pv = load<f32>(p + o);
    const d = gradc(load<f32>(g + o), pv, gscale, wd, coupled);
    const np = (decoupled ? pv * decay : pv) - eta * d;
    store<f32>(p + o, np);
    if (average) {
      const a = load<f32>(ax + o);
      store<f32>(ax + o, (np - a) * mu + a);
    } else {
      store<f32>(ax + o, np);
    }
  }
}

// @ts-ignore: decorator
@inline function asgdDispatch(
  p: usize, g: usize, ax: usize, n: i32, eta: f64, mu: f64, wd: f64, decay: f64, gscale: f64, average: bool,
): void {
  const c = isCoupled(wd, gscale), dc = decay != 1;
  if (c) {
    if (dc) asgdCore(p, g, ax, n, eta, mu, wd, decay, gscale, true, true, average);
    else asgdCore(p, g, ax, n, eta, mu, wd, 1, gscale, true, false, average);
  } else if (dc) asgdCore(p, g, ax, n, eta, mu, 0, decay, gscale, false, true, average);
  else asgdCore(p, g, ax, n, eta, mu, 0, 1, gscale, false, false, average);
}

/** ASGD while mu = 1 (before averaging starts): ax copies p. State: ax. */
export function asgd(p: usize, g: usize, ax: usize, n: i32, eta: f64, wd: f64, decay: f64, gscale: f64): void {
  asgdDispatch(p, g, ax, n, eta, 1, wd, decay, gscale, false);
}

/** ASGD once mu < 1: ax moves toward p by mu. State: ax. */
export function asgdAverage(p: usize, g: usize, ax: usize, n: i32, eta: f64, mu: f64, wd: f64, decay: f64, gscale: f64): void {
  asgdDispatch(p, g, ax, n, eta, mu, wd, decay, gscale, true);
}
