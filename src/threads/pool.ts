// The worker pool (Node `worker_threads`). One pool per JavaScript realm;
// workers are started by `ready({ threads })` (or on first need), `unref`'d
// so that idle workers never keep the process alive, and each one keeps an
// instance of the threads build of the kernels for every optimizer memory
// attached to the pool (a shared WebAssembly.Memory).
//
// A kernel call is handed over synchronously: the caller writes the call into
// the shared argument array, bumps and notifies the sequence word of each
// worker taking part; for a call that writes parameters or state it waits
// until every worker has checked in and opens the gate (the barrier: see
// runSplit); it runs chunk 0 itself, then waits (spin, then Atomics.wait)
// until the workers have counted REMAIN down to 0. Since
// `step()` is synchronous, at most one call is in flight per realm, and
// nothing is ever queued: dispose() never leaves work behind.
//
// Browsers: Web Workers (./web-pool.ts) on the same arrays and protocol, where
// the page is cross-origin isolated; elsewhere the pool has one thread and
// `backendInfo().threads.reason` says why. A browser's main thread cannot
// Atomics.wait: there the caller spins (./web-pool.ts says more).
import {
  ARGS, ARGS_SLOTS, CTL, CTL_WORDS, GATE_ABORT, GATE_GO, GATE_WAIT, HOOK_DIE, HOOK_HANG, HOOK_THROW, HOOK_THROW_AFTER, KERNEL_DRAIN, MAX_WORKERS, MODE_CHUNKS,
  SPLIT_GETTERS, SPLIT_NAMES,
} from './protocol.js';
import { WORKER_SOURCE } from './worker-source.js';
import { canBlock, startWebWorker, webPoolReason } from './web-pool.js';

/** What `backendInfo().threads` reports. */
export interface ThreadsInfo {
  /** threads a step uses by default (the calling thread included); 1 means no pool */
  size: number;
  /** threads the engine could use at most ('auto' picks this, capped at AUTO_CAP: 8) */
  available: number;
  /** why steps run on one thread, when size is 1 although more was asked for or available */
  reason: string | undefined;
}

/** Spins of the calling thread, waiting for workers, before it sleeps in Atomics.wait. */
const CALLER_SPIN = 20000;
/** Spins of an idle worker before it sleeps (short: the machine may have few cores). */
const WORKER_SPIN = 2000;
/** A call whose workers have not all answered after this long is an error (a terminated worker never answers). */
const CALL_TIMEOUT_MS = 30000;
let callTimeout = CALL_TIMEOUT_MS;

/**
 * A kernel call the pool could not complete (a worker threw or exited, or
 * stopped answering). Every worker has stopped writing when it is thrown
 * (finished, exited, or terminated); the pool is replaced at the next call
 * where a worker died. `written` says whether anything of the call may have
 * been written: false for every failure of a worker before the call's GO (the
 * barrier: see runSplit), true only for a chunk that threw after GO (a bug in
 * a kernel or in this library). The step pipeline (src/step.ts) says what
 * that means for the step.
 */
export class PoolError extends Error {
  override name = 'PoolError';
  constructor(
    message: string,
    readonly written: boolean,
  ) {
    super(message);
  }
}

interface NodeWorker {
  unref(): void;
  terminate(): Promise<number>;
  on(event: string, f: (...a: unknown[]) => void): void;
  once(event: string, f: (...a: unknown[]) => void): void;
}
interface NodePort {
  postMessage(m: unknown): void;
  once(event: string, f: (...a: unknown[]) => void): void;
  unref(): void;
  close(): void;
}
interface WorkerThreads {
  Worker: new (src: string, o: object) => NodeWorker;
  MessageChannel: new () => { port1: NodePort; port2: NodePort };
  receiveMessageOnPort(p: NodePort): { message: unknown } | undefined;
  isMainThread: boolean;
}

interface Slot {
  worker: NodeWorker;
  port: NodePort;
  reply: NodePort;
  dead: boolean;
  online: Promise<void>;
  /** Node workers: marks the worker started (its first message, { ready }, arrived): unref'd, `online` resolved */
  started?: () => void;
  /** Web Workers only: running their loop; the error text of a chunk that threw */
  up?: boolean;
  take?: () => string | undefined;
}

