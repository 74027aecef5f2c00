// Loading the kernel module: compile once (asynchronously, as every engine
// allows), then instantiate it synchronously for each optimizer's own memory.
import { RELAXED_WASM_BASE64, SCALAR_WASM_BASE64, SIMD_WASM_BASE64, THREADS_WASM_BASE64 } from './generated/wasm.js';
import { configurePool, poolConfigured, threadsInfo, type ThreadsInfo } from './threads/pool.js';

/**
 * The exports of assembly/index.ts. Addresses are byte offsets into the instance's memory.
 *
 * Every kernel takes its arguments in one canonical order (assembly/common.ts):
 * pointers first (p, g, then the state buffers), then n, then the scalars it
 * needs in this order: step coefficients (lr, or the caller's bias-corrected
 * step), bias corrections (rsqrtBc2, or c1 and c2), b1 (first-moment or
 * momentum rate), b2 (second-moment rate: RMSprop's alpha, Adadelta's rho),
 * method-specific scalars, then eps, wd (coupled L2), decay (decoupled:
 * p*decay), gscale (-1 to maximize, times the clip coefficient).
 */
export interface Kernels {
  allFinite(x: number, n: number): number;
  setFlushThreshold(t: number): void;
  sgd(p: number, g: number, n: number, lr: number, wd: number, gscale: number): void;
  sgdMomentum(
    p: number, g: number, buf: number, n: number,
    lr: number, b1: number, c: number, nesterov: number, k: number, wd: number, gscale: number,
  ): void;
  momentum(p: number, g: number, v: number, n: number, lr: number, b1: number, wd: number, gscale: number): void;
  adagrad(p: number, g: number, sum: number, n: number, lr: number, eps: number, wd: number, gscale: number): void;
  rmsprop(p: number, g: number, sq: number, n: number, lr: number, b2: number, eps: number, wd: number, gscale: number): void;
  rmspropMomentum(
    p: number, g: number, sq: number, buf: number, n: number,
    lr: number, b2: number, mu: number, eps: number, wd: number, gscale: number,
  ): void;
  rmspropCentered(
    p: number, g: number, sq: number, ga: number, n: number,
    lr: number, b2: number, eps: number, wd: number, gscale: number,
  ): void;
  rmspropCenteredMomentum(
    p: number, g: number, sq: number, ga: number, buf: number, n: number,
    lr: number, b2: number, mu: number, eps: number, wd: number, gscale: number,
  ): void;
  sumSquares(x: number, n: number): number;
  sumAbs(x: number, n: number): number;
  maxAbs(x: number, n: number): number;
  scale(x: number, n: number, c: number): void;
  clampValue(x: number, n: number, lo: number, hi: number): void;
  adam(
    p: number, g: number, m: number, v: number, n: number,
    step: number, rsqrtBc2: number, b1: number, b2: number, eps: number, wd: number, decay: number, gscale: number,
  ): void;
  adamAmsgrad(
    p: number, g: number, m: number, v: number, vmax: number, n: number,
    step: number, rsqrtBc2: number, b1: number, b2: number, eps: number, wd: number, decay: number, gscale: number,
  ): void;
  adadelta(
    p: number, g: number, sq: number, acc: number, n: number,
    lr: number, b2: number, eps: number, wd: number, gscale: number,
  ): void;
  adamax(
    p: number, g: number, m: number, u: number, n: number,
    step: number, b1: number, b2: number, eps: number, wd: number, gscale: number,
  ): void;
  nadam(
    p: number, g: number, m: number, v: number, n: number,
    cg: number, cm: number, rsqrtBc2: number, b1: number, b2: number, eps: number, wd: number, decay: number, gscale: number,
  ): void;
  radam(
    p: number, g: number, m: number, v: number, n: number,
    step: number, b1: number, b2: number, eps: number, wd: number, decay: number, gscale: number,
  ): void;
  radamUnrectified(
    p: number, g: number, m: number, v: number, n: number,
    step: number, b1: number, b2: number, wd: number, decay: number, gscale: number,
  ): void;
  rprop(
    p: number, g: number, prev: number, step: number, n: number,
    etaminus: number, etaplus: number, smin: number, smax: number, gscale: number,
  ): void;
  rpropFirst(
    p: number, g: number, prev: number, step: number, n: number,
    lr: number, etaminus: number, etaplus: number, smin: number, smax: number, gscale: number,
  ): void;
  asgd(p: number, g: number, ax: number, n: number, eta: number, wd: number, decay: number, gscale: number): void;
  scheduleFreeAdamW(
    p: number, g: number, z: number, v: number, n: number,
    lr: number, yStep: number, rsqrtBc2: number, b2: number, ckp1: number, eps: number, wd: number, gscale: number, first: number,
  ): void;
  scheduleFreeSgd(p: number, g: number, z: number, n: number, lr: number, yStep: number, ckp1: number, wd: number, gscale: number, first: number): void;
  scheduleFreeInterp(p: number, z: number, n: number, w: number): void;
  asgdAverage(p: number, g: number, ax: number, n: number, eta: number, mu: number, wd: number, decay: number, gscale: number): void;
  lion(p: number, g: number, m: number, n: number, lr: number, b1: number, b2: number, decay: number, gscale: number): void;
  adam8bit(
    p: number, g: number, c1: number, c2: number, a1: number, a2: number, n: number, blockSize: number, q: number, w: number,
    step: number, rsqrtBc2: number, b1: number, b2: number, eps: number, wd: number, decay: number, gscale: number,
  ): void;
  lion8bit(p: number, g: number, c1: number, a1: number, n: number, blockSize: number, q: number, w: number, lr: number, b1: number, b2: number, decay: number, gscale: number): void;
  lambMoments(
    p: number, g: number, m: number, v: number, n: number,
    c1: number, c2: number, b1: number, b2: number, eps: number, wd: number, gscale: number,
  ): void;
  lambParamSumSq(): number;
  lambUpdateSumSq(): number;
  lambApply(p: number, m: number, v: number, n: number, scale: number, c1: number, c2: number, eps: number, wd: number): void;
  /** Adafactor (assembly/adafactor.ts): row factors, unit = row of c floats. */
  adafactorRows(g: number, row: number, n: number, c: number, w: number, gscale: number): void;
  /** Adafactor: column factors, unit = column of b matrices of r rows of ld floats. */
  adafactorCols(g: number, col: number, n: number, ld: number, r: number, b: number, w: number, gscale: number): void;
  /** Adafactor: each row's sum of U^2 to an f64 at part, unit = row. */
  adafactorRowsU(g: number, row: number, part: number, n: number, rowBase: number, col: number, r: number, c: number, eps1: number, gscale: number): void;
  /** The sum of n f64 at x, left to right. */
  adafactorSum(x: number, n: number): number;
  /** Adafactor: p = p*decay + scale*U, unit = row. */
  adafactorMove(
    p: number, g: number, row: number, n: number, rowBase: number, col: number, r: number, c: number,
    scale: number, eps1: number, decay: number, gscale: number,
  ): void;
  /** Adafactor, vectors: variance, and each block's sum of U^2 to an f64 at part, unit = block of 1024 elements (g ends at gEnd). */
  adafactorVecBlocks(g: number, v: number, part: number, n: number, gEnd: number, w: number, eps1: number, gscale: number): void;
  /** Adafactor, vectors: p = p*decay + scale*U, unit = element. */
  adafactorVecMove(p: number, g: number, v: number, n: number, scale: number, eps1: number, decay: number, gscale: number): void;
  /**
   * C = alpha*A*op(B) + beta*C on row-major float32 matrices (assembly/gemm.ts): A m x k,
   * op(B) = B (k x n, transB = 0) or B^T (B n x k, transB = 1), C m x n; strides lda, ldb,
   * ldc in elements; w: gemmWorkBytes(n, k) bytes of scratch. beta = 0 ignores C's contents.
   * Not a pipeline kernel: the matrix products of Muon's Newton-Schulz iteration.
   */
  gemm(
    a: number, b: number, c: number, w: number, m: number, n: number, k: number,
    lda: number, ldb: number, ldc: number, transB: number, alpha: number, beta: number,
  ): void;
  /** Bytes of scratch `gemm` needs for n columns and depth k (one packed panel of B). */
  gemmWorkBytes(n: number, k: number): number;
  /**
   * Muon (assembly/muon.ts): buf = lerp(buf, gscale*g, 1 - mu); x = nesterov ? lerp(gscale*g, buf, mu) : buf,
   * stored transposed (cols x rows) when transpose = 1
   */
  muonMomentum(g: number, buf: number, x: number, rows: number, cols: number, mu: number, nesterov: number, gscale: number, transpose: number): void;
  /** p = p*decay - step*O, O = x or x^T (x cols x rows) when transpose = 1 */
  muonApply(p: number, x: number, rows: number, cols: number, decay: number, step: number, transpose: number): void;
  /** dst = src (n floats) */
  muonCopy(dst: number, src: number, n: number): void;
  /** L-BFGS (assembly/lbfgs.ts): sum x*y in double, fixed order */
  dot(x: number, y: number, n: number): number;
  /** y += a*x in float32 */
  axpy(y: number, x: number, n: number, a: number): void;
  /** out = x*c in float32 */
  mulInto(out: number, x: number, n: number, c: number): void;
  /** out = x - y in float32 */
  subInto(out: number, x: number, y: number, n: number): void;
  /** weight averaging (assembly/averaging.ts): a += (p - a) / k in float32 */
  swaAverage(a: number, p: number, n: number, k: number): void;
  /** a = lerp(a, p, w), w = 1 - decay, one rounding per element as torch's fused lerp */
  emaAverage(a: number, p: number, n: number, w: number): void;
}

