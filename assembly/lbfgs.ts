/**
 * The vector operations of L-BFGS (src/optimizers/lbfgs.ts) over flat float32
 * buffers: the two-loop recursion, the history update and the line search
 * are written in these four.
 *
 *   dot(x, y, n)         = sum x[i]*y[i]   (double accumulation, fixed order)
 *   axpy(y, x, n, a):      y[i] = y[i] + a*x[i]   (float32, a rounded to float32)
 *   mulInto(o, x, n, c):   o[i] = x[i]*c          (float32, c rounded to float32)
 *   subInto(o, x, y, n):   o[i] = x[i] - y[i]     (float32)
 *
 * dot follows the order of the norm reductions (assembly/norm.ts): x is cut
 * into fixed blocks of REDUCE_BLOCK (16,384) elements; in a block, element i
 * goes to partial sum i & 7, partials added as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7));
 * the block sums are added left to right: s = ((b_0 + b_1) + b_2) + ...
 * A product of two float32 is exact in double, so the SIMD build (four f64x2
 * accumulators) and the scalar build (eight doubles) add the same numbers in
 * the same order and give the same bits; and the blocks do not depend on a
 * thread count, so the worker pool (src/threads/split.ts, REDUCE_KERNELS)
 * sums blocks on several threads and adds them in the same order: the same
 * bits for 1, 2 or 16 threads. The elementwise three round once per
 * operation, as torch's float32 kernels do (a*x, then + y: no fused multiply-add).
 */

import { REDUCE_BLOCK } from './norm';

export function dot(x: usize, y: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let j = 0; j < n; j += REDUCE_BLOCK) {
    const o = <usize>j << 2;
    s += dot8(x + o, y + o, min(REDUCE_BLOCK, n - j));
  }
  return s;
}

/** One block: the 8-partial order above. */
// @ts-ignore: decorator
@inline function dot8(x: usize, y: usize, n: i32): f64 {
  let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0, s4: f64 = 0, s5: f64 = 0, s6: f64 = 0, s7: f64 = 0;
  const end8 = (<usize>n & ~7) << 2;
  if (ASC_FEATURE_SIMD) {
    let a01 = f64x2.splat(0), a23 = f64x2.splat(0), a45 = f64x2.splat(0), a67 = f64x2.splat(0);
    for (let o: usize = 0; o < end8; o += 32) {
      const v = v128.load(x + o);
      const w = v128.load(x + o, 16);
      const p = v128.load(y + o);
      const q = v128.load(y + o, 16);
      a01 = f64x2.add(a01, f64x2.mul(f64x2.promote_low_f32x4(v), f64x2.promote_low_f32x4(p)));
      a23 = f64x2.add(a23, f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)), f64x2.promote_low_f32x4(i32x4.shuffle(p, p, 2, 3, 0, 1))));
      a45 = f64x2.add(a45, f64x2.mul(f64x2.promote_low_f32x4(w), f64x2.promote_low_f32x4(q)));
      a67 = f64x2.add(a67, f64x2.mul(f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1)), f64x2.promote_low_f32x4(i32x4.shuffle(q, q, 2, 3, 0, 1))));
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
      s0 += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
      s1 += <f64>load<f32>(x + o, 4) * <f64>load<f32>(y + o, 4);
      s2 += <f64>load<f32>(x + o, 8) * <f64>load<f32>(y + o, 8);
      s3 += <f64>load<f32>(x + o, 12) * <f64>load<f32>(y + o, 12);
      s4 += <f64>load<f32>(x + o, 16) * <f64>load<f32>(y + o, 16);
      s5 += <f64>load<f32>(x + o, 20) * <f64>load<f32>(y + o, 20);
      s6 += <f64>load<f32>(x + o, 24) * <f64>load<f32>(y + o, 24);
      s7 += <f64>load<f32>(x + o, 28) * <f64>load<f32>(y + o, 28);
    }
  }
  // tail: at most 7 elements, lanes 0..6 in order
  const rest = n & 7;
  for (let j = 0; j < rest; j++) {
    const off = end8 + (<usize>j << 2);
    const e = <f64>load<f32>(x + off) * <f64>load<f32>(y + off);
    if (j == 0) s0 += e;
    else if (j == 1) s1 += e;
    else if (j == 2) s2 += e;
    else if (j == 3) s3 += e;
    else if (j == 4) s4 += e;
    else if (j == 5) s5 += e;
    else s6 += e;
  }
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

export function axpy(y: usize, x: usize, n: i32, a: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const va = f32x4.splat(a);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(va, v128.load(x + o))));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(y + o) + a * load<f32>(x + o));
  }
}

export function mulInto(out: usize, x: usize, n: i32, c: f32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const vc = f32x4.splat(c);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(out + o, f32x4.mul(v128.load(x + o), vc));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * c);
  }
}

export function subInto(out: usize, x: usize, y: usize, n: i32): void {
  let i = 0;
  if (ASC_FEATURE_SIMD) {
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) v128.store(out + o, f32x4.sub(v128.load(x + o), v128.load(y + o)));
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) - load<f32>(y + o));
  }
}
