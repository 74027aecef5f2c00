// The layout of the two SharedArrayBuffers through which the calling thread
// hands a kernel call to the pool's workers (src/threads/pool.ts) and the
// workers answer (src/threads/worker-source.ts).

/** Int32 words of the control array. */
export const CTL = {
  /** workers still running their chunk of the current call; the caller waits for 0 */
  REMAIN: 0,
  /**
   * 0: fine. Before GO (nothing written by anyone): 1 a worker threw (message on
   * the reply port), 2 a worker exited. After GO (chunks may have written):
   * 3 a chunk threw, 4 a worker exited.
   */
  ERR: 1,
  /** the id of the memory (optimizer) the call works on */
  MEM: 2,
  /** index of the kernel in the names list; KERNEL_QUIT (-1) quits, KERNEL_DRAIN (-2) only reads the port */
  KERNEL: 3,
  /** how many leading arguments are pointers (the canonical order: pointers, then n, then scalars) */
  NPTR: 4,
  /** how many arguments the kernel takes */
  NARGS: 5,
  /** how many chunks the call is split into (the caller runs chunk 0, worker i chunk i + 1) */
  PARTS: 6,
  /** bumped whenever a memory is detached, so that workers drop their instance of it */
  GEN: 7,
  /** how the call is split: MODE_CHUNKS, MODE_BLOCKS or MODE_ROWS */
  MODE: 8,
  /**
   * test hook: 0 none; before check-in (the real failure points): HOOK_DIE
   * exits, HOOK_THROW throws, HOOK_HANG blocks until terminated; after GO, once
   * its chunk has written: HOOK_THROW_AFTER throws (the kernel-bug case)
   */
  HOOK: 9,
  /**
   * 1: a writing call, run in two phases (the barrier): every worker prepares
   * (finds its instance, its chunk) and checks in (ARRIVE), then waits for
   * GATE; the caller sets GATE to GO once all parts - 1 have checked in with
   * ERR still 0, else to ABORT, and nobody writes. 0: a read-only call
   * (finiteness, norms, Lamb's sums): no barrier, a failure changes nothing.
   */
  BARRIER: 10,
  /** workers of a barrier call that have checked in (prepared, or failed: ERR is set first) */
  ARRIVE: 11,
  /** a barrier call's gate: GATE_WAIT, then GATE_GO or GATE_ABORT (set once, by the caller) */
  GATE: 12,
  /** worker i's sequence word is SEQ + i: bumped (and notified) to hand it a call */
  SEQ: 16,
} as const;

/** Float64 slots of the argument array. */
export const ARGS = {
  /** at most this many kernel arguments, in slots 0.. */
  MAX_ARGS: 24,
  /** MODE_STRIDED: bytes pointer i advances per unit at STRIDES + i (at most MAX_STRIDED pointers) */
  STRIDES: 24,
  /** MODE_ROWS: bytes between the threads' gemm scratch panels (chunk c uses w + c*WSTRIDE); MODE_STRIDED: the same for the scratch argument */
  WSTRIDE: 32,
  /** the flush threshold the caller's instance has (setFlushThreshold is per instance) */
  TINY: 33,
  /** MODE_STRIDED: chunk starts are multiples of this many units */
  ALIGN: 34,
  /** MODE_STRIDED: index of the per-thread scratch argument (-1: none) */
  SCRATCH_ARG: 35,
  /** worker i writes its chunk's return value to RESULT + i (NaN: its chunk was empty) */
  RESULT: 36,
  /** MODE_BLOCKS: block j's value(s) at PARTIALS + 2j (and + 2j + 1), written by whichever thread ran it */
  PARTIALS: 36 + 64,
} as const;

/** The most pointer arguments of a MODE_STRIDED kernel. */
export const MAX_STRIDED = 8;

/** CTL.KERNEL of the pseudo-call that ends a worker's loop. */
export const KERNEL_QUIT = -1;
/**
 * CTL.KERNEL of the pseudo-call that makes every Node worker read its port now
 * (attach and detach messages) and count down: sent by detachMemory, so that a
 * disposed optimizer's memory is dropped by the workers at once, not at their
 * next real call (which a small optimizer never makes).
 */
export const KERNEL_DRAIN = -2;
/**
 * CTL.KERNEL of the pseudo-call that only checks a step's workers in: each
 * prepares (its instance of the step's memory: everything in its JavaScript
 * that can fail) and checks in behind the barrier, then counts down without
 * running anything. Sent before a step whose first write happens on the
 * calling thread and which then calls the pool (src/threads/guard.ts).
 */
export const KERNEL_PREPARE = -3;

/** Test hooks (CTL.HOOK): what each worker does in the next call, before check-in (1..3) or after its chunk (4). */
export const HOOK_DIE = 1;
export const HOOK_THROW = 2;
export const HOOK_HANG = 3;
export const HOOK_THROW_AFTER = 4;

/** CTL.GATE values. */
export const GATE_WAIT = 0;
export const GATE_GO = 1;
export const GATE_ABORT = 2;

