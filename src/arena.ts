// Each optimizer owns one WebAssembly memory and one instance of the kernel
// module bound to it. Why not one shared memory for all optimizers:
//
// - growing a non-shared memory detaches every view on it, so a shared heap
//   would invalidate `opt.params[i]` of every optimizer whenever any optimizer
//   is created; a shared (SharedArrayBuffer) memory avoids that but needs
//   cross-origin isolation in browsers;
// - an optimizer's size is known at construction, so its memory is allocated
//   once at the right size and never grows while the optimizer lives: its
//   views can never go stale, and no other optimizer can touch them.
//
// dispose() detaches the optimizer's views on purpose (`memory.grow(0)`
// detaches the buffer), so a view kept past dispose reads as empty instead of
// reading memory that a later optimizer reuses. Only then is the memory put
// in a small pool for the next optimizer, which makes create/dispose cycles
// cheap. The pool is size-classed (a memory goes only to an optimizer that
// needs at least half of it) and a reused memory is zeroed in full, so no
// byte of one optimizer is ever visible through another's views.
import { activeModule, threadsModule, type Build, type Kernels } from './wasm.js';
import { attachMemory, detachMemory, poolSupported } from './threads/pool.js';
import { splitKernels } from './threads/split.js';

const PAGE = 65536;
/** Disposed memories kept for reuse, at most this many... */
const POOL_ENTRIES = 8;
/** ...none larger than this (a large memory is left to the GC)... */
const POOL_MAX_BYTES = 64 * 1024 * 1024;
/** ...and at most this much in all. */
const POOL_TOTAL_BYTES = 64 * 1024 * 1024;
/**
 * A pooled memory is reused only by an optimizer that needs at least half of
 * it (size classes): a small optimizer never holds a large disposed one's
 * memory, and zeroing a reused memory costs at most twice what it needs.
 */
const REUSE_MAX_RATIO = 2;
/** wasm32 limit as V8 enforces it: 65536 pages of 64 KiB. */
const MAX_BYTES = 4 * 1024 * 1024 * 1024;

interface Slot {
  build: Build;
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  kernels: Kernels;
  /** on the worker pool: the memory's id there (a shared memory, never pooled for reuse) */
  memId?: number;
}

const pool: Slot[] = [];

/** Accounting of an arena, kept apart from it so that the registry can settle it after the arena is gone. */
interface Ticket {
  bytes: number;
  live: boolean;
  /** on the worker pool: the memory's id there, detached when the optimizer is dropped without dispose() */
  memId?: number;
}

function settle(t: Ticket): void {
  if (t.memId !== undefined) {
    detachMemory(t.memId);
    t.memId = undefined;
  }
  if (!t.live) return;
  t.live = false;
  liveArenas--;
  liveBytes -= t.bytes;
}

/**
 * Optimizers dropped without dispose(): their memory is garbage like any other
 * (nothing global refers to it), and this registry settles the accounting. It
 * does not pool such memory, because views the caller still holds would then
 * alias the next optimizer.
 */
const registry = new FinalizationRegistry<Ticket>(settle);
/** The kernels bound to each live arena's memory, so views into it can be processed in place. */
const byBuffer = new WeakMap<ArrayBufferLike, Kernels>();

/** Kernels that can work in place on views of `buffer`, if it is a live optimizer's memory. */
export function kernelsFor(buffer: ArrayBufferLike): Kernels | undefined {
  return byBuffer.get(buffer);
}
let liveArenas = 0;
let liveBytes = 0;

