// The memory-bandwidth probe (bench/assembly/bandwidth.ts) on several threads:
// the same module, built with --enable threads over one shared memory, and
// the same sweep cut into one contiguous, 64-byte-aligned chunk per thread
// (as the library's pool cuts a step). The calling thread runs chunk 0 and
// hands the others to worker_threads through Atomics, as src/threads/pool.ts
// does, so "the probe with as many threads" pays the same kind of hand-over
// as a threaded step.
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import asc from 'assemblyscript/asc';

const PAGE = 65536;
const BASE = 64;

const WORKER = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctl, index } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
const c = new Int32Array(ctl);
const args = new Float64Array(ctl, 64);
let seen = 0;
for (;;) {
  while (Atomics.load(c, 1 + index) === seen) Atomics.wait(c, 1 + index, seen);
  seen = Atomics.load(c, 1 + index);
  if (args[0] < 0) break;
  // args: g, x0, x1, x2, k, n (this chunk's), a
  k.pattern(args[2 + 8 * (index + 1)], args[3 + 8 * (index + 1)], args[4 + 8 * (index + 1)], args[5 + 8 * (index + 1)], args[6], args[7 + 8 * (index + 1)], args[8]);
  if (Atomics.sub(c, 0, 1) === 1) Atomics.notify(c, 0);
}
`;

/**
 * The pattern-`bytes` stream (4 + 8k bytes per element: 28 is Adam's) over
 * `megabytes` of shared memory, runnable on 1..`threads` threads.
 * @returns {Promise<{ n: number, bytesPerElem: number, run(threads: number): void, close(): Promise<void> }>}
 */
export async function createThreadedProbe(megabytes, threads, bytes = 28) {
  const source = readFileSync(new URL('../assembly/bandwidth.ts', import.meta.url), 'utf8');
  const total = megabytes * 1024 * 1024;
  const pages = Math.ceil((BASE + total) / PAGE);
  const out = await asc.compileString(
    { 'bandwidth.ts': source },
    {
      optimizeLevel: 3, shrinkLevel: 0, converge: true, runtime: 'stub', importMemory: true, sharedMemory: true, initialMemory: pages, maximumMemory: pages,
      noAssert: true, enable: ['simd', 'threads'], use: ['abort='],
    },
  );
  if (out.error || !out.binary) throw new Error(`bench: compiling bench/assembly/bandwidth.ts (threads) failed: ${out.error?.message}\n${out.stderr.toString()}`);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
  const module = new WebAssembly.Module(new Uint8Array(out.binary));
  // the exports of bench/assembly/bandwidth.ts (WebAssembly exports carry no types)
  const k = /** @type {{ pattern(g: number, x0: number, x1: number, x2: number, k: number, n: number, a: number): void }} */ (
    /** @type {unknown} */ (new WebAssembly.Instance(module, { env: { memory } }).exports)
  );
  new Float32Array(memory.buffer).fill(0.25); // touch every page once
  const ctl = new SharedArrayBuffer(64 + 8 * 8 * (threads + 1));
  const c = new Int32Array(ctl);
  const args = new Float64Array(ctl, 64);
  const workers = [];
  for (let i = 0; i < threads - 1; i++) {
    const w = new Worker(WORKER, { eval: true, workerData: { module, memory, ctl, index: i } });
    await new Promise((resolve, reject) => {
      w.once('online', resolve);
      w.once('error', reject);
    });
    workers.push(w);
  }
  const rw = (bytes - 4) / 8;
  const n = Math.floor(total / 4 / (rw + 1) / 16) * 16;
  const at = (i) => BASE + Math.min(i, rw) * n * 4;
  const seq = new Array(threads).fill(0);
  return {
    n,
    bytesPerElem: bytes,
    run(parts) {
      const len = Math.ceil(Math.ceil(n / parts) / 16) * 16;
      args[0] = 1;
      args[6] = rw;
      args[8] = 0.999;
      for (let t = 1; t < parts; t++) {
        const s = Math.min(n, t * len);
        for (let i = 0; i < 4; i++) args[2 + i + 8 * t] = at(i) + 4 * s;
        args[7 + 8 * t] = Math.min(n, s + len) - s;
      }
      Atomics.store(c, 0, parts - 1);
      for (let t = 1; t < parts; t++) {
        Atomics.store(c, t, ++seq[t]);
        Atomics.notify(c, t);
      }
      k.pattern(at(0), at(1), at(2), at(3), rw, Math.min(n, len), 0.999);
      for (let r; (r = Atomics.load(c, 0)) !== 0; ) Atomics.wait(c, 0, r);
    },
    async close() {
      args[0] = -1;
      for (let t = 1; t < threads; t++) {
        Atomics.store(c, t, ++seq[t]);
        Atomics.notify(c, t);
      }
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