/** Split modes (CTL.MODE). */
export const MODE_CHUNKS = 0;
export const MODE_BLOCKS = 1;
export const MODE_ROWS = 2;
export const MODE_STRIDED = 3;

/**
 * Elements per block of the blocked reductions: assembly/norm.ts REDUCE_BLOCK
 * (the kernels sum fixed blocks and add the block sums in order, so splitting
 * whole blocks among threads gives the same bits).
 */
export const REDUCE_BLOCK = 16384;
/** The most blocks one split call hands out (longer reductions run in rounds): 16M elements. */
export const MAX_BLOCKS = 1024;

/** The most workers a pool can hold (control words SEQ..SEQ + MAX_WORKERS - 1). */
export const MAX_WORKERS = 64;
/** Int32 words of the control array. */
export const CTL_WORDS = CTL.SEQ + MAX_WORKERS;
/** Float64 slots of the argument array. */
export const ARGS_SLOTS = ARGS.PARTIALS + 2 * MAX_BLOCKS;

/**
 * Chunk length for `n` elements in `parts` chunks: ceil(n / parts) rounded up
 * to 16 float32 (64 bytes, a cache line), so chunk boundaries are aligned and
 * no two threads write the same cache line.
 */
export function chunkLength(n: number, parts: number): number {
  return Math.ceil(Math.ceil(n / parts) / 16) * 16;
}

/**
 * The kernels a call of which can be split into chunks, each with its number
 * of leading pointer arguments (then n, then scalars: src/wasm.ts). Every one
 * is elementwise: element i of its outputs depends on element i of its
 * inputs and the scalars only, so any split gives the same bits. Kernels not
 * listed here, in REDUCE_KERNELS, ROW_KERNELS or STRIDED_KERNELS (any
 * kernel added later) run on the calling thread.
 */
export const SPLIT_KERNELS: Readonly<Record<string, number>> = {
  sgd: 2, sgdMomentum: 3, momentum: 3, adagrad: 3, rmsprop: 3, rmspropMomentum: 4, rmspropCentered: 4,
  rmspropCenteredMomentum: 5, scale: 1, clampValue: 1, adam: 4, adamAmsgrad: 5, adadelta: 4, adamax: 4,
  nadam: 4, radam: 4, radamUnrectified: 4, rprop: 4, rpropFirst: 4, asgd: 3, asgdAverage: 3, lion: 3,
  lambApply: 3, axpy: 2, mulInto: 2, subInto: 3,
  scheduleFreeAdamW: 4, scheduleFreeSgd: 3, scheduleFreeInterp: 2, muonCopy: 2,
  allFinite: 1, maxAbs: 1,
};
/**
 * Kernels that write no memory (they return a value, or set a getter's value,
 * or an instance's setting); every other kernel may write parameters or state
 * and marks a step's guard (./guard.ts) when it does.
 */
export const READ_ONLY_KERNELS: readonly string[] = [
  'allFinite', 'maxAbs', 'sumSquares', 'sumAbs', 'dot', 'gemmWorkBytes', 'lambParamSumSq', 'lambUpdateSumSq', 'adafactorSum',
  'setFlushThreshold',
];
/**
 * Split kernels that return a value, and how the chunks' values combine:
 * allFinite is 1 exactly when every chunk's is (a logical AND), maxAbs is the
 * largest chunk's (NaN if any is NaN): both exact, so the same for every split.
 */
export const AND_KERNELS: readonly string[] = ['allFinite'];
export const MAX_KERNELS: readonly string[] = ['maxAbs'];
/**
 * Blocked reductions (MODE_BLOCKS), each with its number of leading pointer
 * arguments and the getters that read its results after a call (none: the
 * return value). The kernel sums fixed blocks of REDUCE_BLOCK elements and adds
 * the block sums left to right; split, each thread runs whole blocks (one
 * call per block), stores each block's sums in ARGS.PARTIALS, and the caller
 * adds them left to right: bit for bit what one call on one thread gives.
 * dot (L-BFGS's, assembly/lbfgs.ts) is blocked the same way.
 */
export const REDUCE_KERNELS: Readonly<Record<string, { nptr: number; getters: readonly string[] }>> = {
  sumSquares: { nptr: 1, getters: [] },
  sumAbs: { nptr: 1, getters: [] },
  dot: { nptr: 2, getters: [] },
  lambMoments: { nptr: 4, getters: ['lambParamSumSq', 'lambUpdateSumSq'] },
};
/**
 * gemm splits by rows of C (MODE_ROWS): each row's sums run in the order k
 * alone fixes (assembly/gemm.ts), so any row split gives the same bits. Thread
 * c packs B into its own panel at w + c*ARGS.WSTRIDE.
 */
export const ROW_KERNELS: readonly string[] = ['gemm'];