interface Attached {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

let wt: WorkerThreads | null | undefined;
function workerThreads(): WorkerThreads | null {
  if (wt === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
    wt = typeof proc?.getBuiltinModule === 'function' ? (proc.getBuiltinModule('node:worker_threads') as WorkerThreads) : null;
  }
  return wt;
}

function available(): number {
  const proc = (globalThis as { process?: { getBuiltinModule?: (n: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number; cpus: () => unknown[] } | undefined;
  if (os) return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/** Why this engine cannot run a pool, or undefined where it can. */
export function unsupportedReason(): string | undefined {
  if (!workerThreads()) {
    const web = webPoolReason();
    if (web !== undefined) return web;
  }
  if (typeof SharedArrayBuffer !== 'function' || typeof Atomics !== 'object') {
    return 'SharedArrayBuffer is not available (a browser page needs cross-origin isolation: COOP/COEP headers)';
  }
  return undefined;
}

/**
 * 'auto' uses at most this many threads: an optimizer step streams memory, and
 * past a few cores the memory system, not the cores, sets the speed (README,
 * threads: 2 threads reach most of one socket's bandwidth share on small
 * machines); more workers would only cost wake-ups and memory (each keeps an
 * instance per pooled optimizer). `ready({ threads: n })` goes beyond it.
 */
export const AUTO_CAP = 8;

let size = 1;
let sizeReason: string | undefined;
/** whether the size came from 'auto' (then optimizers too small to gain stay off the pool: src/threads/auto.ts) */
let auto = false;
/** whether configurePool has run (ready()'s first call configures 'auto') */
let configured = false;
let ctl: Int32Array | undefined;
let args: Float64Array | undefined;
let slots: Slot[] = [];
const attached = new Map<number, Attached>();
let nextId = 1;

/** The pool as `backendInfo().threads` reports it. */
export function threadsInfo(): ThreadsInfo {
  return { size, available: available(), reason: sizeReason };
}

/** The default thread count of new optimizers. */
export function defaultThreads(): number {
  return size;
}

/** Whether the pool's size is 'auto' (the default), not an explicit `ready({ threads: n })`. */
export function autoThreads(): boolean {
  return auto;
}

/** Whether `ready()` has set the pool up yet (its first call does, with 'auto' unless told otherwise). */
export function poolConfigured(): boolean {
  return configured;
}

/**
 * Sets the default thread count ('auto': the available cores, at most AUTO_CAP) and
 * starts that many workers less one; resolves when they are running. Where
 * the engine has no pool, or `threadsSupported` is a reason it cannot be
 * used, the size is 1 and the reason is kept for backendInfo().
 */
export async function configurePool(threads: 'auto' | number, notSupported: string | undefined): Promise<ThreadsInfo> {
  const want = threads === 'auto' ? Math.min(AUTO_CAP, available()) : threads;
  auto = threads === 'auto';
  configured = true;
  const why = unsupportedReason() ?? notSupported;
  if (why !== undefined) {
    size = 1;
    sizeReason = want > 1 ? why : undefined;
    return threadsInfo();
  }
  size = Math.min(want, MAX_WORKERS + 1);
  sizeReason = undefined;
  ensureWorkers(size - 1);
  await Promise.all(slots.slice(0, size - 1).map((s) => s.online));
  if (slots.some((s) => s.dead)) {
    resetPool();
    size = 1;
    sizeReason = 'the worker threads failed to start';
  }
  return threadsInfo();
}

/** Whether optimizers can be put on the pool at all (Node with SharedArrayBuffer). */
export function poolSupported(): boolean {
  return unsupportedReason() === undefined;
}

function ensureBuffers(): { ctl: Int32Array; args: Float64Array } {
  if (!ctl || !args) {
    ctl = new Int32Array(new SharedArrayBuffer(4 * CTL_WORDS));
    args = new Float64Array(new SharedArrayBuffer(8 * ARGS_SLOTS));
  }
  return { ctl, args };
}

/** Starts workers until `count` live ones exist (replacing dead ones). */
function ensureWorkers(count: number): void {
  const w = workerThreads();
  const { ctl } = ensureBuffers();
  for (let i = 0; i < count; i++) {
    const old = slots[i];
    if (old && !old.dead) continue;
    if (!w) {
      slots[i] = startWebWorker(i, ctl, args!, SPLIT_NAMES, SPLIT_GETTERS, WORKER_SPIN, attached, MAX_WORKERS);
      continue;
    }
    const channel = new w.MessageChannel();
    const replyChannel = new w.MessageChannel();
    const worker = new w.Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        ctlBuffer: ctl.buffer,
        argsBuffer: args!.buffer,
        port: channel.port2,
        reply: replyChannel.port2,
        index: i,
        names: SPLIT_NAMES,
        getters: SPLIT_GETTERS,
        spin: WORKER_SPIN,
        seen: Atomics.load(ctl, CTL.SEQ + i),
      },
      transferList: [channel.port2, replyChannel.port2],
    });
    channel.port1.unref();
    replyChannel.port1.unref();
    const slot: Slot = { worker, port: channel.port1, reply: replyChannel.port1, dead: false, online: Promise.resolve() };
    slot.online = new Promise<void>((resolve) => {
      // referenced until its loop runs (so that `await ready({ threads })` keeps the process up), then unref'd;
      // failure() may read the { ready } message synchronously before this listener sees it: it calls started() then
      let done = false;
      slot.started = () => {
        if (done) return;
        done = true;
        worker.unref();
        resolve();
      };
      replyChannel.port1.once('message', () => slot.started!());
      worker.once('exit', () => resolve());
    });
    worker.on('error', () => {
      slot.dead = true;
    });
    worker.on('exit', () => {
      slot.dead = true;
    });
    for (const [id, a] of attached) channel.port1.postMessage({ id, memory: a.memory, module: a.module });
    slots[i] = slot;
  }
}

/**
 * Whether workers 1..parts-1 are running. Always in Node; a browser's Web
 * Workers start only once the calling thread returns to its event loop, so
 * until then this starts them and says no, and the call runs on the calling
 * thread (src/threads/split.ts).
 */
export function poolReady(parts: number): boolean {
  if (workerThreads()) return true;
  ensureWorkers(parts - 1);
  for (let i = 0; i < parts - 1; i++) if (!slots[i]!.up) return false;
  return true;
}

/** Hands an optimizer's shared memory to every worker (each instantiates the threads module on it once); returns its id. */
export function attachMemory(memory: WebAssembly.Memory, module: WebAssembly.Module): number {
  const id = nextId++;
  attached.set(id, { memory, module });
  for (const s of slots) if (!s.dead) s.port.postMessage({ id, memory, module });
  return id;
}

/**
 * Drops a disposed optimizer's memory from the pool. Node workers drop their
 * instance of it before this returns: a KERNEL_DRAIN pseudo-call wakes every
 * live worker, which reads its port (the detach message) and counts down, so
 * no worker keeps a disposed memory alive until its next real call (a small
 * optimizer never makes one: 100,000 create/step/dispose cycles used to run
 * out of WebAssembly memory). It costs one wake-up per worker, for pooled
 * optimizers only; a worker that does not answer within the call timeout (it
 * died) gets the pool replaced, which releases its memories too. Web Workers
 * go back to their event loop when idle and read the message there (the
 * calling thread of a page cannot wait for them).
 */
export function detachMemory(id: number): void {
  if (!attached.delete(id)) return;
  for (const s of slots) if (!s.dead) s.port.postMessage({ detach: id });
  if (ctl) Atomics.add(ctl, CTL.GEN, 1);
  if (workerThreads() && ctl) drainWorkers(ctl);
}

let drains = 0;
/** Wakes every live Node worker with a KERNEL_DRAIN pseudo-call and waits until each has read its port. */
function drainWorkers(ctl: Int32Array): void {
  const live: number[] = [];
  for (let i = 0; i < slots.length; i++) if (!slots[i]!.dead) live.push(i);
  if (live.length === 0) return;
  drains++;
  ctl[CTL.KERNEL] = KERNEL_DRAIN;
  ctl[CTL.HOOK] = 0;
  ctl[CTL.BARRIER] = 0;
  ctl[CTL.ERR] = 0;
  Atomics.store(ctl, CTL.REMAIN, live.length);
  for (const i of live) {
    Atomics.add(ctl, CTL.SEQ + i, 1);
    Atomics.notify(ctl, CTL.SEQ + i, 1);
  }
  if (waitFor(ctl, CTL.REMAIN, 0, Date.now()) !== 0 || Atomics.load(ctl, CTL.ERR) !== 0) {
    resetPool();
    heldByWorkers = 0;
    return;
  }
  heldByWorkers = 0;
  for (const i of live) heldByWorkers += args![ARGS.RESULT + i]!;
}
/** Memories the workers still held, summed, when the last drain pseudo-call answered. */
let heldByWorkers = 0;

/**
 * Runs one kernel call in `parts` chunks: posts chunks 1.. to workers, runs
 * `own(args)` (chunk 0) on the calling thread, waits for the rest. `mode`
 * (protocol.ts) says how chunks are cut; `extra` goes to ARGS.WSTRIDE;
 * `strided` (MODE_STRIDED) to ARGS.STRIDES, ALIGN and SCRATCH_ARG.
 *
 * A writing call (`writes`) runs in two phases, so that a failure leaves
 * memory untouched: each worker, woken, prepares (finds its instance and
 * kernel: everything in its JavaScript that can fail) and checks in
 * (CTL.ARRIVE); the caller waits until all parts - 1 have (under the call
 * timeout, and an exiting worker checks in with ERR set), then opens the gate:
 * GO if no one failed, and then everyone, the caller included, runs its chunk;
 * ABORT otherwise, and no one writes. Once GO is given nothing in JavaScript
 * can stop a worker: its Worker object is private to this module and the only
 * thread holding it is inside this call; a validated kernel call allocates
 * nothing and cannot trap. So after GO only a bug (a kernel or this library
 * throwing) can fail, and PoolError.written says so. A read-only call
 * (finiteness, norms, Lamb's sums) skips the barrier: a failure in it changes
 * nothing anyway.
 *
 * Throws a PoolError, after every worker has stopped, if a worker threw or
 * died or the call timed out; `what` names the call in that message.
 */
export function runSplit(
  what: string, memId: number, kernel: number, nptr: number, callArgs: ArrayLike<number>, tiny: number, parts: number,
  own: (args: Float64Array) => void, mode = MODE_CHUNKS, extra = 0, writes = true,
  strided?: { strides: readonly number[]; align: number; scratchArg: number },
): void {
  splitCalls++;
  trace?.push({ what, writes });
  ensureWorkers(parts - 1);
  const { ctl, args } = ensureBuffers();
  for (let i = 0; i < callArgs.length; i++) args[i] = callArgs[i]!;
  args[ARGS.TINY] = tiny;
  args[ARGS.WSTRIDE] = extra;
  if (strided) {
    for (let i = 0; i < nptr; i++) args[ARGS.STRIDES + i] = strided.strides[i]!;
    args[ARGS.ALIGN] = strided.align;
    args[ARGS.SCRATCH_ARG] = strided.scratchArg;
  }
  ctl[CTL.MODE] = mode;
  ctl[CTL.MEM] = memId;
  ctl[CTL.KERNEL] = kernel;
  const hook = failNext !== undefined && --failIn === 0 ? failNext : 0;
  ctl[CTL.HOOK] = hook;
  if (hook !== 0) failNext = undefined;
  ctl[CTL.NPTR] = nptr;
  ctl[CTL.NARGS] = callArgs.length;
  ctl[CTL.PARTS] = parts;
  ctl[CTL.ERR] = 0;
  ctl[CTL.BARRIER] = writes ? 1 : 0;
  ctl[CTL.ARRIVE] = 0;
  ctl[CTL.GATE] = GATE_WAIT;
  Atomics.store(ctl, CTL.REMAIN, parts - 1);
  for (let i = 0; i < parts - 1; i++) {
    Atomics.add(ctl, CTL.SEQ + i, 1);
    Atomics.notify(ctl, CTL.SEQ + i, 1);
  }
  // test hook: the workers hang before check-in; kill them as something outside might (nothing answers: the timeout finds it)
  if (hook === HOOK_HANG) for (let i = 0; i < parts - 1; i++) void slots[i]!.worker.terminate();
  const start = Date.now();
  if (writes) {
    const missing = waitFor(ctl, CTL.ARRIVE, parts - 1, start);
    const err = Atomics.load(ctl, CTL.ERR);
    if (missing !== 0 || err !== 0) {
      Atomics.store(ctl, CTL.GATE, GATE_ABORT);
      Atomics.notify(ctl, CTL.GATE);
      if (missing !== 0) {
        resetPool();
        throw new PoolError(
          `${what}: ${missing} worker(s) of the thread pool did not check in within ${callTimeout / 1000} s (killed or hung), ` +
            `so no thread wrote anything; they were terminated and the pool is replaced at the next call`,
          false,
        );
      }
      awaitWorkers(what, ctl, start, false);
      throw failure(what, err, false);
    }
    Atomics.store(ctl, CTL.GATE, GATE_GO);
    Atomics.notify(ctl, CTL.GATE);
  }
  let ownError: unknown;
  try {
    own(args);
  } catch (e) {
    ownError = e;
  }
  awaitWorkers(what, ctl, start, writes);
  if (ownError !== undefined) {
    if (!writes) throw ownError;
    throw new PoolError(`${what}: the calling thread's chunk threw after the call began writing (${(ownError as Error)?.message ?? String(ownError)})`, true);
  }
  const err = Atomics.load(ctl, CTL.ERR);
  if (err !== 0) throw failure(what, err, writes && err >= 3);
}

/**
 * Waits until ctl[word] reaches `target` (spin, then Atomics.wait; a browser's
 * main thread spins); returns how many are missing at the call timeout (0: all).
 */
function waitFor(ctl: Int32Array, word: number, target: number, start: number): number {
  let spins = 0;
  for (;;) {
    const r = Atomics.load(ctl, word);
    if (r === target) return 0;
    if (++spins < CALLER_SPIN) continue;
    if (canBlock()) Atomics.wait(ctl, word, r, 100);
    else spins = 0; // a browser's main thread: keep spinning, check the time limit every CALLER_SPIN spins
    if (Date.now() - start > callTimeout) return Math.abs(target - Atomics.load(ctl, word));
  }
}

/** Waits until every worker has counted REMAIN down; at the call timeout terminates them and throws. */
function awaitWorkers(what: string, ctl: Int32Array, start: number, written: boolean): void {
  const r = waitFor(ctl, CTL.REMAIN, 0, start);
  if (r === 0) return;
  resetPool();
  throw new PoolError(
    `${what}: ${r} worker(s) of the thread pool did not finish within ${callTimeout / 1000} s (killed or hung); ` +
      `they were terminated and the pool is replaced at the next call`,
    written,
  );
}

/** The PoolError for ctl[ERR] = `err` (protocol.ts CTL.ERR), with the workers' messages. */
function failure(what: string, err: number, written: boolean): PoolError {
  const messages: string[] = [];
  for (const s of slots) {
    const text = s.take?.();
    if (text !== undefined) messages.push(`worker ${slots.indexOf(s) + 1}: ${text}`);
    if (s.take) continue;
    for (let m = workerThreads()!.receiveMessageOnPort(s.reply); m; m = workerThreads()!.receiveMessageOnPort(s.reply)) {
      const msg = m.message as { index?: number; message?: string; ready?: boolean };
      if (msg.ready) s.started?.(); // its start-up message, read here before the 'message' listener saw it
      else if (msg.message !== undefined) messages.push(`worker ${msg.index! + 1}: ${msg.message}`);
    }
  }
  const died = err === 2 || err === 4;
  if (died) resetPool(); // replaced by fresh workers at the next call (which one died is not known here)
  const when = err <= 2 ? 'before the call began writing, so no thread wrote anything' : 'after the call began writing';
  return new PoolError(
    `${what}: ${died ? `a worker of the thread pool exited ${when} (the pool is replaced at the next call)` : `a worker of the thread pool threw ${when} (${messages.join('; ')})`}`,
    written,
  );
}

/** What worker `i` returned for its chunk of the last call (NaN: nothing, or an empty chunk). */
export function workerResult(i: number): number {
  return args ? args[ARGS.RESULT + i]! : NaN;
}

/** Terminates every worker; the next call starts fresh ones on fresh control buffers. */
function resetPool(): void {
  for (const s of slots) {
    s.dead = true;
    void s.worker.terminate();
  }
  slots = [];
  ctl = undefined;
  args = undefined;
}

let splitCalls = 0;
/**
 * Counters for tests: kernel calls split across the pool so far, memories
 * attached, live workers, drain pseudo-calls (detachMemory) so far, and the
 * instances the workers still held (summed) when the last drain answered.
 */
export function poolStats(): { splitCalls: number; attached: number; workers: number; drains: number; heldByWorkers: number } {
  return { splitCalls, attached: attached.size, workers: slots.filter((s) => !s.dead).length, drains, heldByWorkers };
}

let trace: { what: string; writes: boolean }[] | undefined;
/**
 * Test hook: starts recording the split calls (what each is, whether it
 * writes: runs behind the barrier) and returns the calls recorded since the
 * last start; `false` stops recording.
 */
export function traceCalls(start = true): { what: string; writes: boolean }[] {
  const got = trace ?? [];
  trace = start ? [] : undefined;
  return got;
}

let failNext: number | undefined;
let failIn = 0;
/**
 * Test hook, for the `at`-th split call from now (1: the next): the workers
 * exit ('die'), throw ('throw'), or hang and are terminated by the caller
 * ('kill': found by the call timeout, see setCallTimeout), each before it
 * checks in, where a real failure of a worker happens; or they throw after
 * their chunk has written ('throwAfter': a bug in a kernel, the one failure
 * the barrier cannot make clean).
 */
export function failNextCall(how: 'die' | 'throw' | 'kill' | 'throwAfter', at = 1): void {
  failNext = how === 'die' ? HOOK_DIE : how === 'throw' ? HOOK_THROW : how === 'kill' ? HOOK_HANG : HOOK_THROW_AFTER;
  failIn = at;
}

/** Test hook: sets the call timeout in ms (default 30 s); returns the previous one. */
export function setCallTimeout(ms: number): number {
  const old = callTimeout;
  callTimeout = ms;
  return old;
}
