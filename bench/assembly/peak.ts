// Ceilings for bench/gemm.mjs (not part of the library), compiled with the library's
// release flags. Register-resident: no memory access in the loops.
//
//   peakMulAdd(n)  n iterations of 12 independent chains acc_i = acc_i*m + c (f32x4.mul, then
//                  f32x4.add), twice per iteration: 24 pairs = 192 FLOP. Twelve chains cover
//                  the mul + add latency at 3 vector FP ops per cycle, and the product
//                  depends on the accumulator, so nothing is loop-invariant for the compiler
//                  to hoist (an acc += x*y loop with constant x, y gets its products hoisted,
//                  and rotating x among registers costs moves that the GEMM loop does not pay).
//   peakMadd(n)    the same with f32x4.relaxed_madd where compiled with relaxed-simd (one
//                  fused op per pair where the engine emits FMA), mul + add otherwise.
//   clock(n)       n iterations of a chain of 8 dependent one-cycle integer ops (add, xor):
//                  8n cycles, so 8n / seconds is the core's clock.
//
// The sums are returned so the work cannot be dropped (acc -> c/(1 - m) = 1: no overflow,
// no subnormals).

// @ts-ignore: decorator
@inline function pair(acc: v128, m: v128, c: v128, fused: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    if (fused) return f32x4.relaxed_madd(acc, m, c);
  }
  return f32x4.add(f32x4.mul(acc, m), c);
}

// @ts-ignore: decorator
@inline function body(n: i32, fused: bool): f32 {
  const m = f32x4.splat(0.999), c = f32x4.splat(0.001);
  let a0 = f32x4.splat(0.10);
  let a1 = f32x4.splat(0.15);
  let a2 = f32x4.splat(0.20);
  let a3 = f32x4.splat(0.25);
  let a4 = f32x4.splat(0.30);
  let a5 = f32x4.splat(0.35);
  let a6 = f32x4.splat(0.40);
  let a7 = f32x4.splat(0.45);
  let a8 = f32x4.splat(0.50);
  let a9 = f32x4.splat(0.55);
  let a10 = f32x4.splat(0.60);
  let a11 = f32x4.splat(0.65);
  for (let i = 0; i < n; i++) {
    a0 = pair(a0, m, c, fused);
    a1 = pair(a1, m, c, fused);
    a2 = pair(a2, m, c, fused);
    a3 = pair(a3, m, c, fused);
    a4 = pair(a4, m, c, fused);
    a5 = pair(a5, m, c, fused);
    a6 = pair(a6, m, c, fused);
    a7 = pair(a7, m, c, fused);
    a8 = pair(a8, m, c, fused);
    a9 = pair(a9, m, c, fused);
    a10 = pair(a10, m, c, fused);
    a11 = pair(a11, m, c, fused);
    a0 = pair(a0, m, c, fused);
    a1 = pair(a1, m, c, fused);
    a2 = pair(a2, m, c, fused);
    a3 = pair(a3, m, c, fused);
    a4 = pair(a4, m, c, fused);
    a5 = pair(a5, m, c, fused);
    a6 = pair(a6, m, c, fused);
    a7 = pair(a7, m, c, fused);
    a8 = pair(a8, m, c, fused);
    a9 = pair(a9, m, c, fused);
    a10 = pair(a10, m, c, fused);
    a11 = pair(a11, m, c, fused);
  }
  const s = f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(f32x4.add(a0, a1), a2), a3), a4), a5), a6), a7), a8), a9), a10), a11);
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/** FLOP per iteration of peakMulAdd and peakMadd (2 x 12 chains x 4 lanes x (mul + add)). */
export const PEAK_FLOP_PER_ITER: i32 = 192;

export function peakMulAdd(n: i32): f32 {
  return body(n, false);
}

export function peakMadd(n: i32): f32 {
  return body(n, true);
}

/** Dependent one-cycle integer ops per iteration of `clock`. */
export const CLOCK_OPS_PER_ITER: i32 = 8;

export function clock(n: i32, a: i32, b: i32): i32 {
  let x = n;
  for (let i = 0; i < n; i++) x = (((((((x + a) ^ b) + a) ^ b) + a) ^ b) + a) ^ b;
  return x;
}
