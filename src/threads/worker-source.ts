// The worker thread's program, as source text: a Node worker is started with
// `new Worker(WORKER_SOURCE, { eval: true })`, so no worker file has to be
// found next to dist/ or copied by a bundler. It is plain CommonJS with no
// dependency, and runs as CommonJS or as a module (a worker inherits
// --input-type=module): no require, no import. The protocol (one control word array `ctl` and one argument
// array `args`, both on SharedArrayBuffers) is described in ./protocol.ts.
import { ARGS, CTL, HOOK_DIE, HOOK_HANG, HOOK_THROW, MODE_BLOCKS, MODE_ROWS, REDUCE_BLOCK } from './protocol.js';

/**
 * The worker's loop: wait until the main thread bumps this worker's sequence
 * word, run its chunk of the posted kernel call on its own instance of the
 * threads module bound to that optimizer's shared memory, count down, repeat.
 * Memories arrive as messages on a port, read synchronously
 * (`receiveMessageOnPort`) when a job names one the worker has not seen.
 */
export const WORKER_SOURCE = `'use strict';
const { workerData, receiveMessageOnPort } = process.getBuiltinModule('node:worker_threads');
const C = ${JSON.stringify(CTL)};
const A = ${JSON.stringify(ARGS)};
const { ctlBuffer, argsBuffer, port, reply, index, names, getters, spin } = workerData;
const ctl = new Int32Array(ctlBuffer);
const args = new Float64Array(argsBuffer);
const instances = new Map();
const tinyOf = new Map();
const mySeq = C.SEQ + index;
let seen = workerData.seen;
let busy = false;
let gen = 0;
function drain() {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (!m) return;
    const msg = m.message;
    if (msg.detach !== undefined) { instances.delete(msg.detach); tinyOf.delete(msg.detach); }
    else instances.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } }).exports);
  }
}
function finish() {
  if (Atomics.sub(ctl, C.REMAIN, 1) === 1) Atomics.notify(ctl, C.REMAIN);
}
process.on('exit', () => {
  if (!busy) return;
  busy = false;
  Atomics.store(ctl, C.ERR, 2);
  finish();
});
const call = new Array(A.MAX_ARGS);
function run() {
  const memId = ctl[C.MEM];
  let k = instances.get(memId);
  if (k === undefined) { drain(); k = instances.get(memId); }
  if (k === undefined) throw new Error('memory ' + memId + ' was never attached to this worker');
  const kernel = ctl[C.KERNEL];
  const tiny = args[A.TINY];
  if (tinyOf.get(memId) !== tiny) { k.setFlushThreshold(tiny); tinyOf.set(memId, tiny); }
  const nptr = ctl[C.NPTR], nargs = ctl[C.NARGS], parts = ctl[C.PARTS], mode = ctl[C.MODE];
  const f = k[names[kernel]];
  call.length = nargs;
  for (let i = 0; i < nargs; i++) call[i] = args[i];
  args[A.RESULT + index] = NaN;
  if (mode === ${MODE_BLOCKS}) {
    // whole blocks of ${REDUCE_BLOCK} elements, one call each; every block's sums to PARTIALS
    const n = args[nptr];
    const blocks = Math.ceil(n / ${REDUCE_BLOCK});
    const per = Math.ceil(blocks / parts);
    const get = getters[kernel];
    for (let j = (index + 1) * per, end = Math.min(blocks, j + per); j < end; j++) {
      const start = j * ${REDUCE_BLOCK};
      for (let i = 0; i < nptr; i++) call[i] = args[i] + start * 4;
      call[nptr] = Math.min(${REDUCE_BLOCK}, n - start);
      const r = f.apply(null, call);
      if (get.length === 0) args[A.PARTIALS + 2 * j] = r;
      else for (let g = 0; g < get.length; g++) args[A.PARTIALS + 2 * j + g] = k[get[g]]();
    }
    return;
  }
  if (mode === ${MODE_ROWS}) {
    // gemm(a, b, c, w, m, n, k, lda, ldb, ldc, ...): rows [r0, r1) of C, its own packed panel
    const m = args[4];
    const rows = Math.ceil(Math.ceil(m / parts) / 4) * 4;
    const r0 = (index + 1) * rows, r1 = Math.min(m, r0 + rows);
    if (r0 >= r1) return;
    call[0] = args[0] + r0 * args[7] * 4;
    call[2] = args[2] + r0 * args[9] * 4;
    call[3] = args[3] + (index + 1) * args[A.WSTRIDE];
    call[4] = r1 - r0;
    f.apply(null, call);
    return;
  }
  const n = args[nptr];
  const block = Math.ceil(Math.ceil(n / parts) / 16) * 16;
  const start = (index + 1) * block;
  const end = Math.min(n, start + block);
  if (start >= end) return;
  for (let i = 0; i < nptr; i++) call[i] += start * 4;
  call[nptr] = end - start;
  const r = f.apply(null, call);
  args[A.RESULT + index] = typeof r === 'number' ? r : NaN;
}
reply.postMessage({ ready: true });
for (;;) {
  let s, spins = 0;
  while ((s = Atomics.load(ctl, mySeq)) === seen) {
    if (++spins > spin) { Atomics.wait(ctl, mySeq, seen); spins = 0; }
  }
  seen = s;
  if (ctl[C.KERNEL] === -1) break;
  if (ctl[C.GEN] !== gen) { gen = ctl[C.GEN]; drain(); }
  busy = true;
  try {
    run();
    // test hooks, after the chunk has written its part: a worker dying, a chunk throwing, a worker hanging mid-step
    const hook = ctl[C.HOOK];
    if (hook === ${HOOK_DIE}) process.exit(7);
    if (hook === ${HOOK_THROW}) throw new Error('test hook: a chunk that throws');
    if (hook === ${HOOK_HANG}) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  }
  catch (e) { Atomics.store(ctl, C.ERR, 1); reply.postMessage({ index, message: String(e && e.message || e) }); }
  busy = false;
  finish();
}
`;