/**
 * Which compiled kernel module new optimizers use: 'simd' (f32x4), 'scalar'
 * (no SIMD), or 'relaxed' (f32x4 with relaxed-SIMD fused multiply-add).
 */
export type Build = 'simd' | 'scalar' | 'relaxed';

export interface ReadyOptions {
  /**
   * true: the f32x4 build (throws where the engine rejects SIMD); false: the
   * scalar build; omitted: keep the build chosen by an earlier call, or on the
   * first call pick SIMD wherever `WebAssembly.validate` accepts it.
   */
  simd?: boolean;
  /**
   * true: the relaxed-SIMD build, whose multiply-adds may be fused (one
   * rounding instead of two) where the hardware has FMA: faster, within the
   * conformance tolerance, but its last bits depend on the engine and CPU.
   * Opt-in, because the default builds give the same bytes everywhere.
   * Throws where the engine rejects relaxed SIMD (Node 20 without
   * --experimental-wasm-relaxed-simd).
   */
  relaxed?: boolean;
  /**
   * Threads a step uses by default (the calling thread included): a whole
   * number 1..65, or 'auto' (the available cores, at most 8). Omitted: keep
   * the earlier setting (the first ready() sets 'auto'). Under 'auto', an
   * optimizer too small for any of its kernel calls to be split (below its
   * method's split size) stays on ordinary memory and one thread; larger ones
   * go on the pool, in shared memory, whose views stay readable after
   * dispose() (a SharedArrayBuffer cannot be detached); `threads: 1` gives
   * the one-thread behaviour everywhere. Optimizers may override it
   * with their `threads` option. The pool runs with the SIMD build in Node
   * (worker_threads) and in cross-origin isolated pages (Web Workers);
   * elsewhere steps run on one thread and `backendInfo().threads.reason` says why.
   */
  threads?: 'auto' | number;
}

