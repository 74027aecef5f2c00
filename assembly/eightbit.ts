// 8-bit optimizer state, blockwise (Dettmers et al. 2022, "8-bit Optimizers via
// Block-wise Quantization", arXiv:2110.02861; bitsandbytes csrc/kernels.cu,
// kOptimizerStatic8bit2StateBlockwise and kOptimizerStatic8bit1StateBlockwise,
// commit 95f9af309d4d5793847169c39288dcd3fcbdf564). Each state element is one
// byte, a code into a 256-entry map (signed for the first moment, unsigned for
// the second); each block of `bs` elements keeps one float32 absmax.
//
// One fused pass per block, in two sweeps while the block sits in L1:
//   1. dequantize (a 256-entry table load per code), update the moments and p
//      (p needs only the unquantized moments), keep the new moments in a
//      scratch of bs floats per moment and their absmax in registers;
//   2. requantize the scratch with the new absmax.
// Quantization is a table lookup instead of bitsandbytes' binary search: the
// high bits of the float32 x = moment/absmax (sign, exponent, top 7 mantissa
// bits, clamped to [2^-23, 1]) index a table of candidate codes k and one of
// thresholds (k's midpoint to code k+1, ties as the search breaks them), and
// ONE compare picks k or k+1 (src/quantization-table.ts builds the tables;
// test/eightbit.test.ts checks them against the search at every table cell).
//
// The constants `q` (written once per optimizer, src/quantization-table.ts),
// CELLS cells per sign:
//   q + 0        signed map, 256 f32              q + 1024  unsigned map, 256 f32
//   q + THR_S    signed cell thresholds' low 16 bits, u16 per cell (positive x, then negative x);
//                the high 16 bits are x's own
//   q + THR_U    unsigned cell thresholds' low 16 bits
//   q + LUT_S    signed cell codes, u8 per cell    q + LUT_U  unsigned cell codes
//
// The vector sweeps and the scalar tail (the whole scalar build) evaluate the
// same float32 operations in the same order (no fused multiply-add in any
// build), so every build gives the same bits. Table lookups are lane loads
// (v128.load32_lane / load8_lane: one instruction per lane).

const SHIFT = 16;
/** (127 - 23) << 7: the first cell is exponent 2^-23 */
const BASE: i32 = 13312;
const TOP: i32 = 2944;
const CELLS: i32 = 2945;
const THR_S: usize = 2048;
const THR_U: usize = 2048 + 4 * 2945;
const LUT_S: usize = 2048 + 6 * 2945;
const LUT_U: usize = 2048 + 8 * 2945;

/** The cell of x: the high bits of |x| clamped to the table, plus CELLS for a negative x where `signed`. */
// @ts-ignore: decorator
@inline function cellOf(x: f32, signed: bool): usize {
  const bits = reinterpret<u32>(x);
  let c = <i32>((bits & 0x7fffffff) >>> SHIFT) - BASE;
  c = c < 0 ? 0 : c > TOP ? TOP : c;
  return <usize>(signed ? c + ((<i32>bits >> 31) & CELLS) : c);
}

/** The code of x = moment/absmax in the map of `thr`/`lut` (signed: x keeps m's sign; a negative x never gets code 127, +0). */
// @ts-ignore: decorator
@inline function code(q: usize, x: f32, thr: usize, lut: usize, signed: bool): u32 {
  const c = cellOf(x, signed);
  const k = <u32>load<u8>(q + lut + c);
  const t = reinterpret<f32>((reinterpret<u32>(x) & 0xffff0000) | <u32>load<u16>(q + thr + (c << 1)));
  return x > t ? k + 1 : k;
}

/** Four map values at the four codes of the little-endian word `w`. */
// @ts-ignore: decorator
@inline function dequant4(map: usize, w: u32): v128 {
  let r = v128.load32_zero(map + ((<usize>w << 2) & 0x3fc));
  r = v128.load32_lane(map + ((<usize>w >>> 6) & 0x3fc), r, 1);
  r = v128.load32_lane(map + ((<usize>w >>> 14) & 0x3fc), r, 2);
  return v128.load32_lane(map + ((<usize>w >>> 22) & 0x3fc), r, 3);
}

