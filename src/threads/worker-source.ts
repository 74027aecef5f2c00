// The worker thread's program, as source text: a Node worker is started with
// `new Worker(WORKER_SOURCE, { eval: true })`, so no worker file has to be
// found next to dist/ or copied by a bundler. It is plain CommonJS with no
// dependency, and runs as CommonJS or as a module (a worker inherits
// --input-type=module): no require, no import. The protocol (one control word array `ctl` and one argument
// array `args`, both on SharedArrayBuffers) is described in ./protocol.ts.
import { ARGS, CTL, HOOK_DIE, HOOK_HANG, HOOK_THROW } from './protocol.js';
import { CHUNK_SOURCE } from './chunk-source.js';

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
${CHUNK_SOURCE}
function run() {
  const memId = ctl[C.MEM];
  let k = instances.get(memId);
  if (k === undefined) { drain(); k = instances.get(memId); }
  if (k === undefined) throw new Error('memory ' + memId + ' was never attached to this worker');
  runChunk(k);
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
