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
// bits, clamped to [2^-23, 1]) index a table of 3-byte cells, each the low 16
// bits of a threshold and a candidate code k, read as the u32 at 3*cell (the
// code in bits 16-23; bits 24-31 are the next cell's) (the threshold: k's midpoint to
// code k+1, ties as the search breaks them), and ONE compare picks k or k+1
// (src/quantization-table.ts builds the table; test/eightbit.test.ts checks it
// against the search at every cell).
//
// The constants `q` (written once per optimizer, src/quantization-table.ts),
// CELLS cells per sign:
//   q + 0        signed map, 256 f32              q + 1024  unsigned map, 256 f32
//   q + CELLS_S  signed cells, 3 bytes (the threshold's low 16 bits, little-endian; its
//                high 16 bits are x's own; then the code) per cell: positive x, then negative x
//   q + CELLS_U  unsigned cells
//
// The vector sweeps and the scalar tail (the whole scalar build) evaluate the
// same float32 operations in the same order (no fused multiply-add in any
// build), so every build gives the same bits. Table lookups are lane loads
// (v128.load32_lane: one instruction per lane). The requantizing sweep packs 16
// codes per v128 store (two narrowing steps).

const SHIFT = 16;
/** (127 - 23) << 7: the first cell is exponent 2^-23 */
const BASE: i32 = 13312;
const TOP: i32 = 2944;
const CELLS: i32 = 2945;
const CELLS_S: usize = 2048;
const CELLS_U: usize = 2048 + 6 * 2945;

/** The cell of x: the high bits of |x| clamped to the table, plus CELLS for a negative x where `signed`. */
// @ts-ignore: decorator
@inline function cellOf(x: f32, signed: bool): usize {
  const bits = reinterpret<u32>(x);
  let c = <i32>((bits & 0x7fffffff) >>> SHIFT) - BASE;
  c = c < 0 ? 0 : c > TOP ? TOP : c;
  return <usize>(signed ? c + ((<i32>bits >> 31) & CELLS) : c);
}

