/**
 * Schedule-Free AdamW and SGD (Defazio et al. 2024, "The Road Less
 * Scheduled"; facebookresearch/schedule_free, schedulefree/adamw_schedulefree.py
 * and sgd_schedulefree.py), one fused pass over n floats. The parameters p
 * hold y (the point where gradients are taken); z is the base sequence and x
 * (the average, what eval() shows) is never stored:
 *
 *   z    = p                                    first step only (upstream clones p)
 *   d    = gscale*g                             (gscale: clip coefficient, 1 without clipping)
 *   v    = b2*v + (1-b2)*d*d                    AdamW only
 *   u    = d / (sqrt(v)*rsqrtBc2 + eps)         AdamW;  u = d for SGD
 *   u    = u + wd*y                             weight decay at y (when wd != 0)
 *   y    = lerp(y, z, ckp1)
 *   y    = y + yStep*u                          yStep = lr*(b1*(1-ckp1) - 1)
 *   z    = z - lr*u
 *
 * lerp(a, b, w) is torch's: a + w*(b-a) for |w| < 0.5, else b - (b-a)*(1-w).
 * lr, yStep, ckp1 and rsqrtBc2 are computed in double by the caller. No state
 * is flushed (a flush would be visible through y and z).
 */
// @ts-ignore: decorator
@inline function lerp4(a: v128, b: v128, vW: v128, vOmw: v128, hi: bool): v128 {
  return hi ? f32x4.sub(b, f32x4.mul(f32x4.sub(b, a), vOmw)) : f32x4.add(a, f32x4.mul(vW, f32x4.sub(b, a)));
}

// @ts-ignore: decorator
@inline function lerp1(a: f32, b: f32, w: f32, omw: f32, hi: bool): f32 {
  return hi ? b - (b - a) * omw : a + w * (b - a);
}

// @ts-ignore: decorator
@inline function sfVec(
  p: usize, g: usize, z: usize, v: usize,
  vLr: v128, vYStep: v128, vCkp1: v128, vOmc: v128, vB2: v128, vOmb2: v128, vRs: v128, vEps: v128, vWd: v128, vGs: v128,
  adaptive: bool, decayed: bool, hi: bool,
): void {
  const y = v128.load(p);
  const zv = v128.load(z);
  const d = f32x4.mul(v128.load(g), vGs);
  let u = d;
  if (adaptive) {
    const vv = f32x4.add(f32x4.mul(v128.load(v), vB2), f32x4.mul(f32x4.mul(vOmb2, d), d));
    v128.store(v, vv);
    u = f32x4.div(d, f32x4.add(f32x4.mul(f32x4.sqrt(vv), vRs), vEps));
  }
  if (decayed) u = f32x4.add(u, f32x4.mul(vWd, y));
  const y2 = lerp4(y, zv, vCkp1, vOmc, hi);
  v128.store(p, f32x4.add(y2, f32x4.mul(vYStep, u)));
  v128.store(z, f32x4.sub(zv, f32x4.mul(vLr, u)));
}

// @ts-ignore: decorator
@inline function sfCore(
  p: usize, g: usize, z: usize, v: usize, n: i32,
  lr_: f64, yStep_: f64, rsqrtBc2_: f64, b2_: f64, ckp1_: f64, eps_: f64, wd_: f64, gscale_: f64,
  adaptive: bool, decayed: bool, hi: bool,
): void {
  const lr = <f32>lr_, yStep = <f32>yStep_, ckp1 = <f32>ckp1_, omc = <f32>(1 - ckp1_);
  const b2 = <f32>b2_, omb2 = <f32>(1 - b2_), rs = <f32>rsqrtBc2_, eps = <f32>eps_, wd = <f32>wd_, gscale = <f32>gscale_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLr = f32x4.splat(lr), vYStep = f32x4.splat(yStep), vCkp1 = f32x4.splat(ckp1), vOmc = f32x4.splat(omc);
    const vB2 = f32x4.splat(b2), vOmb2 = f32x4.splat(omb2), vRs = f32x4.splat(rs), vEps = f32x4.splat(eps), vWd = f32x4.splat(wd), vGs = f32x4.splat(gscale);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      sfVec(p + o, g + o, z + o, v + o, vLr, vYStep, vCkp1, vOmc, vB2, vOmb2, vRs, vEps, vWd, vGs, adaptive, decayed, hi);
      sfVec(p + o + 16, g + o + 16, z + o + 16, v + o + 16, vLr, vYStep, vCkp1, vOmc, vB2, vOmb2, vRs, vEps, vWd, vGs, adaptive, decayed, hi);
      sfVec(p + o + 32, g + o + 32, z + o + 32, v + o + 32, vLr, vYStep, vCkp1, vOmc, vB2, vOmb2, vRs, vEps, vWd, vGs, adaptive, decayed, hi);
      sfVec(p + o + 48, g + o + 48, z + o + 48, v + o + 48, vLr, vYStep, vCkp1, vOmc, vB2, vOmb2, vRs, vEps, vWd, vGs, adaptive, decayed, hi);
    }
    for (; o < end4; o += 16) sfVec(p + o, g + o, z + o, v + o, vLr, vYStep, vCkp1, vOmc, vB2, vOmb2, vRs, vEps, vWd, vGs, adaptive, decayed, hi);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const y = load<f32>(p + o);
    const zv = load<f32>(z + o);
    const d = load<f32>(g + o) * gscale;
    let u = d;
    if (adaptive) {
      const vv = load<f32>(v + o) * b2 + omb2 * d * d;
      store<f32>(v + o, vv);
      u = d / (sqrt<f32>(vv) * rs + eps);
    }
    if (decayed) u = u + wd * y;
    const y2 = lerp1(y, zv, ckp1, omc, hi);
    store<f32>(p + o, y2 + yStep * u);
    store<f32>(z + o, zv - lr * u);
  }
}

