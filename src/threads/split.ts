// The kernels of an optimizer on the pool: the same `Kernels` interface the
// step pipeline and every method's `run` use, where each elementwise kernel
// (protocol.ts SPLIT_KERNELS) called with n >= the threshold is split into
// `parts` contiguous chunks of chunkLength(n, parts) elements (a multiple of
// 16: 64 bytes): chunk c covers [c*L, min(n, (c+1)*L)), every pointer
// argument advanced by 4*c*L bytes. The calling thread runs chunk 0.
// Everything else (reductions, gemm, kernels added later) runs on the calling
// thread, so results are bit-identical for every thread count.
import type { Kernels } from '../wasm.js';
import { AND_KERNELS, chunkLength, SPLIT_KERNELS, SPLIT_NAMES } from './protocol.js';
import { poolReady, runSplit, workerResult } from './pool.js';

/**
 * Calls with fewer elements than this run on the calling thread: waking a
 * worker costs tens of microseconds (bench/threads.mjs measures where 2
 * threads start to win).
 */
export const DEFAULT_SPLIT_THRESHOLD = 65536;
let threshold = DEFAULT_SPLIT_THRESHOLD;

/** Sets the split threshold in elements (tests use small ones to split odd tails); returns the previous one. */
export function setSplitThreshold(n: number): number {
  const old = threshold;
  threshold = n;
  return old;
}

/** `raw`'s kernels, with the elementwise ones split across `parts` threads for memory `memId`. */
export function splitKernels(owner: string, raw: Kernels, memId: number, parts: number): Kernels {
  const out: Record<string, unknown> = {};
  const r = raw as unknown as Record<string, unknown>;
  let tiny = 0;
  for (const name of Object.keys(r)) {
    const f = r[name];
    if (typeof f !== 'function') {
      out[name] = f;
      continue;
    }
    const fn = f as (...a: number[]) => unknown;
    const nptr = SPLIT_KERNELS[name];
    if (name === 'setFlushThreshold') {
      out[name] = (t: number) => {
        tiny = t;
        fn(t);
      };
    } else if (nptr === undefined) {
      out[name] = fn;
    } else {
      const kernel = SPLIT_NAMES.indexOf(name);
      const what = `${owner}.step (kernel ${name})`;
      const and = AND_KERNELS.includes(name);
      out[name] = (...a: number[]) => {
        const n = a[nptr]!;
        if (parts < 2 || n < threshold || !poolReady(parts)) return fn(...a);
        const len = chunkLength(n, parts);
        let result: unknown;
        runSplit(what, memId, kernel, nptr, a, tiny, parts, () => {
          const own = a.slice();
          own[nptr] = Math.min(n, len);
          result = fn(...own);
        });
        if (and) {
          for (let i = 0; i < parts - 1; i++) if (workerResult(i) === 0) result = 0;
        }
        return result;
      };
    }
  }
  return out as unknown as Kernels;
}
