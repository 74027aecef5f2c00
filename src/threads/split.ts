// The kernels of an optimizer on the pool: the same `Kernels` interface the
// step pipeline and every method's `run` use, where each elementwise kernel
// (protocol.ts SPLIT_KERNELS) called with n >= the threshold is split into
// `parts` contiguous chunks of chunkLength(n, parts) elements (a multiple of
// 16: 64 bytes): chunk c covers [c*L, min(n, (c+1)*L)), every pointer
// argument advanced by 4*c*L bytes. The calling thread runs chunk 0.
// The blocked reductions (REDUCE_KERNELS: the norms, Lamb's first pass) hand
// out whole blocks of REDUCE_BLOCK elements and add the block sums in block
// order on the caller (L-BFGS's dot too); gemm hands out rows of C.
// Everything else (kernels added later) runs on the calling thread, so
// results are bit-identical for every thread count.
import type { Kernels } from '../wasm.js';
import {
  AND_KERNELS, ARGS, chunkLength, MAX_BLOCKS, MAX_KERNELS, MODE_BLOCKS, MODE_CHUNKS, MODE_ROWS, MODE_STRIDED, MAX_STRIDED, READ_ONLY_KERNELS, REDUCE_BLOCK, REDUCE_KERNELS,
  KERNEL_PREPARE, ROW_KERNELS, SPLIT_KERNELS, SPLIT_NAMES, STRIDED_KERNELS, type StridedKernel,
} from './protocol.js';
import { poolReady, runSplit, workerResult } from './pool.js';
import { StepGuard } from './guard.js';

/**
 * Calls with fewer elements than this run on the calling thread: waking a
 * worker costs tens of microseconds. Measured on a quiet 2-core machine (load
 * average 0.9; `node bench/threads.mjs --rounds=11`, Adam zero-copy, 1 vs 2
 * threads): 4K 0.90x, 8K 1.23x, 16K 1.48x, 1M 1.81x; so 2 threads win from
 * 8,192 elements. (Under load, 8 to 16 runnable processes on 2 cores, 2
 * threads lose at every size: see the README.)
 */
export const DEFAULT_SPLIT_THRESHOLD = 8192;
let threshold = DEFAULT_SPLIT_THRESHOLD;

const SPLIT_FROM = Symbol('splitFrom');
const GUARD = Symbol('guard');
const CHECK_IN = Symbol('checkIn');

/** The step guard (./guard.ts) of `k`'s pool kernels, or undefined when `k` is not on the pool. */
export function stepGuard(k: Kernels): StepGuard | undefined {
  return (k as unknown as Record<symbol, StepGuard | undefined>)[GUARD];
}

/**
 * Checks the workers of `k`'s pool in for the step that is starting (the
 * KERNEL_PREPARE pseudo-call behind the barrier: ./guard.ts says when a step
 * needs it); throws the pool's error, nothing written, if one fails. Does
 * nothing where `k` is not on the pool or the pool is not up.
 */
export function checkInStep(k: Kernels): void {
  (k as unknown as Record<symbol, (() => void) | undefined>)[CHECK_IN]?.();
}

/** Whether any of the first `nptr` pointers of `a`, each `bytes` long, touches parameters or state. */
function touchesAny(guard: StepGuard, a: readonly number[], nptr: number, bytes: number): boolean {
  for (let i = 0; i < nptr; i++) if (guard.touches(a[i]!, bytes)) return true;
  return false;
}

/**
 * The smallest elementwise call that `k` splits across threads now, or
 * undefined when `k` is not on the pool (kernels of one thread).
 */
export function splitSize(k: Kernels): number | undefined {
  const f = (k as unknown as Record<symbol, (() => number) | undefined>)[SPLIT_FROM];
  return f?.();
}

/** Sets the split threshold in elements (tests use small ones to split odd tails); returns the previous one. */
export function setSplitThreshold(n: number): number {
  const old = threshold;
  threshold = n;
  return old;
}