export interface BackendInfo {
  /** The build new optimizers are created with. */
  build: Build;
  /** Whether this engine accepts the SIMD build at all. */
  simdSupported: boolean;
  /** Whether this engine accepts the relaxed-SIMD build. */
  relaxedSupported: boolean;
  /** The worker pool: default thread count, cores available, and why it is 1 where more was asked for. */
  threads: ThreadsInfo;
}

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(base64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const bytesCache = new Map<Build, Uint8Array<ArrayBuffer>>();
function bytes(build: Build): Uint8Array<ArrayBuffer> {
  let b = bytesCache.get(build);
  if (!b) {
    b = decode(build === 'simd' ? SIMD_WASM_BASE64 : build === 'relaxed' ? RELAXED_WASM_BASE64 : SCALAR_WASM_BASE64);
    bytesCache.set(build, b);
  }
  return b;
}

let simdOk: boolean | undefined;
/** Whether this engine validates the SIMD build (feature detection, no compile). */
export function simdSupported(): boolean {
  if (simdOk === undefined) simdOk = WebAssembly.validate(bytes('simd'));
  return simdOk;
}

let relaxedOk: boolean | undefined;
/** Whether this engine validates the relaxed-SIMD build. */
export function relaxedSupported(): boolean {
  if (relaxedOk === undefined) relaxedOk = WebAssembly.validate(bytes('relaxed'));
  return relaxedOk;
}

const compiled = new Map<Build, Promise<WebAssembly.Module>>();
const modules = new Map<Build, WebAssembly.Module>();
let active: Build | undefined;
/** The build of the latest ready() call, set at once, so overlapping calls resolve to the last request. */
let requested: Build | undefined;

/**
 * Runs every kernel a few dozen times on a scratch memory so that V8 tiers
 * the module up from its baseline compiler before the first real step
 * (compiled code is shared by all instances of a module).
 */
function warmUp(module: WebAssembly.Module, shared = false): void {
  const n = 4096;
  const memory = shared ? new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true }) : new WebAssembly.Memory({ initial: 2 });
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < f.length; i++) f[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  const [p, g, a, b, c] = [0, 1, 2, 3, 4].map((i) => 64 + i * n * 4) as [number, number, number, number, number];
  for (let r = 0; r < 40; r++) {
    k.allFinite(g, n);
    k.sumSquares(g, n);
    k.sumAbs(g, n);
    k.maxAbs(g, n);
    k.scale(c, n, 1);
    k.clampValue(c, n, -1, 1);
    k.sgd(p, g, n, 1e-3, 0, 1);
    k.sgd(p, g, n, 1e-3, 1e-4, 1);
    k.sgdMomentum(p, g, a, n, 1e-3, 0.9, 1, 0, 0.9, 0, 1);
    k.sgdMomentum(p, g, a, n, 1e-3, 0.9, 1, 1, 0.9, 1e-4, -1);
    k.momentum(p, g, a, n, 1e-3, 0.9, 0, 1);
    k.adagrad(p, g, b, n, 1e-3, 1e-10, 0, 1);
    k.rmsprop(p, g, b, n, 1e-3, 0.99, 1e-8, 0, 1);
    k.rmspropMomentum(p, g, b, a, n, 1e-3, 0.99, 0.9, 1e-8, 0, 1);
    k.rmspropCentered(p, g, b, c, n, 1e-3, 0.99, 1e-8, 0, 1);
    k.rmspropCenteredMomentum(p, g, b, c, a, n, 1e-3, 0.99, 0.9, 1e-8, 0, 1);
    k.adam(p, g, a, b, n, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1);
    k.adam(p, g, a, b, n, 1e-3, 1, 0.9, 0.999, 1e-8, 1e-4, 1, 1);
    k.adam(p, g, a, b, n, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 0.9999, 1);
    k.adamAmsgrad(p, g, a, b, c, n, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1);
    k.adadelta(p, g, a, b, n, 1, 0.9, 1e-6, 0, 1);
    k.adamax(p, g, a, b, n, 1e-3, 0.9, 0.999, 1e-8, 0, 1);
    k.nadam(p, g, a, b, n, 1e-3, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1);
    k.radam(p, g, a, b, n, 1e-3, 0.9, 0.999, 1e-8, 0, 1, 1);
    k.radamUnrectified(p, g, a, b, n, 1e-3, 0.9, 0.999, 0, 1, 1);
    k.rpropFirst(p, g, a, b, n, 1e-2, 0.5, 1.2, 1e-6, 50, 1);
    k.rprop(p, g, a, b, n, 0.5, 1.2, 1e-6, 50, 1);
    k.asgd(p, g, a, n, 1e-3, 0, 1, 1);
    k.asgdAverage(p, g, a, n, 1e-3, 0.5, 0, 0.9999, 1);
    k.lion(p, g, a, n, 1e-4, 0.9, 0.99, 1, 1);
    // codes at a and a + n (bytes), absmax at b, garbage constants at c, scratch after c's buffer
    k.adam8bit(p, g, a, a + n, b, b + 1024, n, 256, c, c + 4 * n, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1);
    k.lion8bit(p, g, a, b, n, 256, c, c + 4 * n, 1e-4, 0.9, 0.99, 1, 1);
    k.lambMoments(p, g, a, b, n, 10, 30, 0.9, 0.999, 1e-6, 0, 1);
    k.lambParamSumSq();
    k.lambUpdateSumSq();
    k.lambApply(p, a, b, n, 1e-3, 10, 30, 1e-6, 0);
    // Adafactor on 64 rows of 64 columns (a: row factors, b: column factors, c: the f64 parts)
    k.adafactorRows(g, a, 64, 64, 0.5, 1);
    k.adafactorCols(g, b, 64, 64, 64, 1, 0.5, 1);
    k.adafactorRowsU(g, a, c, 64, a, b, 64, 64, 1e-7, 1);
    k.adafactorSum(c, 64);
    k.adafactorMove(p, g, a, 64, a, b, 64, 64, -1e-3, 1e-7, 1, 1);
    k.adafactorVecBlocks(g, a, c, 4, g + 4 * n, 0.5, 1e-7, 1);
    k.adafactorVecMove(p, g, a, n, -1e-3, 1e-7, 1, 1);
    k.gemm(a, b, c, p, 16, 16, 16, 16, 16, 16, 0, 1, 0);
    k.gemm(a, b, c, p, 16, 16, 16, 16, 16, 16, 1, 1, 0.5);
    k.muonMomentum(g, a, c, 4, 4, 0.95, 1, 1, 0);
    k.muonMomentum(g, a, c, 4, 4, 0.95, 1, 1, 1);
    k.muonApply(p, c, 4, 4, 0.999, 1e-3, 0);
    k.muonApply(p, c, 4, 4, 0.999, 1e-3, 1);
    k.muonCopy(b, c, n);
    k.dot(g, c, n);
    k.axpy(c, g, n, 1e-3);
    k.mulInto(c, g, n, 0.5);
    k.subInto(c, g, a, n);
    k.swaAverage(c, g, n, r + 2);
    k.emaAverage(c, g, n, 1e-3);
    k.emaAverage(c, g, n, 0.75);
  }
}