/** Counters for memory tests and reports: live optimizers' memories and the pool. */
export function memoryStats(): { liveArenas: number; liveBytes: number; pooledArenas: number; pooledBytes: number } {
  return {
    liveArenas,
    liveBytes,
    pooledArenas: pool.length,
    pooledBytes: pool.reduce((s, e) => s + e.memory.buffer.byteLength, 0),
  };
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  readonly build: Build;
  readonly bytes: number;
  /** threads its steps use: > 1 when the memory is shared with the worker pool */
  readonly threads: number;
  #slot: Slot | undefined;
  readonly #ticket: Ticket;
  readonly #holder: object | undefined;

  private constructor(slot: Slot, bytes: number, holder: object | undefined, counted: boolean, threads: number) {
    this.#slot = slot;
    this.#ticket = { bytes: slot.memory.buffer.byteLength, live: counted, memId: slot.memId };
    this.#holder = holder;
    if (holder) registry.register(holder, this.#ticket, holder);
    this.memory = slot.memory;
    this.kernels = slot.kernels;
    this.build = slot.build;
    this.bytes = bytes;
    this.threads = slot.memId === undefined ? 1 : threads;
  }

  /**
   * A zeroed memory of at least `bytes` bytes with its own kernel instance.
   * Every page is written once here, so no step pays for page faults.
   * With `threads` > 1 (and the pool available: Node, SIMD build, `ready({ threads })`
   * loaded the threads build), the memory is a shared WebAssembly.Memory of
   * exactly the pages needed (maximum = initial: it can never grow), each
   * worker instantiates the threads build on it once, and `kernels` splits
   * elementwise calls across `threads` threads (src/threads/split.ts).
   */
  /** Whether an arena acquired with `threads` would be on the worker pool (shared memory, split kernels). */
  static pooled(threads: number): boolean {
    return threads > 1 && poolSupported() && threadsModule() !== undefined;
  }

  static acquire(owner: string, bytes: number, holder?: object, counted = true, threads = 1, splitFrom?: number): Arena {
    const { build, module } = activeModule(owner);
    const tmod = threads > 1 && poolSupported() ? threadsModule() : undefined;
    if (!(bytes <= MAX_BYTES)) {
      throw new RangeError(
        `${owner}: the parameters and optimizer state need ${bytes} bytes, more than the 4 GiB a WebAssembly memory can hold`,
      );
    }
    const pages = Math.max(1, Math.ceil(bytes / PAGE));
    let slot = tmod ? undefined : takeFromPool(build, module, pages);
    try {
      if (tmod) {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
        const raw = new WebAssembly.Instance(tmod, { env: { memory } }).exports as unknown as Kernels;
        const memId = attachMemory(memory, tmod);
        slot = { build, module: tmod, memory, kernels: splitKernels(owner, raw, memId, threads, splitFrom), memId };
      } else if (slot) {
        const have = slot.memory.buffer.byteLength / PAGE;
        if (have < pages) slot.memory.grow(pages - have);
      } else {
        const memory = new WebAssembly.Memory({ initial: pages });
        const kernels = new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
        slot = { build, module, memory, kernels };
      }
    } catch (e) {
      throw new RangeError(
        `${owner}: could not allocate ${pages * PAGE} bytes of WebAssembly memory for the parameters and ` +
          `optimizer state (${(e as Error).message}); nothing was created`,
      );
    }
    // Zero all of it, not only the part needed: nothing of a disposed optimizer
    // may be readable through this one's views (`opt.params[0].buffer`).
    new Uint8Array(slot.memory.buffer).fill(0);
    if (counted) {
      liveArenas++;
      liveBytes += slot.memory.buffer.byteLength;
    }
    byBuffer.set(slot.memory.buffer, slot.kernels);
    return new Arena(slot, bytes, holder, counted, threads);
  }

  /** The memory's current buffer; it never changes while the arena is held. */
  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  /** Detaches every view on this memory and hands it to the pool. Idempotent. */
  release(): void {
    const slot = this.#slot;
    if (!slot) return;
    this.#slot = undefined;
    settle(this.#ticket);
    if (this.#holder) registry.unregister(this.#holder);
    byBuffer.delete(slot.memory.buffer);
    if (slot.memId !== undefined) {
      // A shared memory cannot be detached (a SharedArrayBuffer has no detach), so its
      // views stay readable after dispose; it is never reused, so they alias nothing.
      detachMemory(slot.memId);
      return;
    }
    slot.memory.grow(0);
    if (slot.memory.buffer.byteLength <= POOL_MAX_BYTES) {
      pool.push(slot);
      let total = 0;
      for (const e of pool) total += e.memory.buffer.byteLength;
      while (pool.length > POOL_ENTRIES || total > POOL_TOTAL_BYTES) total -= pool.shift()!.memory.buffer.byteLength;
    }
  }
}

function takeFromPool(build: Build, module: WebAssembly.Module, pages: number): Slot | undefined {
  let best = -1;
  for (let i = 0; i < pool.length; i++) {
    const e = pool[i]!;
    if (e.build !== build || e.module !== module) continue;
    const have = e.memory.buffer.byteLength / PAGE;
    if (have > REUSE_MAX_RATIO * pages) continue; // another size class
    const cur = best < 0 ? undefined : pool[best]!.memory.buffer.byteLength / PAGE;
    // Prefer the smallest memory that fits; otherwise the largest (least to grow).
    if (cur === undefined) best = i;
    else if (have >= pages && (cur < pages || have < cur)) best = i;
    else if (have < pages && cur < pages && have > cur) best = i;
  }
  return best < 0 ? undefined : pool.splice(best, 1)[0];
}