/**
 * gemm splits when m*n*k reaches this many times the split threshold (a
 * product does about one multiply-add per element per k, so it outweighs a
 * wake-up far sooner than a streaming kernel).
 */
export const GEMM_WORK_PER_ELEMENT = 16;

/** Index of `name` among the getters of the blocked reductions (-1: not one). */
function getterIndex(name: string): number {
  for (const r of Object.values(REDUCE_KERNELS)) if (r.getters.includes(name)) return r.getters.indexOf(name);
  return -1;
}

/**
 * A blocked reduction (protocol.ts REDUCE_KERNELS) split across `parts`
 * threads: rounds of at most MAX_BLOCKS blocks; in each, thread c runs blocks
 * [c*per, (c+1)*per) one call each and stores their sums; the caller adds
 * them in block order, exactly as the kernel adds its block sums on one
 * thread. Kernels with getters (lambMoments) get their sums through
 * `setSums`; others return their sum.
 */
function blocked(
  what: string, fn: (...a: number[]) => unknown, memId: number, kernel: number, nptr: number, getters: readonly (() => number)[],
  parts: number, tiny: () => number, setSums: (s: number[] | undefined) => void, from: () => number, guard: StepGuard, readOnly: boolean,
): (...a: number[]) => unknown {
  const ngetters = getters.length;
  /** blocks [j0, j1) of a round starting at `round`, one call each, their sums to `out` at PARTIALS + 2j */
  const runBlocks = (round: number[], len: number, j0: number, j1: number, out: Float64Array): void => {
    const own = round.slice();
    for (let j = j0; j < j1; j++) {
      for (let i = 0; i < nptr; i++) own[i] = round[i]! + 4 * j * REDUCE_BLOCK;
      own[nptr] = Math.min(REDUCE_BLOCK, len - j * REDUCE_BLOCK);
      const r = fn(...own) as number;
      if (ngetters === 0) out[ARGS.PARTIALS + 2 * j] = r;
      else for (let g = 0; g < ngetters; g++) out[ARGS.PARTIALS + 2 * j + g] = getters[g]!();
    }
  };
  let local: Float64Array | undefined;
  return (...a: number[]) => {
    const n = a[nptr]!;
    if (parts < 2 || n < from() || n <= REDUCE_BLOCK || !poolReady(parts)) {
      setSums(undefined);
      const r = fn(...a);
      if (!readOnly && touchesAny(guard, a, nptr, 4 * n)) guard.wrote();
      return r;
    }
    const writes = !readOnly && touchesAny(guard, a, nptr, 4 * n);
    let s0 = 0;
    let s1 = 0;
    const round = a.slice();
    for (let from = 0; from < n; from += MAX_BLOCKS * REDUCE_BLOCK) {
      for (let i = 0; i < nptr; i++) round[i] = a[i]! + 4 * from;
      const len = Math.min(n - from, MAX_BLOCKS * REDUCE_BLOCK);
      round[nptr] = len;
      const blocks = Math.ceil(len / REDUCE_BLOCK);
      const per = Math.ceil(blocks / parts);
      let partials: Float64Array | undefined;
      const pooled = guard.mayPool();
      if (pooled) {
        runSplit(what, memId, kernel, nptr, round, tiny(), parts, (args) => {
          partials = args;
          runBlocks(round, len, 0, Math.min(per, blocks), args);
        }, MODE_BLOCKS, 0, writes);
      } else {
        // after this step's first write, with nothing to undo it from: every block on this thread (the same sums)
        partials = local ??= new Float64Array(ARGS.PARTIALS + 2 * MAX_BLOCKS);
        runBlocks(round, len, 0, blocks, partials);
      }
      if (writes) guard.wrote(pooled);
      for (let j = 0; j < blocks; j++) {
        s0 += partials![ARGS.PARTIALS + 2 * j]!;
        if (ngetters > 1) s1 += partials![ARGS.PARTIALS + 2 * j + 1]!;
      }
    }
    setSums(ngetters === 0 ? undefined : [s0, s1]);
    return ngetters === 0 ? s0 : undefined;
  };
}