/** Four codes of x (cell code, plus 1 where x > the cell's threshold) packed into one little-endian word. */
// @ts-ignore: decorator
@inline function quant4(x: v128, thr: usize, lut: usize, signed: bool): u32 {
  let c = i32x4.sub(i32x4.shr_u(v128.and(x, i32x4.splat(0x7fffffff)), SHIFT), i32x4.splat(BASE));
  c = i32x4.min_s(i32x4.max_s(c, i32x4.splat(0)), i32x4.splat(TOP));
  if (signed) c = i32x4.add(c, v128.and(i32x4.shr_s(x, 31), i32x4.splat(CELLS)));
  const c0 = <usize>i32x4.extract_lane(c, 0), c1 = <usize>i32x4.extract_lane(c, 1);
  const c2 = <usize>i32x4.extract_lane(c, 2), c3 = <usize>i32x4.extract_lane(c, 3);
  let k = v128.load8_splat(lut + c0);
  k = v128.load8_lane(lut + c1, k, 1);
  k = v128.load8_lane(lut + c2, k, 2);
  k = v128.load8_lane(lut + c3, k, 3);
  // the threshold: x's high 16 bits, the cell's low 16 bits (16-bit lanes 0, 2, 4, 6)
  let t = v128.and(x, i32x4.splat(0xffff0000));
  t = v128.load16_lane(thr + (c0 << 1), t, 0);
  t = v128.load16_lane(thr + (c1 << 1), t, 2);
  t = v128.load16_lane(thr + (c2 << 1), t, 4);
  t = v128.load16_lane(thr + (c3 << 1), t, 6);
  // all ones (-1) where x > threshold: bytes 0, 4, 8, 12 of the compare subtracted from the codes add 1
  // (no carry: a cell's code is < 255 wherever its threshold can be exceeded)
  const gt = f32x4.gt(x, t);
  return <u32>i32x4.extract_lane(i8x16.sub(k, i8x16.shuffle(gt, gt, 0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)), 0);
}

/** max(mx, x) for x that is never -0 and mx never NaN, a NaN x ignored (as bitsandbytes' fmaxf over the block). */
// @ts-ignore: decorator
@inline function maxOf(mx: f32, x: f32): f32 {
  return mx < x ? x : mx;
}

/** The lanes of a (no NaN, no -0) folded with maxOf. */
// @ts-ignore: decorator
@inline function hmax(mx: f32, a: v128): f32 {
  mx = maxOf(mx, f32x4.extract_lane(a, 0));
  mx = maxOf(mx, f32x4.extract_lane(a, 1));
  mx = maxOf(mx, f32x4.extract_lane(a, 2));
  return maxOf(mx, f32x4.extract_lane(a, 3));
}

/**
 * Adam / AdamW with 8-bit blockwise state over one tensor of n elements:
 *
 *   m, v  = qs[c1]*absmax1[block], qu[c2]*absmax2[block]         dequantize
 *   d     = gscale*g + wd*p                                       (wd = 0 for AdamW)
 *   m     = b1*m + (1-b1)*d;  v = b2*v + (1-b2)*d*d
 *   p     = decay*p - step*m / (sqrt(v) + eps)                    (step, eps as the float kernel)
 *   absmax1, absmax2 = max |m|, max v over the block (NaN ignored)
 *   c1    = signed code of m/absmax1 (same sign as m); c2 = unsigned code of v/absmax2
 *
 * An all-zero block keeps absmax 0 (x = m instead of 0/0). `w`: scratch of 2*bs floats.
 */
export function adam8bit(
  p: usize, g: usize, c1: usize, c2: usize, a1: usize, a2: usize, n: i32, bs: i32, q: usize, w: usize,
  step_: f64, rsqrtBc2_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, decay_: f64, gscale_: f64,
): void {
  adam8bitCore(p, g, c1, c2, a1, a2, n, bs, q, w, step_, rsqrtBc2_, b1_, b2_, eps_, wd_, decay_, gscale_, true, true);
}

/**
 * adam8bit, and for bench/assembly/eightbit-parts.ts (where the time goes) its
 * parts: without the table loads of the dequantization (`lookup` false: m and
 * v start from the block's absmax) and without the requantizing sweep
 * (`requantize` false). Both true is the kernel.
 */