/**
 * Compiles and instantiates the kernel module once; idempotent. Must be
 * awaited before the first optimizer is created.
 */
export async function ready(options: ReadyOptions = {}): Promise<BackendInfo> {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`ready: expected options to be an object such as { simd: true }, got ${String(options)}`);
  }
  const { simd, relaxed } = options;
  let threads = options.threads;
  if (threads !== undefined && threads !== 'auto' && !(Number.isInteger(threads) && (threads as number) >= 1 && (threads as number) <= 65)) {
    throw new TypeError(`ready: expected options.threads to be 'auto' or a whole number from 1 to 65, got ${typeof threads === 'string' ? JSON.stringify(threads) : String(threads)}`);
  }
  for (const [name, v] of [['simd', simd], ['relaxed', relaxed]] as const) {
    if (v !== undefined && typeof v !== 'boolean') {
      throw new TypeError(`ready: expected options.${name} to be a boolean or undefined, got ${String(v)}`);
    }
  }
  if (relaxed && simd === false) throw new RangeError('ready: { relaxed: true } needs SIMD, but { simd: false } was given');
  const auto: Build = simdSupported() ? 'simd' : 'scalar';
  const current = requested ?? active;
  let build: Build;
  if (relaxed) build = 'relaxed';
  else if (simd !== undefined) build = simd ? 'simd' : 'scalar';
  else if (relaxed === false) build = current && current !== 'relaxed' ? current : auto;
  else build = current ?? auto;
  if (build === 'simd' && !simdSupported()) {
    throw new Error('ready: the SIMD build was requested ({ simd: true }) but this engine rejects WebAssembly SIMD');
  }
  if (build === 'relaxed' && !relaxedSupported()) {
    throw new Error(
      'ready: the relaxed-SIMD build was requested ({ relaxed: true }) but this engine rejects relaxed SIMD ' +
        '(Node 20 needs --experimental-wasm-relaxed-simd)',
    );
  }
  requested = build;
  let pending = compiled.get(build);
  if (!pending) {
    pending = WebAssembly.compile(bytes(build)).then((m) => {
      warmUp(m);
      modules.set(build, m);
      return m;
    });
    compiled.set(build, pending);
    pending.catch(() => compiled.delete(build));
  }
  await pending;
  // the first ready() sets the pool up: 'auto' unless a thread count is given; later calls change it only when given one
  if (threads === undefined && !poolConfigured()) threads = 'auto';
  if (threads !== undefined) {
    let why: string | undefined;
    if (build !== 'simd') why = `the threads build of the kernels is the SIMD one, and the ${build} build was chosen`;
    else if (!threadsValid()) why = 'this engine rejects the threads build (WebAssembly threads or shared memory)';
    if (why === undefined) await loadThreadsModule();
    await configurePool(threads, why);
  }
  if (requested === build) active = build; // overlapping calls: the latest request wins
  return { build, simdSupported: simdSupported(), relaxedSupported: relaxedSupported(), threads: threadsInfo() };
}