/** The code of x = moment/absmax by the cells at `cells` (signed: x keeps m's sign; a negative x never gets code 127, +0). */
// @ts-ignore: decorator
@inline function code(x: f32, cells: usize, signed: bool): u32 {
  const e = load<u32>(cells + cellOf(x, signed) * 3);
  const t = reinterpret<f32>((reinterpret<u32>(x) & 0xffff0000) | (e & 0xffff));
  const k = (e >>> 16) & 0xff;
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

/** Four codes of x (the cell's code, plus 1 where x > the cell's threshold), one per i32 lane; `cells` an address. */
// @ts-ignore: decorator
@inline function quant4(x: v128, cells: usize, signed: bool): v128 {
  let c = i32x4.sub(i32x4.shr_u(v128.and(x, i32x4.splat(0x7fffffff)), SHIFT), i32x4.splat(BASE));
  c = i32x4.min_s(i32x4.max_s(c, i32x4.splat(0)), i32x4.splat(TOP));
  if (signed) c = i32x4.add(c, v128.and(i32x4.shr_s(x, 31), i32x4.splat(CELLS)));
  // the four cells' addresses, then one lane load each
  const a = i32x4.add(i32x4.add(i32x4.shl(c, 1), c), i32x4.splat(<i32>cells));
  let e = v128.load32_zero(<usize>i32x4.extract_lane(a, 0));
  e = v128.load32_lane(<usize>i32x4.extract_lane(a, 1), e, 1);
  e = v128.load32_lane(<usize>i32x4.extract_lane(a, 2), e, 2);
  e = v128.load32_lane(<usize>i32x4.extract_lane(a, 3), e, 3);
  // the threshold: x's high 16 bits, the cell's low 16 bits; the compare is -1 where x > threshold
  const t = v128.or(v128.and(x, i32x4.splat(0xffff0000)), v128.and(e, i32x4.splat(0xffff)));
  return i32x4.sub(v128.and(i32x4.shr_u(e, 16), i32x4.splat(0xff)), f32x4.gt(x, t));
}

/** The four codes of quant4 packed into one little-endian word. */
// @ts-ignore: decorator
@inline function pack4(r: v128): u32 {
  return <u32>i32x4.extract_lane(i8x16.shuffle(r, r, 0, 4, 8, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), 0);
}

/** Sixteen codes (four quant4 results, each lane in 0..255) as 16 bytes, in order. */
// @ts-ignore: decorator
@inline function pack16(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(r0, r1), i16x8.narrow_i32x4_u(r2, r3));
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
      const end16 = start + ((end - start) & ~15), end4 = start + ((end - start) & ~3);
      for (; i < end16; i += 16) {
        const s = wm + (<usize>(i - start) << 2), t = wv + (<usize>(i - start) << 2);
        const m0 = v128.load(s), m1 = v128.load(s, 16), m2 = v128.load(s, 32), m3 = v128.load(s, 48);
        v128.store(c1 + i, pack16(
          quant4(div1 ? f32x4.div(m0, vMx1) : m0, q + CELLS_S, true), quant4(div1 ? f32x4.div(m1, vMx1) : m1, q + CELLS_S, true),
          quant4(div1 ? f32x4.div(m2, vMx1) : m2, q + CELLS_S, true), quant4(div1 ? f32x4.div(m3, vMx1) : m3, q + CELLS_S, true),
        ));
        const v0 = v128.load(t), v1 = v128.load(t, 16), v2 = v128.load(t, 32), v3 = v128.load(t, 48);
        v128.store(c2 + i, pack16(
          quant4(div2 ? f32x4.div(v0, vMx2) : v0, q + CELLS_U, false), quant4(div2 ? f32x4.div(v1, vMx2) : v1, q + CELLS_U, false),
          quant4(div2 ? f32x4.div(v2, vMx2) : v2, q + CELLS_U, false), quant4(div2 ? f32x4.div(v3, vMx2) : v3, q + CELLS_U, false),
        ));
      }
      for (; i < end4; i += 4) {
        const s = <usize>(i - start) << 2;
        const m = v128.load(wm + s), v = v128.load(wv + s);
        store<u32>(c1 + i, pack4(quant4(div1 ? f32x4.div(m, vMx1) : m, q + CELLS_S, true)));
        store<u32>(c2 + i, pack4(quant4(div2 ? f32x4.div(v, vMx2) : v, q + CELLS_U, false)));
      }
    }
    for (; i < end; i++) {
      const s = <usize>(i - start) << 2;
      const m = load<f32>(wm + s), v = load<f32>(wv + s);
      store<u8>(c1 + i, <u8>code(mx1 > 0 ? m / mx1 : m, q + CELLS_S, true));
      store<u8>(c2 + i, <u8>code(mx2 > 0 ? v / mx2 : v, q + CELLS_U, false));
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
      const end16 = start + ((end - start) & ~15), end4 = start + ((end - start) & ~3);
      for (; i < end16; i += 16) {
        const s = w + (<usize>(i - start) << 2);
        const m0 = v128.load(s), m1 = v128.load(s, 16), m2 = v128.load(s, 32), m3 = v128.load(s, 48);
        v128.store(c1 + i, pack16(
          quant4(div1 ? f32x4.div(m0, vMx1) : m0, q + CELLS_S, true), quant4(div1 ? f32x4.div(m1, vMx1) : m1, q + CELLS_S, true),
          quant4(div1 ? f32x4.div(m2, vMx1) : m2, q + CELLS_S, true), quant4(div1 ? f32x4.div(m3, vMx1) : m3, q + CELLS_S, true),
        ));
      }
      for (; i < end4; i += 4) {
        const m = v128.load(w + (<usize>(i - start) << 2));
        store<u32>(c1 + i, pack4(quant4(div1 ? f32x4.div(m, vMx1) : m, q + CELLS_S, true)));
      }
    }
    for (; i < end; i++) {
      const m = load<f32>(w + (<usize>(i - start) << 2));
      store<u8>(c1 + i, <u8>code(mx1 > 0 ? m / mx1 : m, q + CELLS_S, true));
    }
  }
}
