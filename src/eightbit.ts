// Shared by the 8-bit methods (Adam8bit, AdamW8bit, Lion8bit): their extra
// options, the state layout (bitsandbytes' blockwise 8-bit state) and the
// quantization maps as float32 values.
import { SIGNED_MAP_BITS, UNSIGNED_MAP_BITS } from './quantization-map.js';
import type { Rule } from './validate.js';

/** The options every 8-bit method adds to its float counterpart's. */
export interface EightBitOptions {
  /** elements per quantization block (one float32 absmax each): a positive multiple of 16, default 256 */
  blockSize: number;
  /** tensors with fewer elements keep float32 state (bitsandbytes' min_8bit_size), default 4096 */
  min8bitSize: number;
}

export const EIGHT_BIT_DEFAULTS: EightBitOptions = Object.freeze({ blockSize: 256, min8bitSize: 4096 });

/**
 * The largest block (bitsandbytes' largest, 4096): a step keeps one block's new
 * moments in a scratch of blockSize floats per moment while it requantizes.
 */
export const MAX_BLOCK_SIZE = 4096;

export const blockSizeRule: Rule = {
  expected: `a positive multiple of 16 (at most ${MAX_BLOCK_SIZE})`,
  type: 'number',
  test: (v: number) => Number.isSafeInteger(v) && v > 0 && v % 16 === 0 && v <= MAX_BLOCK_SIZE,
};

export const min8bitSizeRule: Rule = {
  expected: 'a whole number >= 0',
  type: 'number',
  test: (v: number) => Number.isSafeInteger(v) && v >= 0,
};

export const EIGHT_BIT_RULES = { blockSize: blockSizeRule, min8bitSize: min8bitSizeRule } as const;

/** Whether a tensor of `length` elements keeps 8-bit state (bitsandbytes: numel >= min_8bit_size). */
export const isEightBit = (o: EightBitOptions, length: number): boolean => length >= o.min8bitSize;

/**
 * Floats a tensor of `length` elements takes in a moment's buffer: `length`
 * float32 values below min8bitSize, else `length` one-byte codes packed 4 per
 * float slot.
 */
export const codesLength = (o: EightBitOptions, length: number): number => (isEightBit(o, length) ? Math.ceil(length / 4) : length);

/** Floats a tensor takes in a moment's absmax buffer: one per block when 8-bit, none (null) otherwise. */
export const absmaxLength = (o: EightBitOptions, length: number): number | null => (isEightBit(o, length) ? Math.ceil(length / o.blockSize) : null);

/**
 * Scratch floats a step needs: blockSize per moment when any tensor is 8-bit
 * (the block's new moments), else none; one such scratch per thread (on the
 * pool each thread requantizes its own blocks: src/threads/protocol.ts STRIDED_KERNELS).
 */
export const eightBitScratch = (o: EightBitOptions, shapes: readonly (readonly number[])[], moments: number, threads = 1): number =>
  shapes.some((s) => isEightBit(o, s.reduce((a, d) => a * d, 1))) ? moments * o.blockSize * threads : 0;

const toFloats = (bits: readonly number[]) => Float32Array.from(new Float32Array(Uint32Array.from(bits).buffer));
/** bitsandbytes' signed dynamic map (create_dynamic_map(signed=True)) as float32 values */
export const signedMap: Float32Array = toFloats(SIGNED_MAP_BITS);
/** bitsandbytes' unsigned dynamic map (create_dynamic_map(signed=False)) as float32 values */
export const unsignedMap: Float32Array = toFloats(UNSIGNED_MAP_BITS);