/**
 * A kernel split into chunks of units (MODE_STRIDED): `f(p0, .., p{nptr-1},
 * n, ...rest)` over n units (elements, rows, blocks, ...), each unit
 * independent of the others. Called with a count whose `work` reaches the
 * split threshold, it is cut into `parts` chunks of L =
 * ceil(ceil(n / parts) / align) * align units; chunk c gets p_i + c*L*stride_i,
 * the count min(n, (c + 1)L) - cL, and the scratch argument (if any) advanced
 * by c*bytes; the other arguments are passed unchanged. The caller runs chunk
 * 0; return values are not combined. A pointer with stride 0 is shared by
 * every chunk and must only be read.
 */
export interface StridedKernel {
  /** leading pointer arguments; argument `nptr` is the count n of units */
  nptr: number;
  /** bytes each pointer advances per unit (0: not advanced), from the call's arguments */
  strides(a: readonly number[]): readonly number[];
  /** chunk starts are multiples of this many units (every written buffer's chunk starts 64-byte aligned) */
  align(a: readonly number[]): number;
  /** elements of work of the call, compared with the split threshold (default: n) */
  work?(a: readonly number[]): number;
  /** pointers (by index) that the kernel only reads: not reported to the step's guard as writes (./guard.ts) */
  reads?: readonly number[];
  /** a per-thread scratch: argument `arg` advanced by c * bytes(a) for chunk c */
  scratch?: { arg: number; bytes(a: readonly number[]): number };
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
/** The least multiple of `a` and 64 (a count of 1-byte units that keeps chunk starts on cache lines). */
export const lcm64 = (a: number): number => (a * 64) / gcd(a, 64);

/**
 * The MODE_STRIDED kernels. The 8-bit kernels (assembly/eightbit.ts) work on
 * whole quantization blocks of bs elements: a chunk is a run of whole blocks
 * (align lcm(bs, 64) elements, so the 1-byte codes start on a cache line too),
 * the codes advance 1 byte per element, the absmax 4 bytes per block, and
 * each thread has its own scratch for its block's new moments.
 */
export const STRIDED_KERNELS: Readonly<Record<string, StridedKernel>> = {
  // adam8bit(p, g, c1, c2, a1, a2, n, bs, q, w, ...)
  adam8bit: { nptr: 6, strides: (a) => [4, 4, 1, 1, 4 / a[7]!, 4 / a[7]!], align: (a) => lcm64(a[7]!), scratch: { arg: 9, bytes: (a) => 8 * a[7]! } },
  // lion8bit(p, g, c1, a1, n, bs, q, w, ...)
  lion8bit: { nptr: 4, strides: (a) => [4, 4, 1, 4 / a[5]!], align: (a) => lcm64(a[5]!), scratch: { arg: 7, bytes: (a) => 4 * a[5]! } },
  // Adafactor (assembly/adafactor.ts; rows: 16 units keep every chunk start on a cache line, the f64 parts too).
  // adafactorRows(g, row, n, c, ...): unit = row of c floats
  adafactorRows: { nptr: 2, strides: (a) => [4 * a[3]!, 4], align: () => 16, work: (a) => a[2]! * a[3]! },
  // adafactorCols(g, col, n, ld, r, b, ...): unit = column of b matrices of r rows
  adafactorCols: { nptr: 2, strides: () => [4, 4], align: () => 16, work: (a) => a[2]! * a[4]! * a[5]! },
  // adafactorRowsU(g, row, part, n, rowBase, col, r, c, ...): unit = row, its sum of U^2 to an f64 part (row is only read)
  adafactorRowsU: { nptr: 3, strides: (a) => [4 * a[7]!, 4, 8], align: () => 16, work: (a) => a[3]! * a[7]!, reads: [0, 1] },
  // adafactorMove(p, g, row, n, rowBase, col, r, c, ...): unit = row (row is only read)
  adafactorMove: { nptr: 3, strides: (a) => [4 * a[7]!, 4 * a[7]!, 4], align: () => 16, work: (a) => a[3]! * a[7]!, reads: [1, 2] },
  // adafactorVecBlocks(g, v, part, n, gEnd, ...): unit = block of 1024 elements (assembly/adafactor.ts VEC_BLOCK), its sum to an f64 part
  adafactorVecBlocks: { nptr: 3, strides: () => [4096, 4096, 8], align: () => 8, work: (a) => 1024 * a[3]! },
  // adafactorVecMove(p, g, v, n, ...): unit = element
  adafactorVecMove: { nptr: 3, strides: () => [4, 4, 4], align: () => 16, reads: [1, 2] },
};

/** The split kernels' names; the workers look a kernel up by its index here. */
export const SPLIT_NAMES: readonly string[] = [...Object.keys(SPLIT_KERNELS), ...Object.keys(REDUCE_KERNELS), ...ROW_KERNELS, ...Object.keys(STRIDED_KERNELS)];
/** Per name in SPLIT_NAMES, the getters of a blocked reduction (empty otherwise). */
export const SPLIT_GETTERS: readonly (readonly string[])[] = SPLIT_NAMES.map((n) => REDUCE_KERNELS[n]?.getters ?? []);
