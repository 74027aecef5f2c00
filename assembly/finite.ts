/**
 * allFinite(x, n) = 1 when every x[i] is finite, else 0.
 *
 * x*0 is 0 for a finite x and NaN for NaN or +-Infinity, and NaN survives a
 * sum, so one multiply-add per lane and one test at the end suffice: a
 * read-only pass that never branches on the data.
 */
export function allFinite(x: usize, n: i32): i32 {
  let acc: f32 = 0;
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const zero = f32x4.splat(0);
    let a0 = zero;
    let a1 = zero;
    const end8 = x + ((<usize>n & ~7) << 2);
    let q = x;
    for (; q < end8; q += 32) {
      a0 = f32x4.add(a0, f32x4.mul(v128.load(q), zero));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(q, 16), zero));
    }
    const s = f32x4.add(a0, a1);
    acc = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
    i = n & ~7;
  }
  for (; i < n; i++) {
    acc += load<f32>(x + (<usize>i << 2)) * 0;
  }
  return i32(acc == 0);
}
