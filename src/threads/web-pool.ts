// The browser side of the worker pool (src/threads/pool.ts): Web Workers
// started from a Blob URL of ./web-worker-source.ts, on the same shared
// control and argument arrays, with the same protocol as Node's workers.
//
// A page needs cross-origin isolation (`crossOriginIsolated`: the headers
// Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy:
// require-corp) for SharedArrayBuffer and shared WebAssembly memory; a page
// with a Content-Security-Policy must also allow `worker-src blob:`.
//
// Two things differ from Node:
// - a Web Worker starts only after the thread that created it returns to its
//   event loop, so a call waits only for workers that answered; until then
//   (`webWorkersUp`) the calling thread runs the whole call itself (the same
//   bits: every split kernel is elementwise);
// - a browser's main thread may not block in Atomics.wait (`canBlock`): there
//   the caller spins on Atomics.load, both for the workers' check-in before
//   a writing call's gate opens and, after running its own chunk, until the
//   workers are done (step() is synchronous, so spinning is the only way),
//   checking the pool's time limit every few thousand spins. In a worker the
//   caller sleeps in Atomics.wait as in Node. The workers themselves may
//   block, and wait for the gate in Atomics.wait after a short spin.
import { CTL } from './protocol.js';
import { TEXT_CHARS, WEB_WORKER_SOURCE } from './web-worker-source.js';

interface WebWorker {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(type: string, f: (e: { data?: unknown; message?: string }) => void): void;
}
type WebWorkerCtor = new (url: string, options?: { name?: string }) => WebWorker;

/** Why this browser (or other non-Node engine) cannot run the Web Workers pool, or undefined where it can. */
export function webPoolReason(): string | undefined {
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean; URL?: { createObjectURL?: unknown }; Blob?: unknown };
  if (typeof g.Worker !== 'function' || typeof g.Blob !== 'function' || typeof g.URL?.createObjectURL !== 'function') {
    return 'this engine has neither Node worker_threads (process.getBuiltinModule, Node >= 20.16) nor Web Workers';
  }
  if (g.crossOriginIsolated !== true) {
    return 'the page is not cross-origin isolated (crossOriginIsolated is false), so it has no SharedArrayBuffer: serve it with ' +
      'the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp';
  }
  if (typeof SharedArrayBuffer !== 'function') return 'SharedArrayBuffer is not available although the page is cross-origin isolated';
  return undefined;
}

let blocks: boolean | undefined;
/** Whether this thread may block in Atomics.wait (not a browser's main thread). */
export function canBlock(): boolean {
  if (blocks === undefined) {
    try {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
      blocks = true;
    } catch {
      blocks = false;
    }
  }
  return blocks;
}

/** A Web Worker of the pool, shaped as pool.ts's slot of a Node worker. */
export interface WebSlot {
  worker: { unref(): void; terminate(): Promise<number>; on(e: string, f: () => void): void; once(e: string, f: () => void): void };
  port: { postMessage(m: unknown): void; once(): void; unref(): void; close(): void };
  reply: { postMessage(): void; once(): void; unref(): void; close(): void };
  dead: boolean;
  online: Promise<void>;
  /** true once the worker runs its loop (it has answered its init message) */
  up: boolean;
  /** the error text of its last chunk that threw, read once, or undefined */
  take(): string | undefined;
}

let url: string | undefined;
let text: { buffer: SharedArrayBuffer; chars: Uint16Array } | undefined;

/**
 * Starts Web Worker `index` on the pool's control and argument arrays and
 * posts it the memories already attached; it is `up` once it answers.
 */
export function startWebWorker(
  index: number, ctl: Int32Array, args: Float64Array, names: readonly string[], getters: readonly (readonly string[])[], spin: number,
  attached: Iterable<[number, { memory: WebAssembly.Memory; module: WebAssembly.Module }]>, maxWorkers: number,
): WebSlot {
  const g = globalThis as unknown as { Worker: WebWorkerCtor; Blob: typeof Blob; URL: typeof URL };
  url ??= g.URL.createObjectURL(new g.Blob([WEB_WORKER_SOURCE], { type: 'text/javascript' }));
  if (!text || text.chars.length < maxWorkers * TEXT_CHARS) {
    const buffer = new SharedArrayBuffer(2 * maxWorkers * TEXT_CHARS);
    text = { buffer, chars: new Uint16Array(buffer) };
  }
  const chars = text.chars;
  let worker: WebWorker | undefined;
  try {
    worker = new g.Worker(url, { name: `wasm-optim-pool-${index + 1}` });
  } catch {
    worker = undefined; // e.g. a Content-Security-Policy without worker-src blob: (the slot is dead: the pool stays at 1)
  }
  const noop = () => {};
  const slot: WebSlot = {
    worker: {
      unref: noop,
      terminate: () => {
        worker?.terminate();
        return Promise.resolve(0);
      },
      on: noop,
      once: noop,
    },
    port: { postMessage: (m: unknown) => worker?.postMessage(m), once: noop, unref: noop, close: noop },
    reply: { postMessage: noop, once: noop, unref: noop, close: noop },
    dead: worker === undefined,
    up: false,
    online: Promise.resolve(),
    take: () => {
      const at = index * TEXT_CHARS;
      const len = chars[at]!;
      if (len === 0) return undefined;
      chars[at] = 0;
      return String.fromCharCode(...chars.subarray(at + 1, at + 1 + len));
    },
  };
  if (!worker) return slot;
  chars[index * TEXT_CHARS] = 0;
  slot.online = new Promise<void>((resolve) => {
    worker.addEventListener('message', (e) => {
      if ((e.data as { ready?: boolean } | undefined)?.ready) slot.up = true;
      resolve();
    });
    worker.addEventListener('error', () => {
      slot.dead = true;
      resolve();
    });
  });
  worker.postMessage({
    init: true, ctlBuffer: ctl.buffer, argsBuffer: args.buffer, textBuffer: text.buffer,
    index, names: [...names], getters, spin, seen: Atomics.load(ctl, CTL.SEQ + index),
  });
  for (const [id, a] of attached) worker.postMessage({ id, memory: a.memory, module: a.module });
  return slot;
}
