// The part of a worker's program both kinds of worker run (Node's
// ./worker-source.ts and the browser's ./web-worker-source.ts), as source
// text: how one posted call is cut and which part of it this worker runs.
// The caller's side of the same cuts is in ./split.ts and ./pool.ts.
import { GATE_WAIT, KERNEL_PREPARE, MODE_BLOCKS, MODE_ROWS, MODE_STRIDED, REDUCE_BLOCK } from './protocol.js';

/**
 * `function runChunk(k)`: runs this worker's part of the posted call on the
 * kernels `k` (an instance of the threads module on the call's memory) and
 * writes its result (nothing for a KERNEL_PREPARE check-in). It reads the
 * worker's free variables `ctl`, `args`, `call`, `index`, `names`,
 * `getters`, `tinyOf`, `spin` and `C`/`A` (the protocol's CTL and ARGS);
 * `finish`, `arrive` and `gate` are the worker's side of the count-down and
 * of the barrier. The four cuts (protocol.ts):
 *
 * - MODE_BLOCKS: whole blocks of REDUCE_BLOCK elements, one call each, every
 *   block's sums to ARGS.PARTIALS (the caller adds them in block order);
 * - MODE_ROWS: gemm's rows [r0, r1) of C (r a multiple of 4), with its own
 *   packed panel at w + (index + 1) * ARGS.WSTRIDE;
 * - MODE_STRIDED: chunks of ceil(ceil(n / parts) / align) * align units,
 *   pointer i advanced by ARGS.STRIDES + i bytes per unit, the scratch
 *   argument (ARGS.SCRATCH_ARG) by (index + 1) * ARGS.WSTRIDE bytes;
 * - otherwise chunks of ceil(ceil(n / parts) / 16) * 16 elements, chunk
 *   index + 1 (the caller runs chunk 0).
 */
export const CHUNK_SOURCE = `
// a chunk done: count down, waking the caller at the last one
function finish() {
  if (Atomics.sub(ctl, C.REMAIN, 1) === 1) Atomics.notify(ctl, C.REMAIN);
}
// checked in for a writing call (the barrier): wake the caller at the last one
function arrive() {
  if (Atomics.add(ctl, C.ARRIVE, 1) === ctl[C.PARTS] - 2) Atomics.notify(ctl, C.ARRIVE);
}
// GO or ABORT: spin briefly (the caller sets it as soon as the last worker checked in), then sleep
function gate() {
  let g, spins = 0;
  while ((g = Atomics.load(ctl, C.GATE)) === ${GATE_WAIT}) {
    if (++spins > spin) { Atomics.wait(ctl, C.GATE, ${GATE_WAIT}, 100); spins = 0; }
  }
  return g;
}
function runChunk(k) {
  const memId = ctl[C.MEM];
  const kernel = ctl[C.KERNEL];
  if (kernel === ${KERNEL_PREPARE}) return; // the step's check-in only
  const tiny = args[A.TINY];
  if (tinyOf.get(memId) !== tiny) { k.setFlushThreshold(tiny); tinyOf.set(memId, tiny); }
  const nptr = ctl[C.NPTR], nargs = ctl[C.NARGS], parts = ctl[C.PARTS], mode = ctl[C.MODE];
  const f = k[names[kernel]];
  call.length = nargs;
  for (let i = 0; i < nargs; i++) call[i] = args[i];
  args[A.RESULT + index] = NaN;
  if (mode === ${MODE_BLOCKS}) {
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
    // gemm(a, b, c, w, m, n, k, lda, ldb, ldc, ...)
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
  const strided = mode === ${MODE_STRIDED};
  const align = strided ? args[A.ALIGN] : 16;
  const block = Math.ceil(Math.ceil(n / parts) / align) * align;
  const start = (index + 1) * block;
  const end = Math.min(n, start + block);
  if (start >= end) return;
  if (strided) {
    for (let i = 0; i < nptr; i++) call[i] += Math.round(start * args[A.STRIDES + i]);
    const s = args[A.SCRATCH_ARG];
    if (s >= 0) call[s] += (index + 1) * args[A.WSTRIDE];
  } else for (let i = 0; i < nptr; i++) call[i] += start * 4;
  call[nptr] = end - start;
  const r = f.apply(null, call);
  args[A.RESULT + index] = typeof r === 'number' ? r : NaN;
}
`;
