// How values move between TF.js tensors and an optimizer's WebAssembly memory,
// by the cheapest legal route on each backend (bench/tfjs-adapter-worker.mjs
// measures every piece; README "train.adam vs tf.train.adam"):
//
// - In: `dataSync()` on the cpu backend returns the backend's own array (no
//   copy), so a gradient costs one copy into the optimizer's memory. On the
//   wasm backend `dataSync()` copies the values out of its heap into a new
//   ArrayBuffer, an allocation per call that cost more than the update; there
//   the values are read straight from the backend's heap instead, through two
//   internals of @tensorflow/tfjs-backend-wasm 4.x (`backend.dataIdMap`, the
//   tensor's `memoryOffset`, and `backend.wasm.HEAPU8`), each checked before
//   use; anything unexpected falls back to `dataSync()`. On webgl/webgpu
//   `dataSync()` is a blocking GPU readback (the numbers stay correct).
// - A variable's values are not read back at all when its data is the data
//   the optimizer assigned at its last step: TF.js data is immutable and
//   `assign` replaces the variable's `dataId`, so the same `dataId` means the
//   same values, which the optimizer's memory already holds.
// - Out: `tf.tensor(values)` then `variable.assign` (which takes the tensor's
//   data without a copy). The cpu, webgl and webgpu backends keep the array
//   they are given, so it must be a copy (`slice`); the wasm backend copies it
//   into its heap when the tensor is made, so it gets a view of the
//   optimizer's memory and no JavaScript copy is made.
import { backend, getBackend, tensor, type Tensor, type Variable } from '@tensorflow/tfjs-core';

interface WasmData {
  memoryOffset?: unknown;
  dtype?: unknown;
}
interface WasmBackendShape {
  dataIdMap?: { has?: (id: object) => boolean; get?: (id: object) => WasmData | undefined };
  wasm?: { HEAPU8?: unknown };
}

/**
 * A view of a float32 tensor's values in the wasm backend's heap, or
 * undefined (another backend, the data not in that backend yet, or internals
 * not as expected). Valid until the next TF.js operation (which may grow the
 * heap and detach the view).
 */
export function wasmHeapView(t: Tensor): Float32Array | undefined {
  if (getBackend() !== 'wasm') return undefined;
  const b = backend() as unknown as WasmBackendShape;
  const map = b.dataIdMap;
  const heap = b.wasm?.HEAPU8;
  if (typeof map?.has !== 'function' || typeof map.get !== 'function' || !(heap instanceof Uint8Array)) return undefined;
  if (!map.has(t.dataId)) return undefined; // get() would move the data between backends
  const d = map.get(t.dataId);
  const at = d?.memoryOffset;
  if (d?.dtype !== 'float32' || typeof at !== 'number' || !Number.isInteger(at) || at <= 0 || at % 4 !== 0) return undefined;
  if (at + 4 * t.size > heap.byteLength) return undefined;
  return new Float32Array(heap.buffer, heap.byteOffset + at, t.size);
}

/** A float32 tensor's values: the wasm backend's heap view, else `dataSync()`. Valid until the next TF.js operation. */
export function valuesOf(t: Tensor): Float32Array {
  return wasmHeapView(t) ?? (t.dataSync() as Float32Array);
}

/**
 * Remembers, per variable, the data an optimizer last assigned to it, and
 * assigns new values by the cheapest route that leaves the tensor owning its
 * values (see the top of this file).
 */
export class Assigned {
  #last = new WeakMap<Variable, { dataId: object; from: object | undefined }>();

  /**
   * Whether the variable still holds the data this optimizer last assigned
   * from the buffer `from` (any object naming the buffer, e.g. its slot): then
   * that buffer has the variable's values. A buffer made since never matches.
   */
  holds(v: Variable, from: object): boolean {
    const last = this.#last.get(v);
    return last !== undefined && last.dataId === v.dataId && last.from === from;
  }

  /**
   * `v.assign(tf.tensor(values, shape))`, the temporary disposed; values may be
   * a view the caller overwrites later. `from` names the buffer for holds().
   */
  assign(v: Variable, values: Float32Array, shape: readonly number[], from?: object): void {
    let out: Tensor | undefined;
    if (getBackend() === 'wasm') {
      out = tensor(values, shape as number[], 'float32');
      // the wasm backend copied the values into its heap: the tensor does not alias our memory
      if (!wasmHeapView(out)) {
        out.dispose();
        out = undefined;
      }
    }
    out ??= tensor(values.slice(), shape as number[], 'float32');
    v.assign(out);
    this.#last.set(v, { dataId: out.dataId, from });
    out.dispose();
  }
}

/** The index of the first NaN or ±Infinity in a, or -1 (one branch-free pass, then a search only if needed). */
export function firstNonFinite(a: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * 0; // 0 for finite values, NaN from the first non-finite one on
  if (s === 0) return -1;
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}