/** The compiled module new optimizers instantiate; throws if `ready()` has not completed. */
export function activeModule(owner: string): { build: Build; module: WebAssembly.Module } {
  const module = active && modules.get(active);
  if (!active || !module) {
    throw new Error(`${owner}: the WebAssembly kernels are not loaded yet; call \`await ready()\` once before creating optimizers`);
  }
  return { build: active, module };
}

/** What `ready()` chose, or undefined before it completed. */
export function backendInfo(): BackendInfo | undefined {
  return active ? { build: active, simdSupported: simdSupported(), relaxedSupported: relaxedSupported(), threads: threadsInfo() } : undefined;
}

let threadsBytes: Uint8Array<ArrayBuffer> | undefined;
let threadsOk: boolean | undefined;
function threadsValid(): boolean {
  if (threadsOk === undefined) {
    threadsBytes ??= decode(THREADS_WASM_BASE64);
    threadsOk = typeof SharedArrayBuffer === 'function' && WebAssembly.validate(threadsBytes);
  }
  return threadsOk;
}
let threadsCompiled: Promise<WebAssembly.Module> | undefined;
let threadsCompiledModule: WebAssembly.Module | undefined;
function loadThreadsModule(): Promise<WebAssembly.Module> {
  threadsCompiled ??= WebAssembly.compile((threadsBytes ??= decode(THREADS_WASM_BASE64))).then((m) => {
    warmUp(m, true);
    threadsCompiledModule = m;
    return m;
  });
  return threadsCompiled;
}

/**
 * The threads build (SIMD kernels on an imported shared memory), once `ready({ threads })`
 * loaded it with the SIMD build active; undefined otherwise (optimizers then run on one thread).
 */
export function threadsModule(): WebAssembly.Module | undefined {
  return active === 'simd' ? threadsCompiledModule : undefined;
}