/**
 * A MODE_STRIDED kernel (protocol.ts STRIDED_KERNELS) split across `parts`
 * threads: chunks of whole aligned units, each pointer advanced by its
 * stride, each thread with its own scratch. A pointer with a stride writes
 * its n*stride bytes (what the step's guard is told) unless listed in
 * `reads`; stride-0 pointers and the scratch are only read or private.
 */
function strided(
  what: string, fn: (...a: number[]) => unknown, memId: number, kernel: number, sk: StridedKernel, parts: number, tiny: () => number,
  from: () => number, guard: StepGuard,
): (...a: number[]) => unknown {
  const { nptr } = sk;
  // its strides travel in ARGS.STRIDES .. STRIDES + MAX_STRIDED - 1 (the slots after them are other arguments')
  if (nptr > MAX_STRIDED) throw new Error(`${what}: a MODE_STRIDED kernel has at most ${MAX_STRIDED} pointers, this one ${nptr}`);
  return (...a: number[]) => {
    const n = a[nptr]!;
    const strides = sk.strides(a);
    let writes = false;
    for (let i = 0; i < nptr; i++) if (strides[i]! > 0 && !sk.reads?.includes(i) && guard.touches(a[i]!, Math.ceil(n * strides[i]!))) writes = true;
    const align = sk.align(a);
    if (parts < 2 || (sk.work?.(a) ?? n) < from() || n <= align || !poolReady(parts) || !guard.mayPool()) {
      const r = fn(...a);
      if (writes) guard.wrote();
      return r;
    }
    const len = Math.ceil(Math.ceil(n / parts) / align) * align;
    const scratchArg = sk.scratch?.arg ?? -1;
    runSplit(what, memId, kernel, nptr, a, tiny(), parts, () => {
      const own = a.slice();
      own[nptr] = Math.min(n, len);
      fn(...own);
    }, MODE_STRIDED, sk.scratch?.bytes(a) ?? 0, writes, { strides, align, scratchArg });
    if (writes) guard.wrote(true);
    return undefined;
  };
}

