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

/** c - a*b on four lanes (one rounding in the relaxed build). */
// @ts-ignore: decorator
@inline export function nmadd4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_nmadd(a, b, c);
  return f32x4.sub(c, f32x4.mul(a, b));
}

/** a*b - c on four lanes (one rounding in the relaxed build; a*b + (-c) is a*b - c bit for bit). */
// @ts-ignore: decorator
@inline export function msub4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, f32x4.neg(c));
  return f32x4.sub(f32x4.mul(a, b), c);
}

// ---------------------------------------------------------------------------
// The kernel template. Every kernel file reads: a doc comment with the formula,
// `xxxVec` (one f32x4 vector, inlined), `xxxCore` (constants, the main loop
// unrolled four times, a vector tail, the scalar tail that is also the whole
// scalar build), and the exports, which pick one compiled variant by the
// compile-time flags below. The scalar tail evaluates the same float32
// operations in the same order as the vector body, so both builds give the
// same bits (madd4/nmadd4/msub4 are a*b+c, c-a*b, a*b-c unfused there).
//
// Arguments, in one canonical order for every kernel:
//   pointers  p, g, then the state buffers (in the order the optimizer names them), then n;
//   scalars   step coefficients (lr, or the caller's lr/(1-b1^t) etc.), bias corrections
//             (rsqrtBc2 or c1, c2), the averaging rates b1 (first moment / momentum) and
//             b2 (second moment: PyTorch's alpha, rho), method-specific scalars, then
//             eps, wd, decay, gscale; a kernel takes the subsequence it needs.
// The same quantity has the same name everywhere: gscale (-1 to maximize, times the
// clip coefficient), wd (coupled L2, d = gscale*g + wd*p), decay (decoupled, p*decay).
//
// Compile-time flags of every Core:
//   coupled   wd != 0 or |gscale| != 1: d = gscale*g + wd*p. Otherwise d = ±g and the
//             sign is folded into the constants that multiply d (exact: a sign flip),
//             so d costs nothing.
//   decoupled decay != 1: p*decay; otherwise that multiply is compiled out.
//   flushing  flushTiny != 0 (every 16th step): state is flushed below FLT_MIN;
//             otherwise the flush is compiled out.

/** The effective gradient of one vector: gscale*g + wd*p when coupled, else g (sign folded by the caller). */
// @ts-ignore: decorator
@inline export function grad4c(g: v128, p: v128, gscale: v128, wd: v128, coupled: bool): v128 {
  return coupled ? madd4(g, gscale, f32x4.mul(wd, p)) : g;
}

/** `grad4c` on one lane. */
// @ts-ignore: decorator
@inline export function gradc(g: f32, p: f32, gscale: f32, wd: f32, coupled: bool): f32 {
  return coupled ? g * gscale + wd * p : g;
}

/** flush4 when flushing, else x. */
// @ts-ignore: decorator
@inline export function flushIf4(x: v128, tiny: v128, flushing: bool): v128 {
  return flushing ? flush4(x, tiny) : x;
}

/** flushNonNegative4 when flushing, else x. */
// @ts-ignore: decorator
@inline export function flushPosIf4(x: v128, tiny: v128, flushing: bool): v128 {
  return flushing ? flushNonNegative4(x, tiny) : x;
}

/** flush when flushing, else x. */
// @ts-ignore: decorator
@inline export function flushIf(x: f32, flushing: bool): f32 {
  return flushing ? flush(x) : x;
}

/** flushNonNegative when flushing, else x. */
// @ts-ignore: decorator
@inline export function flushPosIf(x: f32, flushing: bool): f32 {
  return flushing ? flushNonNegative(x) : x;
}

/** Whether d needs gscale and wd (otherwise d = ±g with the sign folded into constants). */
// @ts-ignore: decorator
@inline export function isCoupled(wd: f64, gscale: f64): bool {
  return wd != 0 || abs(gscale) != 1;
}

/**
 * max(a, b) that keeps a NaN from either side (as f32.max and torch.maximum), for inputs
 * that are never -0 against +0 (non-negative state: the result of an add is +0, never -0).
 * f32x4.pmax (a < b ? b : a) is one maxps on x86, where V8 lowers f32x4.max to about nine
 * instructions; pmax keeps a NaN in a, and a NaN in b is ORed in.
 */
// @ts-ignore: decorator
@inline export function maxNaN4(a: v128, b: v128): v128 {
  return v128.or(f32x4.pmax(a, b), v128.and(f32x4.ne(b, b), b));
}

/** `maxNaN4` on one lane (the same select, so both builds agree bit for bit). */
// @ts-ignore: decorator
@inline export function maxNaN(a: f32, b: f32): f32 {
  return b != b ? b : a < b ? b : a;
}

/** clamp(x, lo, hi) for x that is never NaN and lo >= 0: pmax then pmin (one maxps, one minps). */
// @ts-ignore: decorator
@inline export function clamp4(x: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(x, lo), hi);
}

/** `clamp4` on one lane: pmax(a, b) = a < b ? b : a, pmin(a, b) = b < a ? b : a. */
// @ts-ignore: decorator
@inline export function clamp(x: f32, lo: f32, hi: f32): f32 {
  const y = x < lo ? lo : x;
  return hi < y ? hi : y;
}


/**
 * max(a, b) that keeps a NaN from either side, in three instructions on x86 (two maxps and
 * an or): pmax(a, b) keeps a NaN in a, pmax(b, a) one in b, and where neither is NaN both
 * are the maximum, so their OR is too; a NaN ORed with anything is still a NaN. For
 * inputs that are never NaN this is max(a, b), with -0 where one is -0 and the other +0.
 */
// @ts-ignore: decorator
@inline export function maxNaNOr4(a: v128, b: v128): v128 {
  return v128.or(f32x4.pmax(a, b), f32x4.pmax(b, a));
}

/** `maxNaNOr4` on one lane: the same two selects and the same OR of their bits. */
// @ts-ignore: decorator
@inline export function maxNaNOr(a: f32, b: f32): f32 {
  const x: f32 = a < b ? b : a;
  const y: f32 = b < a ? a : b;
  return reinterpret<f32>(reinterpret<u32>(x) | reinterpret<u32>(y));
}
