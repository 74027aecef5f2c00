/**
 * Reductions for gradient norms. Sums accumulate in double (f64x2), so a
 * norm over millions of float32 values keeps full float32 accuracy and cannot
 * overflow: the result is finite exactly when every input is finite.
 *
 *   sumSquares(x, n) = sum x[i]^2          (the 2-norm is its square root)
 *   sumAbs(x, n)     = sum |x[i]|          (the 1-norm)
 *   maxAbs(x, n)     = max |x[i]|          (the inf-norm; NaN if any x[i] is NaN)
 */
export function sumSquares(x: usize, n: i32): f64 {
  let acc: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) {
      const v = v128.load(x + o);
      const lo = f64x2.promote_low_f32x4(v);
      const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      a0 = f64x2.add(a0, f64x2.mul(lo, lo));
      a1 = f64x2.add(a1, f64x2.mul(hi, hi));
    }
    const s = f64x2.add(a0, a1);
    acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    i = n & ~3;
  }
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    acc += v * v;
  }
  return acc;
}

export function sumAbs(x: usize, n: i32): f64 {
  let acc: f64 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) {
      const v = f32x4.abs(v128.load(x + o));
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
    }
    const s = f64x2.add(a0, a1);
    acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    i = n & ~3;
  }
  for (; i < n; i++) acc += <f64>abs<f32>(load<f32>(x + (<usize>i << 2)));
  return acc;
}

export function maxAbs(x: usize, n: i32): f32 {
  let acc: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    let a = f32x4.splat(0);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) a = f32x4.max(a, f32x4.abs(v128.load(x + o)));
    acc = max<f32>(max<f32>(f32x4.extract_lane(a, 0), f32x4.extract_lane(a, 1)), max<f32>(f32x4.extract_lane(a, 2), f32x4.extract_lane(a, 3)));
    i = n & ~3;
  }
  for (; i < n; i++) acc = max<f32>(acc, abs<f32>(load<f32>(x + (<usize>i << 2))));
  return acc;
}
