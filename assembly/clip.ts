/**
 * In-place elementwise kernels for gradient clipping:
 *
 *   scale(x, n, c):          x = c*x                      (clip by norm)
 *   clampValue(x, n, lo, hi): x = min(max(x, lo), hi)      (clip by value; NaN stays NaN)
 */
export function scale(x: usize, n: i32, c_: f64): void {
  const c = <f32>c_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vC = f32x4.splat(c);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(x + o, f32x4.mul(v128.load(x + o), vC));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * c);
  }
}

export function clampValue(x: usize, n: i32, lo_: f64, hi_: f64): void {
  const lo = <f32>lo_, hi = <f32>hi_;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vLo = f32x4.splat(lo);
    const vHi = f32x4.splat(hi);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(x + o, f32x4.min(f32x4.max(v128.load(x + o), vLo), vHi));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, min<f32>(max<f32>(load<f32>(x + o), lo), hi));
  }
}
