// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
// The reductions and the in-place updates are SIMD kernels: gradients that
// are views into an optimizer's memory (opt.grads) are processed in place;
// other Float32Arrays go through a small scratch memory in chunks (a memcpy
// in and out is far cheaper than a scalar JS loop).
import { Arena, kernelsFor } from './arena.js';
import { checkFloat32Array, checkRule, describe, nonNegative } from './validate.js';
import type { Kernels } from './wasm.js';
import { bufferOf, byteOffsetOf, Foreign, lengthOf, readInput, readPlain, setInto } from './input.js';

/** The norms clipGradNorm supports: 1, 2 and Infinity (max |g|). */
export type NormType = 1 | 2 | typeof Infinity;

/** As PyTorch: any number >= 0; Infinity measures the norm without clipping. */
const maxNormRule = { expected: 'a number >= 0 (Infinity measures the norm without clipping)', type: 'number' as const, test: (v: number) => v >= 0 };

/** Floats per chunk of the scratch memory used for arrays outside WebAssembly memory. */
const CHUNK = 1 << 16;
const SCRATCH = 64;
let scratch: Arena | undefined;

function scratchArena(owner: string): Arena {
  // library-internal: not counted among the optimizers' memories in memoryStats()
  scratch ??= Arena.acquire(owner, SCRATCH + 4 * CHUNK, undefined, false);
  return scratch;
}

/** Runs `f(kernels, address, length)` over g in place, or chunk by chunk through scratch memory. */
function forEachChunk(owner: string, g: Float32Array, write: boolean, f: (k: Kernels, addr: number, n: number) => void): void {
  // buffer, offset and length from the internal slots; chunks are this module's own views (never g.subarray)
  const buffer = bufferOf(g);
  const offset = byteOffsetOf(g);
  const length = lengthOf(g);
  const k = kernelsFor(buffer);
  if (k) {
    f(k, offset, length);
    return;
  }
  const arena = scratchArena(owner);
  const view = new Float32Array(arena.buffer, SCRATCH, CHUNK);
  for (let start = 0; start < length; start += CHUNK) {
    const n = Math.min(length, start + CHUNK) - start;
    const part = new Float32Array(buffer, offset + 4 * start, n);
    setInto(view, part);
    f(arena.kernels, SCRATCH, n);
    if (write) setInto(part, new Float32Array(arena.buffer, SCRATCH, n));
  }
}

export function checkNormType(owner: string, name: string, v: unknown): NormType {
  if (v !== 1 && v !== 2 && v !== Infinity) {
    throw new (typeof v === 'number' ? RangeError : TypeError)(`${owner}: invalid ${name}: expected 1, 2 or Infinity, got ${describe(v)}`);
  }
  return v;
}

/** The norm of all gradients together (computed in double). */
export function totalNorm(chunks: (f: (k: Kernels, addr: number, n: number) => void) => void, normType: NormType): number {
  let acc = 0;
  if (normType === Infinity) {
    chunks((kk, a, n) => {
      const m = kk.maxAbs(a, n);
      acc = Number.isNaN(m) || Number.isNaN(acc) ? NaN : Math.max(acc, m);
    });
    return acc;
  }
  chunks((kk, a, n) => (acc += normType === 2 ? kk.sumSquares(a, n) : kk.sumAbs(a, n)));
  return normType === 2 ? Math.sqrt(acc) : acc;
}

/** PyTorch's clip coefficient: min(1, maxNorm / (total + 1e-6)); NaN when the norm is NaN. */
export function clipCoefficient(maxNorm: number, total: number): number {
  const c = maxNorm / (total + 1e-6);
  return Number.isNaN(c) ? NaN : Math.min(1, c);
}

function checkGrads(owner: string, grads: unknown): Float32Array[] {
  // one read of the list and of each element (the arrays themselves are kept: they are clipped in place)
  const list = readInput(owner, () => readPlain(owner, 'grads', grads, { keepFloat32: true })) as unknown[];
  if (!Array.isArray(list)) throw new TypeError(`${owner}: grads must be an array of Float32Arrays, got ${describe(list)}`);
  return list.map((g, i) => checkFloat32Array(owner, `grads[${i}]`, g));
}

export interface ClipGradNormOptions {
  /** Throw (changing nothing) when the total norm is NaN or infinite, instead of scaling by NaN or 0 as PyTorch does. Default false. */
  errorIfNonfinite?: boolean;
}

/**
 * Scales all gradients in place so that their joint norm is at most maxNorm,
 * as torch.nn.utils.clip_grad_norm_:
 *
 *     total = ||(||g_1||, ..., ||g_k||)||_normType
 *     c     = min(1, maxNorm / (total + 1e-6));  g_i = c*g_i   (when c < 1)
 *
 * Returns the total norm before clipping. normType is 1, 2 (default) or Infinity.
 * `grads` is read-only as an array (the numbers inside change, the array does
 * not), so `clipGradNorm(opt.grads, 1)` type-checks with the optimizer's views.
 */
export function clipGradNorm(grads: readonly Float32Array[], maxNorm: number, normType: NormType = 2, optionsIn: ClipGradNormOptions = {}): number {
  const owner = 'clipGradNorm';
  const gs = checkGrads(owner, grads);
  const options = readInput(owner, () => readPlain(owner, 'options', optionsIn)) as ClipGradNormOptions;
  if (options instanceof Foreign || Array.isArray(options)) throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
  checkRule(owner, 'maxNorm', maxNormRule, maxNorm);
  const type = checkNormType(owner, 'normType', normType);
  if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
  if (options.errorIfNonfinite !== undefined && typeof options.errorIfNonfinite !== 'boolean') {
    throw new TypeError(`${owner}: options.errorIfNonfinite must be true or false, got ${describe(options.errorIfNonfinite)}`);
  }
  const total = totalNorm((f) => gs.forEach((g) => forEachChunk(owner, g, false, f)), type);
  if (!Number.isFinite(total) && options.errorIfNonfinite) {
    throw new RangeError(
      `${owner}: the total ${type}-norm of the gradients is ${total}, so they cannot be clipped; nothing was changed ` +
        `(pass errorIfNonfinite: false to scale by NaN or 0 as PyTorch does)`,
    );
  }
  const c = clipCoefficient(maxNorm, total);
  if (!(c >= 1)) gs.forEach((g) => forEachChunk(owner, g, true, (k, a, n) => k.scale(a, n, c)));
  return total;
}

/**
 * Clamps every gradient element in place to [-clipValue, clipValue], as
 * torch.nn.utils.clip_grad_value_ (NaN stays NaN). Accepts `opt.grads`
 * (a `readonly Float32Array[]`) as it is.
 */
export function clipGradValue(grads: readonly Float32Array[], clipValue: number): void {
  const owner = 'clipGradValue';
  const gs = checkGrads(owner, grads);
  checkRule(owner, 'clipValue', nonNegative, clipValue);
  gs.forEach((g) => forEachChunk(owner, g, true, (k, a, n) => k.clampValue(a, n, -clipValue, clipValue)));
}
