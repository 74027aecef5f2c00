// The worker thread's program, as source text: a Node worker is started with
// `new Worker(WORKER_SOURCE, { eval: true })`, so no worker file has to be
// found next to dist/ or copied by a bundler. It is plain CommonJS with no
// dependency, and runs as CommonJS or as a module (a worker inherits
// --input-type=module): no require, no import. The protocol (one control word array `ctl` and one argument
// array `args`, both on SharedArrayBuffers) is described in ./protocol.ts.
import { ARGS, CTL, GATE_GO, KERNEL_DRAIN, KERNEL_PREPARE, HOOK_DIE, HOOK_HANG, HOOK_THROW, HOOK_THROW_AFTER } from './protocol.js';
import { CHUNK_SOURCE } from './chunk-source.js';

/** Bytes of dropped memories after which a Node worker collects its garbage (see drain in the source). */
const COLLECT_BYTES = 2 ** 20;

/**
 * The worker's loop: wait until the main thread bumps this worker's sequence
 * word; prepare (find its instance of the threads module bound to that
 * optimizer's shared memory, reading attach messages synchronously with
 * `receiveMessageOnPort` when the call names a memory it has not seen); on a
 * writing call (CTL.BARRIER) check in and wait for the caller's GO, so that
 * every way this worker can fail in its own JavaScript happens before anybody
 * writes; run its chunk; count down; repeat. A KERNEL_DRAIN pseudo-call
 * (detachMemory) only reads the port (dropping disposed memories) and counts down.
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
let phase = 0; // 0 idle, 1 preparing (not checked in), 2 checked in, 3 running its chunk after GO
let gen = 0;
// A dropped instance keeps its shared memory alive until this isolate collects it, and an idle
// worker allocates nothing, so it would never collect: after 1 MiB of dropped memories it
// collects on purpose (a small worker heap: about a millisecond; a larger allowance made RSS
// saw-tooth by the allowance times the workers, bench/memory.mjs). gc is taken from a fresh context with --expose-gc set for
// that moment only (V8 flags are process-wide: it is turned off again at once).
const sizes = new Map();
let dropped = 0;
let collect;
try {
  const v8 = process.getBuiltinModule('node:v8');
  if (typeof globalThis.gc === 'function') collect = globalThis.gc;
  else {
    v8.setFlagsFromString('--expose-gc');
    try { collect = process.getBuiltinModule('node:vm').runInNewContext('gc'); } finally { v8.setFlagsFromString('--no-expose-gc'); }
  }
} catch { collect = undefined; }
function drain() {
  for (;;) {
    const m = receiveMessageOnPort(port);
    if (!m) break;
    const msg = m.message;
    if (msg.detach !== undefined) {
      instances.delete(msg.detach); tinyOf.delete(msg.detach);
      dropped += sizes.get(msg.detach) || 0; sizes.delete(msg.detach);
    } else {
      instances.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } }).exports);
      sizes.set(msg.id, msg.memory.buffer.byteLength);
    }
  }
  if (dropped >= ${COLLECT_BYTES} && typeof collect === 'function') { dropped = 0; collect(); }
}
process.on('exit', () => {
  if (phase === 0) return;
  const barrier = ctl[C.BARRIER] === 1;
  Atomics.store(ctl, C.ERR, phase === 1 ? 2 : 4); // once checked in, the gate may be open: say the call may have written
  if (phase === 1 && barrier) arrive();
  phase = 0;
  finish();
});
const call = new Array(A.MAX_ARGS);
${CHUNK_SOURCE}
function prepare() {
  const memId = ctl[C.MEM];
  let k = instances.get(memId);
  if (k === undefined) { drain(); k = instances.get(memId); }
  if (k === undefined) throw new Error('memory ' + memId + ' was never attached to this worker');
  if (ctl[C.KERNEL] !== ${KERNEL_PREPARE} && typeof k[names[ctl[C.KERNEL]]] !== 'function') throw new Error('no kernel ' + names[ctl[C.KERNEL]] + ' in this worker');
  return k;
}
function report(e, code) {
  Atomics.store(ctl, C.ERR, code);
  reply.postMessage({ index, message: String(e && e.message || e) });
}
reply.postMessage({ ready: true });
for (;;) {
  let s, spins = 0;
  while ((s = Atomics.load(ctl, mySeq)) === seen) {
    if (++spins > spin) { Atomics.wait(ctl, mySeq, seen); spins = 0; }
  }
  seen = s;
  if (ctl[C.KERNEL] === -1) break;
  if (ctl[C.KERNEL] === ${KERNEL_DRAIN}) {
    // detachMemory's pseudo-call: drop disposed memories now (phase 1: if this worker exits meanwhile, it still counts down)
    phase = 1;
    gen = ctl[C.GEN];
    drain();
    args[A.RESULT + index] = instances.size; // what it still holds (poolStats().heldByWorkers)
    phase = 0;
    finish();
    continue;
  }
  phase = 1;
  let k;
  const hook = ctl[C.HOOK];
  try {
    if (ctl[C.GEN] !== gen) { gen = ctl[C.GEN]; drain(); }
    k = prepare();
    // test hooks at the real failure points, before check-in: a worker dying, throwing, hanging
    if (hook === ${HOOK_DIE}) process.exit(7);
    if (hook === ${HOOK_THROW}) throw new Error('test hook: a worker that throws before its chunk');
    if (hook === ${HOOK_HANG}) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
  } catch (e) { k = undefined; report(e, 1); }
  let go = true;
  if (ctl[C.BARRIER] === 1) {
    phase = 2;
    arrive();
    go = gate() === ${GATE_GO};
  }
  if (go && k !== undefined) {
    phase = 3;
    try {
      runChunk(k);
      // test hook, after the chunk has written its part: a kernel bug
      if (hook === ${HOOK_THROW_AFTER}) throw new Error('test hook: a chunk that throws after writing');
    } catch (e) { report(e, 3); }
  }
  phase = 0;
  finish();
}
`;