// @ts-ignore: decorator
@inline function sfDispatch(
  p: usize, g: usize, z: usize, v: usize, n: i32,
  lr: f64, yStep: f64, rsqrtBc2: f64, b2: f64, ckp1: f64, eps: f64, wd: f64, gscale: f64, first: i32, adaptive: bool,
): void {
  if (first) memory.copy(z, p, <usize>n << 2);
  const dc = wd != 0, hi = !(abs(ckp1) < 0.5);
  if (dc) {
    if (hi) sfCore(p, g, z, v, n, lr, yStep, rsqrtBc2, b2, ckp1, eps, wd, gscale, adaptive, true, true);
    else sfCore(p, g, z, v, n, lr, yStep, rsqrtBc2, b2, ckp1, eps, wd, gscale, adaptive, true, false);
  } else if (hi) sfCore(p, g, z, v, n, lr, yStep, rsqrtBc2, b2, ckp1, eps, 0, gscale, adaptive, false, true);
  else sfCore(p, g, z, v, n, lr, yStep, rsqrtBc2, b2, ckp1, eps, 0, gscale, adaptive, false, false);
}

/** Schedule-Free AdamW. State: z, v (exp_avg_sq). first != 0: z starts as a copy of p. */
export function scheduleFreeAdamW(
  p: usize, g: usize, z: usize, v: usize, n: i32,
  lr: f64, yStep: f64, rsqrtBc2: f64, b2: f64, ckp1: f64, eps: f64, wd: f64, gscale: f64, first: i32,
): void {
  sfDispatch(p, g, z, v, n, lr, yStep, rsqrtBc2, b2, ckp1, eps, wd, gscale, first, true);
}

/** Schedule-Free SGD. State: z. first != 0: z starts as a copy of p. */
export function scheduleFreeSgd(
  p: usize, g: usize, z: usize, n: i32,
  lr: f64, yStep: f64, ckp1: f64, wd: f64, gscale: f64, first: i32,
): void {
  sfDispatch(p, g, z, 0, n, lr, yStep, 1, 0, ckp1, 1, wd, gscale, first, false);
}

// @ts-ignore: decorator
@inline function interpCore(p: usize, z: usize, n: i32, w_: f64, hi: bool): void {
  const w = <f32>w_, omw = <f32>(1 - w_);
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vW = f32x4.splat(w), vOmw = f32x4.splat(omw);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(p + o, lerp4(v128.load(p + o), v128.load(z + o), vW, vOmw, hi));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(p + o, lerp1(load<f32>(p + o), load<f32>(z + o), w, omw, hi));
  }
}

/**
 * The mode switch of both schedule-free methods, p = lerp(p, z, w) with
 * torch's lerp: train() (x to y) with w = 1 - b1, eval() (y to x) with
 * w = 1 - 1/b1, where b1 is AdamW's betas[0] or SGD's momentum.
 */
export function scheduleFreeInterp(p: usize, z: usize, n: i32, w: f64): void {
  if (abs(w) < 0.5) interpCore(p, z, n, w, false);
  else interpCore(p, z, n, w, true);
}
