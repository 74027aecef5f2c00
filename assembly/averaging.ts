/**
 * Weight averaging (torch.optim.swa_utils.AveragedModel, PyTorch 2.x), one
 * fused pass over the averaged copy `a` and the current parameters `p`:
 *
 *   swaAverage:  a = a + (p - a) / k          k = n_averaged + 1
 *                (get_swa_avg_fn, the default on CPU: a float32 subtract, a
 *                 float32 divide by k and a float32 add, as torch evaluates it)
 *   emaAverage:  a = lerp(a, p, w)            w = 1 - decay (rounded to float32)
 *                = a + w*(p - a)              |w| <  0.5
 *                = p + (w - 1)*(p - a)        |w| >= 0.5
 *                (get_ema_multi_avg_fn: torch._foreach_lerp_, whose CPU kernel
 *                 computes base + coeff*(p - a) with one fused multiply-add; here
 *                 the product is exact in float64, the sum is rounded to float64
 *                 then to float32, which equals the fused result except where the
 *                 float64 sum lands exactly on a float32 midpoint)
 *
 * The caller picks base/coeff (`small` = |w| < 0.5) and passes coeff; the SIMD
 * body and the scalar tail evaluate the same operations in the same order, so
 * the simd, relaxed and scalar builds give the same bits. An average is not a
 * decaying quantity: nothing is flushed.
 */
// @ts-ignore: decorator
@inline function swaVec(a: usize, p: usize, vK: v128): void {
  const av = v128.load(a);
  v128.store(a, f32x4.add(av, f32x4.div(f32x4.sub(v128.load(p), av), vK)));
}

// @ts-ignore: decorator
@inline function emaVec(a: usize, p: usize, vC: v128, small: bool): void {
  const av = v128.load(a);
  const pv = v128.load(p);
  const d = f32x4.sub(pv, av);
  const base = small ? av : pv;
  const lo = f64x2.add(f64x2.promote_low_f32x4(base), f64x2.mul(vC, f64x2.promote_low_f32x4(d)));
  const hi = f64x2.add(
    f64x2.promote_low_f32x4(v128.shuffle<i32>(base, base, 2, 3, 0, 1)),
    f64x2.mul(vC, f64x2.promote_low_f32x4(v128.shuffle<i32>(d, d, 2, 3, 0, 1))),
  );
  v128.store(a, v128.shuffle<i32>(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
}

/** SWA: a += (p - a) / k over n floats, k = n_averaged + 1 (rounded to float32 as torch's promotion does). */
export function swaAverage(a: usize, p: usize, n: i32, k_: f64): void {
  const k = <f32>k_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vK = f32x4.splat(k);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      swaVec(a + o, p + o, vK);
      swaVec(a + o + 16, p + o + 16, vK);
      swaVec(a + o + 32, p + o + 32, vK);
      swaVec(a + o + 48, p + o + 48, vK);
    }
    for (; o < end4; o += 16) swaVec(a + o, p + o, vK);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o);
    store<f32>(a + o, av + (load<f32>(p + o) - av) / k);
  }
}

// @ts-ignore: decorator
@inline function emaCore(a: usize, p: usize, n: i32, c: f64, small: bool): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vC = f64x2.splat(c);
    const end16 = (<usize>n & ~15) << 2;
    const end4 = (<usize>n & ~3) << 2;
    let o: usize = 0;
    for (; o < end16; o += 64) {
      emaVec(a + o, p + o, vC, small);
      emaVec(a + o + 16, p + o + 16, vC, small);
      emaVec(a + o + 32, p + o + 32, vC, small);
      emaVec(a + o + 48, p + o + 48, vC, small);
    }
    for (; o < end4; o += 16) emaVec(a + o, p + o, vC, small);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const av = load<f32>(a + o);
    const pv = load<f32>(p + o);
    const d = pv - av;
    const base = small ? av : pv;
    store<f32>(a + o, <f32>(<f64>base + c * <f64>d));
  }
}

/**
 * EMA: a = lerp(a, p, w) over n floats, w = 1 - decay. `w_` is rounded to
 * float32 first (torch's opmath weight); coeff = w (|w| < 0.5) or w - 1.
 */
export function emaAverage(a: usize, p: usize, n: i32, w_: f64): void {
  const w = <f32>w_;
  if (abs<f32>(w) < 0.5) emaCore(a, p, n, <f64>w, true);
  else emaCore(a, p, n, <f64>(w - 1), false);
}
