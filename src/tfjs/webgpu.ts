// toTfjs on TF.js's webgpu backend: the WGSL kernels of src/webgpu run on the
// GPU buffers that hold the variables and the gradients, and nothing is read
// back to the CPU (README "WebGPU", "toTfjs on the webgpu backend").
//
// What this relies on in @tensorflow/tfjs-backend-webgpu 4.22
// (dist/backend_webgpu.js), each checked before use (anything unexpected:
// `webgpuBackend()` returns undefined and toTfjs takes its readback path):
// - `backend.device`: the GPUDevice the backend runs on (ours run on it too);
// - `backend.tensorMap.get(dataId)`: `{ dtype, resource, values }`, where
//   `resource` is the GPUBuffer holding the tensor's data (usage STORAGE |
//   COPY_SRC | COPY_DST) once `backend.uploadToGPU(dataId)` has put it there;
// - `backend.commandEncoder`, `endComputePassEncoder()` and `submitQueue()`:
//   the backend records its kernels into an encoder it submits later (every
//   WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE dispatches, or on a read). Before our
//   command buffers go to the same queue, the backend's pending ones are
//   submitted, so the gradients are computed before our kernels read them.
// - Writing back: the update runs in place on a parameter buffer of the
//   optimizer's own; `tf.tensor({ buffer }, shape)` (the public
//   createTensorFromGPUData, zeroCopy off) copies it into a new buffer of the
//   backend's pool on the GPU (copyBufferToBuffer, then submitQueue), and
//   `variable.assign` takes that tensor's data. One GPU-to-GPU copy per step,
//   no mapAsync, no readSync/read.
// - Reading in: the variable's buffer is copied (on the GPU) into the
//   optimizer's parameter buffer only when the variable's data is not the
//   data this optimizer assigned last (TF.js data is immutable and assign
//   replaces the dataId, so the same dataId means the same values).
// The kernels never write the variable's own buffer: a dataId's buffer may be
// shared by other tensors (clone, reshape and assign share dataIds with a
// reference count) and the backend may cache a CPU copy of its values.
import { backend, getBackend, tensor, type Tensor, type Variable } from '@tensorflow/tfjs-core';
import type { GpuBufferLike, GpuDeviceLike } from '../webgpu/gpu.js';
import { isBufferLike, isDeviceLike, Usage } from '../webgpu/gpu.js';

/** The parts of tfjs-backend-webgpu 4.22's WebGPUBackend used here. */
export interface WebGpuBackendShape {
  device: GpuDeviceLike;
  tensorMap: { has(id: object): boolean; get(id: object): { dtype?: unknown; resource?: unknown } | undefined };
  uploadToGPU(id: object): void;
  commandEncoder: unknown;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** TF.js's current backend when it is webgpu with the internals listed at the top of this file; else undefined. */
export function webgpuBackend(): WebGpuBackendShape | undefined {
  if (getBackend() !== 'webgpu') return undefined;
  const b = backend() as unknown as Partial<WebGpuBackendShape>;
  if (!isDeviceLike(b.device)) return undefined;
  if (typeof b.tensorMap?.get !== 'function' || typeof b.tensorMap.has !== 'function') return undefined;
  if (typeof b.uploadToGPU !== 'function' || typeof b.submitQueue !== 'function' || typeof b.endComputePassEncoder !== 'function') return undefined;
  return b as WebGpuBackendShape;
}

/** Submits the commands the backend has recorded but not submitted yet. */
export function flush(b: WebGpuBackendShape): void {
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
  }
}

/**
 * The GPUBuffer holding a float32 tensor's data on the webgpu backend (uploaded
 * first if the data is on the CPU; call flush() before reading it), or
 * undefined when it is not a plain buffer of at least `4 * size` bytes.
 */
export function bufferOf(b: WebGpuBackendShape, t: Tensor): GpuBufferLike | undefined {
  if (!b.tensorMap.has(t.dataId)) return undefined;
  b.uploadToGPU(t.dataId);
  const d = b.tensorMap.get(t.dataId);
  const r = d?.resource;
  if (d?.dtype !== 'float32' || !isBufferLike(r) || r.size < 4 * t.size || (r.usage & (Usage.STORAGE | Usage.COPY_SRC)) !== (Usage.STORAGE | Usage.COPY_SRC)) return undefined;
  return r;
}

/** The usage of the backend's tensor buffers; an own buffer with it copies into the backend's pool. */
export const TENSOR_USAGE = Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST;

/** Copies `bytes` bytes of each (from, to) pair on the GPU: one command buffer. */
export function copyOnGpu(device: GpuDeviceLike, pairs: readonly { from: GpuBufferLike; to: GpuBufferLike; bytes: number }[]): void {
  if (pairs.length === 0) return;
  const enc = device.createCommandEncoder({ label: 'wasm-optim toTfjs copy-in' });
  for (const p of pairs) enc.copyBufferToBuffer(p.from, 0, p.to, 0, p.bytes);
  device.queue.submit([enc.finish()]);
}

/** `v.assign(tf.tensor({ buffer }, shape))`: the backend copies `buffer` on the GPU; returns the variable's new dataId. */
export function assignFromGpu(v: Variable, buffer: GpuBufferLike, shape: readonly number[]): object {
  const t = tensor({ buffer: buffer as never }, shape as number[], 'float32');
  v.assign(t);
  t.dispose();
  return v.dataId;
}
