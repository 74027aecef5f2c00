// wasm-optim/webgpu: the elementwise optimizers of the registry as fused WGSL
// compute kernels over parameters that live in GPUBuffers (README "WebGPU").
// The main entry never imports this file.
import type { HyperparametersOf, OptimizerClassOf } from '../registry.js';
import type { StepOptions } from '../options.js';
import type { Scalars } from '../method.js';
import { describe } from '../validate.js';
import { isDeviceLike, type GpuDeviceLike } from './gpu.js';
import { GpuOptimizer, type GpuParamGroupInput, type GpuTensor } from './optimizer.js';
import { GPU_EXCLUDED, GPU_SPECS, type GpuOptimizerName } from './specs.js';

export { GpuOptimizer, type GpuTensor, type GpuParamGroup, type GpuParamGroupInput } from './optimizer.js';
export type { GpuBufferLike, GpuDeviceLike } from './gpu.js';
export { GPU_EXCLUDED as gpuExcluded, type GpuOptimizerName } from './specs.js';

/** The names createGpuOptimizer accepts, in registry order. */
export const gpuOptimizerNames: readonly GpuOptimizerName[] = Object.freeze(Object.keys(GPU_SPECS) as GpuOptimizerName[]);

/** Options of a WebGPU optimizer: its hyperparameters and the step options (checkFinite, skipNonFinite, maxGradNorm, gradNormType). */
export type GpuOptimizerOptions<N extends GpuOptimizerName> = Partial<HyperparametersOf<OptimizerClassOf<N>>> & StepOptions;

function noWebGpu(owner: string, got: unknown): Error {
  const nav = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  const why =
    nav?.gpu === undefined
      ? 'WebGPU is not available here (navigator.gpu is undefined: this browser or runtime has no WebGPU, or the page is not a secure context such as https:// or http://localhost)'
      : 'expected a GPUDevice from (await navigator.gpu.requestAdapter()).requestDevice()';
  return new TypeError(`${owner}: ${why}; got ${describe(got)} as the device. Use the WebAssembly optimizers of 'wasm-optim' where there is no WebGPU`);
}

/**
 * A GPUDevice of the default adapter; a clear error where WebGPU is missing
 * (no navigator.gpu, or no adapter).
 */
export async function requestGpuDevice(): Promise<GpuDeviceLike> {
  const gpu = (globalThis as { navigator?: { gpu?: { requestAdapter(): Promise<{ requestDevice(): Promise<unknown> } | null> } } }).navigator?.gpu;
  if (!gpu) throw noWebGpu('requestGpuDevice', undefined);
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('requestGpuDevice: WebGPU is present but navigator.gpu.requestAdapter() found no adapter (no usable GPU, or WebGPU is blocked for it)');
  return (await adapter.requestDevice()) as GpuDeviceLike;
}

/**
 * A WebGPU optimizer by registry name: `createGpuOptimizer(device, 'AdamW',
 * [{ buffer, length }, ...], { lr: 1e-3 })`. The options, their validation,
 * param groups and the state-dict layout are those of the WebAssembly twin
 * (`createOptimizer(name, ...)`). Parameter buffers need GPUBufferUsage.STORAGE
 * and COPY_SRC (COPY_DST too for `load` of a checkpoint with parameters),
 * gradient buffers STORAGE.
 */
export function createGpuOptimizer<N extends GpuOptimizerName>(
  device: GpuDeviceLike,
  name: N,
  params: GpuTensor[] | GpuParamGroupInput<HyperparametersOf<OptimizerClassOf<N>>>[],
  options?: GpuOptimizerOptions<N>,
): GpuOptimizer<HyperparametersOf<OptimizerClassOf<N>> & object, Scalars> {
  const owner = 'createGpuOptimizer';
  if (!isDeviceLike(device)) throw noWebGpu(owner, device);
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(GPU_SPECS, name)) {
    const valid = gpuOptimizerNames.join(', ');
    if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(GPU_EXCLUDED, name)) {
      throw new RangeError(`${owner}: ${name} has no WebGPU version: ${GPU_EXCLUDED[name]}; available: ${valid}`);
    }
    const near = typeof name === 'string' ? gpuOptimizerNames.find((n) => n.toLowerCase() === name.toLowerCase()) : undefined;
    throw new RangeError(`${owner}: unknown optimizer ${describe(name)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; valid names: ${valid}`);
  }
  const spec = GPU_SPECS[name];
  return new GpuOptimizer(device, spec as never, params, options ?? {}) as never;
}