// @ts-ignore: decorator
@inline export function adam8bitCore(
  p: usize, g: usize, c1: usize, c2: usize, a1: usize, a2: usize, n: i32, bs: i32, q: usize, w: usize,
  step_: f64, rsqrtBc2_: f64, b1_: f64, b2_: f64, eps_: f64, wd_: f64, decay_: f64, gscale_: f64,
  lookup: bool, requantize: bool,
): void {
  const step = <f32>(step_ / rsqrtBc2_), eps = <f32>(eps_ / rsqrtBc2_);
  const b1 = <f32>b1_, b2 = <f32>b2_, omb1 = <f32>(1 - b1_), omb2 = <f32>(1 - b2_);
  const wd = <f32>wd_, decay = <f32>decay_, gs = <f32>gscale_;
  const qs = q, qu = q + 1024;
  const wm = w, wv = w + (<usize>bs << 2);
  for (let start = 0, blk = 0; start < n; start += bs, blk++) {
    const end = min(start + bs, n);
    const am1 = load<f32>(a1 + (<usize>blk << 2)), am2 = load<f32>(a2 + (<usize>blk << 2));
    let mx1: f32 = 0, mx2: f32 = 0;
    let i = start;
    if (ASC_FEATURE_SIMD) {
      const vAm1 = f32x4.splat(am1), vAm2 = f32x4.splat(am2), vB1 = f32x4.splat(b1), vB2 = f32x4.splat(b2);
      const vOmb1 = f32x4.splat(omb1), vOmb2 = f32x4.splat(omb2), vWd = f32x4.splat(wd), vDecay = f32x4.splat(decay);
      const vGs = f32x4.splat(gs), vStep = f32x4.splat(step), vEps = f32x4.splat(eps);
      let vMx1 = f32x4.splat(0), vMx2 = f32x4.splat(0);
      const end4 = start + ((end - start) & ~3);
      for (; i < end4; i += 4) {
        const o = <usize>i << 2, s = <usize>(i - start) << 2;
        const pv = v128.load(p + o);
        const d = f32x4.add(f32x4.mul(vGs, v128.load(g + o)), f32x4.mul(vWd, pv));
        const m0 = lookup ? f32x4.mul(dequant4(qs, load<u32>(c1 + i)), vAm1) : vAm1;
        const v0 = lookup ? f32x4.mul(dequant4(qu, load<u32>(c2 + i)), vAm2) : vAm2;
        const m = f32x4.add(f32x4.mul(m0, vB1), f32x4.mul(vOmb1, d));
        const v = f32x4.add(f32x4.mul(v0, vB2), f32x4.mul(f32x4.mul(vOmb2, d), d));
        v128.store(p + o, f32x4.sub(f32x4.mul(pv, vDecay), f32x4.div(f32x4.mul(vStep, m), f32x4.add(f32x4.sqrt(v), vEps))));
        v128.store(wm + s, m);
        v128.store(wv + s, v);
        vMx1 = f32x4.pmax(vMx1, f32x4.abs(m));
        vMx2 = f32x4.pmax(vMx2, v);
      }
      mx1 = hmax(mx1, vMx1);
      mx2 = hmax(mx2, vMx2);
    }
    for (; i < end; i++) {
      const o = <usize>i << 2, s = <usize>(i - start) << 2;
      const pv = load<f32>(p + o);
      const d = gs * load<f32>(g + o) + wd * pv;
      const m = (load<f32>(qs + (<usize>load<u8>(c1 + i) << 2)) * am1) * b1 + omb1 * d;
      const v = (load<f32>(qu + (<usize>load<u8>(c2 + i) << 2)) * am2) * b2 + (omb2 * d) * d;
      store<f32>(p + o, pv * decay - (step * m) / (sqrt<f32>(v) + eps));
      store<f32>(wm + s, m);
      store<f32>(wv + s, v);
      mx1 = maxOf(mx1, abs<f32>(m));
      mx2 = maxOf(mx2, v);
    }
    store<f32>(a1 + (<usize>blk << 2), mx1);
    store<f32>(a2 + (<usize>blk << 2), mx2);
    if (!requantize) continue;
    i = start;
    if (ASC_FEATURE_SIMD) {
      const vMx1 = f32x4.splat(mx1), vMx2 = f32x4.splat(mx2);
      const div1 = mx1 > 0, div2 = mx2 > 0;
      const end4 = start + ((end - start) & ~3);
      for (; i < end4; i += 4) {
        const s = <usize>(i - start) << 2;
        const m = v128.load(wm + s), v = v128.load(wv + s);
        store<u32>(c1 + i, quant4(div1 ? f32x4.div(m, vMx1) : m, q + THR_S, q + LUT_S, true));
        store<u32>(c2 + i, quant4(div2 ? f32x4.div(v, vMx2) : v, q + THR_U, q + LUT_U, false));
      }
    }
    for (; i < end; i++) {
      const s = <usize>(i - start) << 2;
      const m = load<f32>(wm + s), v = load<f32>(wv + s);
      store<u8>(c1 + i, <u8>code(q, mx1 > 0 ? m / mx1 : m, THR_S, LUT_S, true));
      store<u8>(c2 + i, <u8>code(q, mx2 > 0 ? v / mx2 : v, THR_U, LUT_U, false));
    }
  }
}