/** `raw`'s kernels, with the elementwise ones split across `parts` threads for memory `memId`. */
export function splitKernels(owner: string, raw: Kernels, memId: number, parts: number, splitFrom?: number): Kernels {
  const out: Record<string | symbol, unknown> = {};
  // the method's own smallest split size (MethodSpec.splitFrom) applies above the default threshold; a
  // threshold set by setSplitThreshold (tests: small ones, to split odd tails) overrides it
  const from = (): number => (threshold === DEFAULT_SPLIT_THRESHOLD ? Math.max(threshold, splitFrom ?? 0) : threshold);
  out[SPLIT_FROM] = from;
  const guard = new StepGuard();
  out[GUARD] = guard;
  out[CHECK_IN] = () => {
    if (parts < 2 || !poolReady(parts)) return;
    runSplit(`${owner}.step (the workers' check-in)`, memId, KERNEL_PREPARE, 0, [], tiny, parts, () => {}, MODE_CHUNKS, 0, true);
    guard.checkedIn();
  };
  const r = raw as unknown as Record<string, unknown>;
  let tiny = 0;
  /** the sums of the last blocked reduction with getters (Lamb's), when it was split; read by those getters */
  let lastSums: number[] | undefined;
  for (const name of Object.keys(r)) {
    const f = r[name];
    if (typeof f !== 'function') {
      out[name] = f;
      continue;
    }
    const fn = f as (...a: number[]) => unknown;
    const kernel = SPLIT_NAMES.indexOf(name);
    const what = `${owner}.step (kernel ${name})`;
    const nptr = SPLIT_KERNELS[name];
    const reduce = REDUCE_KERNELS[name];
    const stridedKernel = STRIDED_KERNELS[name];
    if (name === 'setFlushThreshold') {
      out[name] = (t: number) => {
        tiny = t;
        fn(t);
      };
    } else if (reduce !== undefined) {
      out[name] = blocked(
        what, fn, memId, kernel, reduce.nptr, reduce.getters.map((g) => r[g] as () => number), parts, () => tiny, (sums) => (lastSums = sums), from,
        guard, READ_ONLY_KERNELS.includes(name),
      );
    } else if (stridedKernel !== undefined) {
      out[name] = strided(what, fn, memId, kernel, stridedKernel, parts, () => tiny, from, guard);
    } else if (ROW_KERNELS.includes(name)) {
      const workBytes = (raw as unknown as { gemmWorkBytes: (n: number, k: number) => number }).gemmWorkBytes;
      out[name] = (...a: number[]) => {
        // gemm(a, b, c, w, m, n, k, lda, ldb, ldc, transB, alpha, beta)
        const m = a[4]!, n = a[5]!, k = a[6]!;
        // C (m rows of ldc floats) and the packing panels (one per thread) are what it writes
        const stride = Math.ceil(workBytes(n, k) / 64) * 64;
        const writes = guard.touches(a[2]!, 4 * m * a[9]!) || guard.touches(a[3]!, parts * stride);
        let pooled = false;
        if (parts < 2 || m < 8 || k <= 0 || m * n * k < GEMM_WORK_PER_ELEMENT * threshold || !poolReady(parts) || !guard.mayPool()) {
          fn(...a);
        } else {
          pooled = true;
          const rows = Math.ceil(Math.ceil(m / parts) / 4) * 4;
          runSplit(what, memId, kernel, 4, a, tiny, parts, () => {
            const own = a.slice();
            own[4] = Math.min(m, rows);
            fn(...own);
          }, MODE_ROWS, stride, writes);
        }
        if (writes) guard.wrote(pooled);
      };
    } else if (nptr === undefined) {
      const getter = getterIndex(name);
      if (getter >= 0) out[name] = () => (lastSums ? lastSums[getter]! : fn());
      else if (READ_ONLY_KERNELS.includes(name)) out[name] = fn;
      else {
        // a kernel that runs on the calling thread only (Adafactor's, Muon's momentum, ...): it may write anything
        out[name] = (...a: number[]) => {
          const r = fn(...a);
          guard.wrote();
          return r;
        };
      }
    } else {
      const and = AND_KERNELS.includes(name);
      const max = MAX_KERNELS.includes(name);
      const readOnly = READ_ONLY_KERNELS.includes(name);
      out[name] = (...a: number[]) => {
        const n = a[nptr]!;
        const writes = !readOnly && touchesAny(guard, a, nptr, 4 * n);
        if (parts < 2 || n < from() || !poolReady(parts) || !guard.mayPool()) {
          const r = fn(...a);
          if (writes) guard.wrote();
          return r;
        }
        const len = chunkLength(n, parts);
        let result: unknown;
        runSplit(what, memId, kernel, nptr, a, tiny, parts, () => {
          const own = a.slice();
          own[nptr] = Math.min(n, len);
          result = fn(...own);
        }, MODE_CHUNKS, 0, writes);
        if (writes) guard.wrote(true);
        if (and) {
          for (let i = 0; i < parts - 1; i++) if (workerResult(i) === 0) result = 0;
        } else if (max) {
          // exact and order-free: NaN if any chunk's is NaN, else the largest (an empty chunk: NaN slot, skipped)
          let r = result as number;
          for (let i = 0; i < parts - 1; i++) {
            const w = workerResult(i);
            if ((i + 1) * len >= n) continue; // worker i's chunk (chunk i + 1) is empty
            r = Number.isNaN(w) || Number.isNaN(r) ? NaN : Math.max(r, w);
          }
          result = r;
        }
        return result;
      };
    }
  }
  return out as unknown as Kernels;
}
