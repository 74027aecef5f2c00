// The Web Worker's program, as source text: src/threads/web-pool.ts starts it
// from a Blob URL (`new Worker(URL.createObjectURL(blob))`), so no worker
// file has to be found next to the bundle. It speaks the same protocol as the
// Node worker (./worker-source.ts, ./protocol.ts): the same control and
// argument arrays, the same chunks, the same kernel calls.
//
// What differs: a browser has no synchronous receiveMessageOnPort, and a
// worker blocked in a loop never sees its messages (the shared memories it
// must instantiate). So the loop spins, then blocks in Atomics.wait for at
// most IDLE_MS, then goes back to its event loop and waits with
// Atomics.waitAsync (messages arrive meanwhile). A call on a memory whose
// message has not arrived yet is parked until the message comes (the caller
// waits; a writing call's gate stays shut until it checks in). A chunk's error message goes to a shared Uint16Array (TEXT_CHARS per
// worker: the length, then UTF-16 code units), since the caller cannot read a
// message port while it waits.
import { ARGS, CTL, GATE_GO, HOOK_DIE, HOOK_HANG, HOOK_THROW, HOOK_THROW_AFTER, KERNEL_PREPARE } from './protocol.js';
import { CHUNK_SOURCE } from './chunk-source.js';

/** UTF-16 code units of error text per worker (the first holds the length). */
export const TEXT_CHARS = 512;
/** Milliseconds an idle worker blocks in Atomics.wait before it returns to its event loop. */
export const IDLE_MS = 50;

/**
 * The worker: its first message ({ init }) brings the shared arrays, its
 * index, the kernel names and the spin count; later ones attach ({ id,
 * memory, module }) or detach ({ detach }) an optimizer's memory.
 */
export const WEB_WORKER_SOURCE = `'use strict';
const C = ${JSON.stringify(CTL)};
const A = ${JSON.stringify(ARGS)};
const TEXT_CHARS = ${TEXT_CHARS};
const IDLE_MS = ${IDLE_MS};
let ctl, args, text, index, names, getters, spin, seen, mySeq;
let chunks = 0; // chunks run so far (the browser tests read it)
let parked = -1; // the memory id a received call waits for
let quit = false;
const instances = new Map();
const tinyOf = new Map();
const call = new Array(A.MAX_ARGS);
function fail(message, code) {
  const m = String(message).slice(0, TEXT_CHARS - 1);
  const at = index * TEXT_CHARS;
  for (let i = 0; i < m.length; i++) text[at + 1 + i] = m.charCodeAt(i);
  text[at] = m.length;
  Atomics.store(ctl, C.ERR, code);
}
${CHUNK_SOURCE}
function run(k) {
  runChunk(k);
  chunks++;
}
// Runs the posted call; false when it must wait for its memory's message. On a writing call
// (C.BARRIER) it checks in once prepared and writes only after the caller's GO (as the Node worker).
function job() {
  if (ctl[C.KERNEL] === -1) { quit = true; self.close(); return false; }
  const memId = ctl[C.MEM];
  const k = instances.get(memId);
  if (k === undefined) { parked = memId; return false; }
  const hook = ctl[C.HOOK];
  const barrier = ctl[C.BARRIER] === 1;
  if (hook === ${HOOK_DIE}) { // a worker that dies before check-in
    Atomics.store(ctl, C.ERR, 2);
    if (barrier) arrive();
    finish();
    quit = true;
    self.close();
    return false;
  }
  if (hook === ${HOOK_HANG}) { quit = true; return false; } // hangs: never checks in (the caller terminates it)
  let ok = true;
  if (hook === ${HOOK_THROW}) { fail('test hook: a worker that throws before its chunk', 1); ok = false; }
  else if (ctl[C.KERNEL] !== ${KERNEL_PREPARE} && typeof k[names[ctl[C.KERNEL]]] !== 'function') { fail('no kernel ' + names[ctl[C.KERNEL]] + ' in this worker', 1); ok = false; }
  if (barrier) {
    arrive();
    if (gate() !== ${GATE_GO}) ok = false;
  }
  if (ok) {
    try {
      run(k);
      // test hook, after the chunk has written its part: a kernel bug
      if (hook === ${HOOK_THROW_AFTER}) throw new Error('test hook: a chunk that throws after writing');
    } catch (e) { fail(e && e.message || e, 3); }
  }
  finish();
  return true;
}
function loop() {
  for (;;) {
    let s, spins = 0;
    while ((s = Atomics.load(ctl, mySeq)) === seen && ++spins <= spin);
    if (s === seen) {
      if (Atomics.wait(ctl, mySeq, seen, IDLE_MS) !== 'timed-out') continue;
      // idle: back to the event loop, so that attach and detach messages arrive
      if (typeof Atomics.waitAsync === 'function') {
        const w = Atomics.waitAsync(ctl, mySeq, seen);
        if (w.async) { w.value.then(loop); return; }
        continue;
      }
      setTimeout(loop, 1);
      return;
    }
    seen = s;
    if (!job()) return;
  }
}
self.onmessage = (e) => {
  const msg = e.data;
  if (quit) return;
  if (msg.init) {
    ctl = new Int32Array(msg.ctlBuffer);
    args = new Float64Array(msg.argsBuffer);
    text = new Uint16Array(msg.textBuffer);
    index = msg.index; names = msg.names; getters = msg.getters; spin = msg.spin; seen = msg.seen;
    mySeq = C.SEQ + index;
    self.postMessage({ ready: true });
    loop();
    return;
  }
  if (msg.detach !== undefined) { instances.delete(msg.detach); tinyOf.delete(msg.detach); return; }
  instances.set(msg.id, new WebAssembly.Instance(msg.module, { env: { memory: msg.memory } }).exports);
  if (parked === msg.id) {
    parked = -1;
    if (job()) loop();
  }
};
`;
