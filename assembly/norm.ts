/**
 * Reductions for gradient norms. Sums accumulate in double, so a norm over
 * millions of float32 values keeps full float32 accuracy and cannot overflow:
 * the result is finite exactly when every input is finite.
 *
 *   sumSquares(x, n) = sum x[i]^2          (the 2-norm is its square root)
 *   sumAbs(x, n)     = sum |x[i]|          (the 1-norm)
 *   maxAbs(x, n)     = max |x[i]|          (the inf-norm; NaN if any x[i] is NaN)
 *
 * Fixed order, the same in every build: element i goes to partial sum i & 7,
 * and the partials are added as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)).
 * The SIMD build holds the partials in four f64x2 accumulators, the scalar
 * build in eight doubles, so both add the same numbers in the same order and
 * give the same bits (so do clipping's coefficient and every optimizer with
 * maxGradNorm). Squares and absolute values of float32 are exact in double.
 *
 * Blocks: sumSquares and sumAbs cut x into fixed blocks of REDUCE_BLOCK (16,384)
 * elements, sum each block as above and add the block sums left to right:
 *   s = ((b_0 + b_1) + b_2) + ...     b_j = sum8 of elements [j*16384, (j+1)*16384)
 * The blocks do not depend on any thread count, so the worker pool
 * (src/threads/split.ts) sums blocks on different threads, returns each block's
 * sum and adds them in the same order: the same bits for 1, 2 or 16 threads.
 */

/** Elements per block of the blocked reductions (a multiple of 16; src/threads/protocol.ts REDUCE_BLOCK). */
export const REDUCE_BLOCK: i32 = 16384;

// @ts-ignore: decorator
@inline function sum8(n: i32, x: usize, squares: bool): f64 {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  const end8 = (<usize>n & ~7) << 2;
  if (ASC_FEATURE_SIMD) {
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0), a45 = f64x2.splat(0), a67 = f64x2.splat(0);
    for (let o: usize = 0; o < end8; o += 32) {
      let v = v128.load(x + o);
      let w = v128.load(x + o, 16);
      if (!squares) {
        v = f32x4.abs(v);
        w = f32x4.abs(w);
      }
      const v01 = f64x2.promote_low_f32x4(v);
      const v23 = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
      const w45 = f64x2.promote_low_f32x4(w);
      const w67 = f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1));
      if (squares) {
        a01 = f64x2.add(a01, f64x2.mul(v01, v01));
        a23 = f64x2.add(a23, f64x2.mul(v23, v23));
        a45 = f64x2.add(a45, f64x2.mul(w45, w45));
        a67 = f64x2.add(a67, f64x2.mul(w67, w67));
      } else {
        a01 = f64x2.add(a01, v01);
        a23 = f64x2.add(a23, v23);
        a45 = f64x2.add(a45, w45);
        a67 = f64x2.add(a67, w67);
      }
    }
    s0 = f64x2.extract_lane(a01, 0);
    s1 = f64x2.extract_lane(a01, 1);
    s2 = f64x2.extract_lane(a23, 0);
    s3 = f64x2.extract_lane(a23, 1);
    s4 = f64x2.extract_lane(a45, 0);
    s5 = f64x2.extract_lane(a45, 1);
    s6 = f64x2.extract_lane(a67, 0);
    s7 = f64x2.extract_lane(a67, 1);
  } else {
    for (let o: usize = 0; o < end8; o += 32) {
      const e0 = <f64>load<f32>(x + o), e1 = <f64>load<f32>(x + o, 4), e2 = <f64>load<f32>(x + o, 8), e3 = <f64>load<f32>(x + o, 12);
      const e4 = <f64>load<f32>(x + o, 16), e5 = <f64>load<f32>(x + o, 20), e6 = <f64>load<f32>(x + o, 24), e7 = <f64>load<f32>(x + o, 28);
      if (squares) {
        s0 += e0 * e0; s1 += e1 * e1; s2 += e2 * e2; s3 += e3 * e3;
        s4 += e4 * e4; s5 += e5 * e5; s6 += e6 * e6; s7 += e7 * e7;
      } else {
        s0 += abs(e0); s1 += abs(e1); s2 += abs(e2); s3 += abs(e3);
        s4 += abs(e4); s5 += abs(e5); s6 += abs(e6); s7 += abs(e7);
      }
    }
  }
  // tail: at most 7 elements, lanes 0..6 in order
  const rest = n & 7;
  const t = x + end8;
  for (let j = 0; j < rest; j++) {
    const e = <f64>load<f32>(t + (<usize>j << 2));
    const y = squares ? e * e : abs(e);
    if (j == 0) s0 += y;
    else if (j == 1) s1 += y;
    else if (j == 2) s2 += y;
    else if (j == 3) s3 += y;
    else if (j == 4) s4 += y;
    else if (j == 5) s5 += y;
    else s6 += y;
  }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

export function sumSquares(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j += REDUCE_BLOCK) s += sum8(min(REDUCE_BLOCK, n - j), x + (<usize>j << 2), true);
  return s;
}

export function sumAbs(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j += REDUCE_BLOCK) s += sum8(min(REDUCE_BLOCK, n - j), x + (<usize>j << 2), false);
  return s;
}

/** max is exact and order-free (NaN wins in both builds, |x| has no -0): one f32x4 accumulator. */
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
