// Shared building blocks of the kernels. Every kernel works on raw byte
// addresses into linear memory: the TypeScript layer owns the layout and
// never lets a kernel allocate.

/** Smallest positive normal float32. */
export const FLT_MIN: f32 = 1.17549435e-38;

/**
 * State whose magnitude is below this is flushed to zero: FLT_MIN by default,
 * 0 (no flushing) where flushing could change a result visibly, e.g. Adam with
 * eps = 0, where m/sqrt(v) of two subnormals is an ordinary number. Each
 * optimizer has its own instance, so the TypeScript layer sets it per group
 * (setFlushThreshold) before calling a kernel.
 */
export let flushTiny: f32 = FLT_MIN;

/** Sets the flush threshold of this instance: FLT_MIN or 0. */
export function setFlushThreshold(t: f64): void {
  flushTiny = <f32>t;
}

/**
 * Flush a subnormal to +0. WebAssembly has no flush-to-zero mode, and x86
 * takes a microcode assist on every subnormal operand, which made a SIMD Adam
 * step 3.4x slower once sparse gradients let the moments decay into that
 * range. NaN is kept (the comparison `|x| < FLT_MIN` is false for NaN), so a
 * non-finite state is never hidden.
 */
// @ts-ignore: decorator
@inline export function flush(x: f32): f32 {
  return abs<f32>(x) < flushTiny ? 0 : x;
}

/** `flush` for a value that cannot be negative (a sum of squares): one compare fewer. */
// @ts-ignore: decorator
@inline export function flushNonNegative(x: f32): f32 {
  return x < flushTiny ? 0 : x;
}

/** `flushNonNegative` on four lanes. */
// @ts-ignore: decorator
@inline export function flushNonNegative4(x: v128, tiny: v128): v128 {
  return v128.andnot(x, f32x4.lt(x, tiny));
}

/** `flush` on four lanes: x & ~(|x| < FLT_MIN). */
// @ts-ignore: decorator
@inline export function flush4(x: v128, tiny: v128): v128 {
  return v128.andnot(x, f32x4.lt(f32x4.abs(x), tiny));
}

/**
 * The effective gradient of every method: d = gscale*g + wd*p. gscale is -1
 * to maximize, +1 to minimize, times the clip-by-norm coefficient when the
 * optimizer clips (kernels fold it into their constants when it is +-1 and wd = 0).
 */
// @ts-ignore: decorator
@inline export function grad(g: f32, p: f32, gscale: f32, wd: f32): f32 {
  return g * gscale + wd * p;
}

/** `grad` on four lanes. */
// @ts-ignore: decorator
@inline export function grad4(g: v128, p: v128, gscale: v128, wd: v128): v128 {
  return f32x4.add(f32x4.mul(g, gscale), f32x4.mul(wd, p));
}

/**
 * a*b + c on four lanes. In the relaxed-SIMD build this is f32x4.relaxed_madd,
 * which engines with FMA hardware compute with one rounding instead of two:
 * faster, and different in the last bit, so that build is opt-in.
 */
// @ts-ignore: decorator
@inline export function madd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}
