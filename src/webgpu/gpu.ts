// The part of the WebGPU API this entry uses, typed structurally (the
// library's .d.ts files do not depend on @webgpu/types), and the usage flags
// as numbers (GPUBufferUsage and GPUMapMode exist only where WebGPU does).

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A GPUBuffer: what the optimizer reads of it. */
export interface GpuBufferLike {
  readonly size: number;
  readonly usage: number;
  mapAsync?(mode: number): Promise<void>;
  getMappedRange?(): ArrayBuffer;
  unmap?(): void;
  destroy?(): void;
}

/** A GPUDevice: the calls the optimizer makes (any WebGPU device has them). */
export interface GpuDeviceLike {
  readonly queue: {
    writeBuffer(buffer: GpuBufferLike, offset: number, data: ArrayBufferView | ArrayBuffer, dataOffset?: number, size?: number): void;
    submit(commands: unknown[]): void;
    onSubmittedWorkDone?(): Promise<void>;
  };
  readonly limits?: { readonly minUniformBufferOffsetAlignment?: number; readonly minStorageBufferOffsetAlignment?: number; readonly maxStorageBufferBindingSize?: number };
  createBuffer(descriptor: { size: number; usage: number; mappedAtCreation?: boolean; label?: string }): GpuBufferLike;
  createShaderModule(descriptor: { code: string; label?: string }): unknown;
  createBindGroupLayout(descriptor: any): unknown;
  createPipelineLayout(descriptor: any): unknown;
  createComputePipeline(descriptor: any): unknown;
  createBindGroup(descriptor: any): unknown;
  createCommandEncoder(descriptor?: any): any;
}

/** GPUBufferUsage's flags. */
export const Usage = { MAP_READ: 0x1, COPY_SRC: 0x4, COPY_DST: 0x8, UNIFORM: 0x40, STORAGE: 0x80 } as const;
/** GPUMapMode.READ */
export const MAP_READ = 0x1;

/** Whether `d` has the calls of a GPUDevice. */
export function isDeviceLike(d: unknown): d is GpuDeviceLike {
  if (d === null || typeof d !== 'object') return false;
  const o = d as Record<string, unknown>;
  return typeof o.createBuffer === 'function' && typeof o.createComputePipeline === 'function' && typeof o.createCommandEncoder === 'function' && o.queue !== null && typeof o.queue === 'object';
}

/** Whether `b` looks like a GPUBuffer (a size, usage flags). */
export function isBufferLike(b: unknown): b is GpuBufferLike {
  return b !== null && typeof b === 'object' && typeof (b as { size?: unknown }).size === 'number' && typeof (b as { usage?: unknown }).usage === 'number';
}

/** Copies `size` bytes at `offset` of each (buffer, offset, size) to the CPU: one staging buffer, one submission, one map. */
export async function readBack(device: GpuDeviceLike, parts: readonly { buffer: GpuBufferLike; offset: number; size: number }[]): Promise<ArrayBuffer[]> {
  const total = parts.reduce((a, p) => a + p.size, 0);
  const staging = device.createBuffer({ size: Math.max(4, total), usage: Usage.MAP_READ | Usage.COPY_DST, label: 'wasm-optim readback' });
  const enc = device.createCommandEncoder();
  let at = 0;
  for (const p of parts) {
    if (p.size > 0) enc.copyBufferToBuffer(p.buffer, p.offset, staging, at, p.size);
    at += p.size;
  }
  device.queue.submit([enc.finish()]);
  try {
    await staging.mapAsync!(MAP_READ);
    const all = staging.getMappedRange!().slice(0);
    staging.unmap!();
    const out: ArrayBuffer[] = [];
    at = 0;
    for (const p of parts) {
      out.push(all.slice(at, at + p.size));
      at += p.size;
    }
    return out;
  } finally {
    staging.destroy?.();
  }
}
