// The 8-bit kernels' quantization constants, written once into each 8-bit
// optimizer's memory (MethodSpec.constants): both maps and, per map, two
// tables indexed by the high bits of x's float32 representation (a "cell"):
// the candidate code of the cell and the threshold above which x gets the next
// code, packed into 3 bytes per cell (bytes 0-1: the threshold's low 16 bits,
// byte 2: the code), read as one little-endian u32 at 3*c (its byte 3 belongs
// to the next cell; one padding byte follows the last). Quantizing x (the
// moment over its block's absmax) is then
//
//   c = clamp((bits(|x|) >>> 16) - (127 - 23)*128, 0, TOP) (+ CELLS if x < 0, signed map)
//   e = u32 at cells + 3*c;  t = float32 with the high 16 bits of x and the low 16 bits of e
//   code = x > t ? ((e >>> 16) & 255) + 1 : (e >>> 16) & 255
//
// one load (the kernel gathers four with v128.load32_lane) and one compare. A cell is one value of x's high 16 bits, so a threshold inside it
// shares them and 16 bits per cell hold it exactly; a cell without one gets
// the low bits that put t at its top (0xffff positive, 0 negative), which no x
// of the cell exceeds (the clamped cells too: t is built from x's own bits)
// one table load and one compare instead of bitsandbytes' 8-step binary search
// (quantize_2D). A cell spans 1/128 of a binade (7 mantissa bits) from 2^-23
// to 1: every cell holds at most one threshold, because the maps' codes are at
// least 2^-7 of their binade apart there, and everything below 2^-23 lies
// below both maps' first threshold (about 1.6e-7). test/eightbit.test.ts
// checks code = search(x) at both ends of every cell and on both sides of
// every threshold.
//
// threshold[k], the largest x that still gets code k: the float32 midpoint
// (map[k] + map[k+1]) * 0.5, as bitsandbytes computes it. The search breaks a
// tie (x exactly at a midpoint) towards the even code (its last pivot is
// always even: 127 ± 64 ± ... ± 1), so where k is odd the threshold is the
// float just below the midpoint. Signed map: a negative x never gets code 127
// (+0; bitsandbytes moves a code whose sign differs from the moment's), so
// threshold[126] = 0 and negative cells hold at most 126, positive ones at
// least 127.
import { signedMap, unsignedMap } from './eightbit.js';

/** Mantissa bits kept in a table index. */
const BITS = 7;
/** First table exponent: 2^-23 (biased 104). */
const FIRST_EXPONENT = 127 - 23;
/** The last cell, holding x = ±1 (and, clamped, anything larger). */
export const TOP = 23 << BITS;
/** Cells per sign. */
export const CELLS = TOP + 1;
/** Byte offsets of each part in the constants (assembly/eightbit.ts has the same). */
export const OFFSETS = Object.freeze({
  signedMap: 0,
  unsignedMap: 1024,
  /** 3 bytes per cell, the low 16 bits of its threshold then its code: positive cells, then negative ones */
  signedCells: 2048,
  unsignedCells: 2048 + 6 * CELLS,
});
/** Bytes of the constants (one padding byte: the last cell is read as a u32 too). */
export const CONSTANT_BYTES = OFFSETS.unsignedCells + 3 * CELLS + 1;

const word = new Float32Array(1);
const wordBits = new Uint32Array(word.buffer);
const bitsOf = (x: number) => ((word[0] = x), wordBits[0]!);
const fromBits = (b: number) => ((wordBits[0] = b), word[0]!);
/** The float32 just below x (x finite, not 0). */
const below = (x: number) => fromBits(x > 0 ? bitsOf(x) - 1 : bitsOf(x) + 1);

function thresholds(map: Float32Array, signed: boolean): Float32Array {
  const t = new Float32Array(256);
  for (let k = 0; k < 255; k++) {
    const mid = Math.fround(Math.fround(map[k]! + map[k + 1]!) * 0.5);
    t[k] = k % 2 === 0 ? mid : below(mid);
  }
  if (signed) t[126] = 0;
  t[255] = Infinity;
  return t;
}

/** The code of x by the thresholds: how many of them x exceeds, a sign kept in the signed map. */
export function codeByThresholds(thr: Float32Array, x: number, signed: boolean): number {
  let lo = 0, hi = 255; // the first k with x <= thr[k]
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x > thr[mid]!) lo = mid + 1;
    else hi = mid;
  }
  if (!signed) return lo;
  return bitsOf(x) >>> 31 ? Math.min(lo, 126) : Math.max(lo, 127);
}

/** The cell of x's float32 bits (without the sign offset). */
export const cellOf = (bits: number): number => Math.min(Math.max(((bits & 0x7fffffff) >>> (23 - BITS)) - (FIRST_EXPONENT << BITS), 0), TOP);

/** The smallest and largest float32 magnitude (bits) in cell c. */
export function cellRange(c: number): [number, number] {
  if (c === TOP) return [0x3f800000, 0x3f800000];
  const lo = c === 0 ? 0 : (c + (FIRST_EXPONENT << BITS)) << (23 - BITS);
  return [lo, ((c + 1 + (FIRST_EXPONENT << BITS)) << (23 - BITS)) - 1];
}

function table(thr: Float32Array, signed: boolean): Uint8Array {
  const out = new Uint8Array(signed ? 2 * CELLS : CELLS);
  for (let c = 0; c < CELLS; c++) {
    const [lo, hi] = cellRange(c);
    out[c] = codeByThresholds(thr, fromBits(lo), signed); // the smallest x of a positive cell
    if (signed) out[CELLS + c] = codeByThresholds(thr, -fromBits(hi), true); // of a negative one
  }
  return out;
}

/** The thresholds of the signed and the unsigned map. */
export const signedThresholds: Float32Array = thresholds(signedMap, true);
export const unsignedThresholds: Float32Array = thresholds(unsignedMap, false);

/** Per cell, the low 16 bits of its code's threshold where that lies in the cell, else of the cell's top. */
function lowBits(codes: Uint8Array, thr: Float32Array): Uint16Array {
  const out = new Uint16Array(codes.length);
  codes.forEach((k, i) => {
    const negative = i >= CELLS;
    const [lo, hi] = cellRange(i % CELLS);
    const t = thr[k]!;
    const inside = Number.isFinite(t) && (negative ? t < 0 : t >= 0) && bitsOf(Math.abs(t)) >= lo && bitsOf(Math.abs(t)) <= hi;
    out[i] = inside ? bitsOf(t) & 0xffff : negative ? 0 : 0xffff;
  });
  return out;
}

let constants: Uint8Array | undefined;
/** The constants as bytes, in the layout of OFFSETS (built once; the caller copies them). */
export function quantizationConstants(): Uint8Array {
  if (constants) return constants;
  const out = new Uint8Array(CONSTANT_BYTES);
  const put = (at: number, a: Float32Array | Uint8Array) => out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), at);
  put(OFFSETS.signedMap, signedMap);
  put(OFFSETS.unsignedMap, unsignedMap);
  const packed = (codes: Uint8Array, low: Uint16Array) => {
    const b = new Uint8Array(3 * codes.length);
    codes.forEach((k, i) => b.set([low[i]! & 255, low[i]! >>> 8, k], 3 * i));
    return b;
  };
  const st = table(signedThresholds, true), ut = table(unsignedThresholds, false);
  put(OFFSETS.signedCells, packed(st, lowBits(st, signedThresholds)));
  put(OFFSETS.unsignedCells, packed(ut, lowBits(ut, unsignedThresholds)));
  return (constants = out);
}