/**
 * Lion with 8-bit blockwise state over one tensor (bitsandbytes' LION case):
 *
 *   m = qs[c]*absmax[block];  d = gscale*g
 *   p = decay*p - lr*sign(b1*m + (1-b1)*d)
 *   m = b2*m + (1-b2)*d;  absmax = max |m| over the block;  c = signed code of m/absmax
 *
 * `w`: scratch of bs floats.
 */
export function lion8bit(
  p: usize, g: usize, c1: usize, a1: usize, n: i32, bs: i32, q: usize, w: usize,
  lr_: f64, b1_: f64, b2_: f64, decay_: f64, gscale_: f64,
): void {
  const lr = <f32>lr_, b1 = <f32>b1_, b2 = <f32>b2_, omb1 = <f32>(1 - b1_), omb2 = <f32>(1 - b2_);
  const decay = <f32>decay_, gs = <f32>gscale_;
  for (let start = 0, blk = 0; start < n; start += bs, blk++) {
    const end = min(start + bs, n);
    const am1 = load<f32>(a1 + (<usize>blk << 2));
    let mx1: f32 = 0;
    let i = start;
    if (ASC_FEATURE_SIMD) {
      const vAm1 = f32x4.splat(am1), vB1 = f32x4.splat(b1), vB2 = f32x4.splat(b2), vOmb1 = f32x4.splat(omb1), vOmb2 = f32x4.splat(omb2);
      const vDecay = f32x4.splat(decay), vGs = f32x4.splat(gs), vLr = f32x4.splat(lr);
      const vSign = i32x4.splat(0x80000000), vZero = f32x4.splat(0);
      let vMx1 = f32x4.splat(0);
      const end4 = start + ((end - start) & ~3);
      for (; i < end4; i += 4) {
        const o = <usize>i << 2, s = <usize>(i - start) << 2;
        const d = f32x4.mul(vGs, v128.load(g + o));
        const m0 = f32x4.mul(dequant4(q, load<u32>(c1 + i)), vAm1);
        const c = f32x4.add(f32x4.mul(m0, vB1), f32x4.mul(vOmb1, d));
        // lr*sign(c) as the float Lion kernel forms it: lr with c's sign bit, NaN kept, 0 where c == 0
        const st = v128.andnot(v128.or(v128.and(c, v128.or(vSign, f32x4.ne(c, c))), vLr), f32x4.eq(c, vZero));
        v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), vDecay), st));
        const m = f32x4.add(f32x4.mul(m0, vB2), f32x4.mul(vOmb2, d));
        v128.store(w + s, m);
        vMx1 = f32x4.pmax(vMx1, f32x4.abs(m));
      }
      mx1 = hmax(mx1, vMx1);
    }
    for (; i < end; i++) {
      const o = <usize>i << 2;
      const d = gs * load<f32>(g + o);
      const m0 = load<f32>(q + (<usize>load<u8>(c1 + i) << 2)) * am1;
      const c = m0 * b1 + omb1 * d;
      const sign: f32 = c > 0 ? 1 : c < 0 ? -1 : c == 0 ? 0 : c;
      store<f32>(p + o, load<f32>(p + o) * decay - lr * sign);
      const m = m0 * b2 + omb2 * d;
      store<f32>(w + (<usize>(i - start) << 2), m);
      mx1 = maxOf(mx1, abs<f32>(m));
    }
    store<f32>(a1 + (<usize>blk << 2), mx1);
    i = start;
    if (ASC_FEATURE_SIMD) {
      const vMx1 = f32x4.splat(mx1);
      const div1 = mx1 > 0;
      const end4 = start + ((end - start) & ~3);
      for (; i < end4; i += 4) {
        const m = v128.load(w + (<usize>(i - start) << 2));
        store<u32>(c1 + i, quant4(div1 ? f32x4.div(m, vMx1) : m, q + THR_S, q + LUT_S, true));
      }
    }
    for (; i < end; i++) {
      const m = load<f32>(w + (<usize>(i - start) << 2));
      store<u8>(c1 + i, <u8>code(q, mx1 > 0 ? m / mx1 : m, THR_S, LUT_S, true));
    }
  }
}
