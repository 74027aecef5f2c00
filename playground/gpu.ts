// The playground's "GPU" toggle: where navigator.gpu gives an adapter, the
// race steps each optimizer that has a WebGPU version (wasm-optim/webgpu's
// createGpuOptimizer, with the hyperparameters of the row's WebAssembly
// optimizer) on the GPU; the others, and every optimizer where there is no
// adapter, run on WebAssembly, and the page says why.
//
// A 2-D point is 2 floats: the function and its gradient are evaluated on
// the CPU, so every step writes the gradient to the GPU and reads the point
// back (the GPU runs the update, nothing more; this shows the kernels
// following the same path as WebAssembly, not GPU speed).
import { mulberry32, normal, type Optimizer, type TestFunction, type Trajectory } from 'wasm-optim';
import { createGpuOptimizer, gpuExcluded, gpuOptimizerNames, requestGpuDevice, type GpuDeviceLike, type GpuOptimizerName } from 'wasm-optim/webgpu';

const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8;

/** A WebGPU device and a description of its adapter, or the reason there is none. */
export type GpuState = { device: GpuDeviceLike; label: string } | { reason: string };

let opened: Promise<GpuState> | undefined;

/** Opens the default adapter's device once; never throws (the reason comes back instead). */
export function openGpu(): Promise<GpuState> {
  opened ??= (async (): Promise<GpuState> => {
    try {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
      const adapter = await gpu?.requestAdapter();
      const device = await requestGpuDevice();
      const info = adapter?.info;
      return { device, label: [info?.vendor, info?.architecture].filter(Boolean).join(' ') || 'WebGPU adapter' };
    } catch (e) {
      return { reason: e instanceof Error ? e.message : String(e) };
    }
  })();
  return opened;
}

/** The WebGPU name and options of a WebAssembly optimizer, or why it has no WebGPU version. */
export function gpuTwin(cpu: Optimizer<object>): { name: GpuOptimizerName; options: Record<string, unknown> } | { reason: string } {
  const name = cpu.kind;
  if (!(gpuOptimizerNames as readonly string[]).includes(name)) return { reason: `${name} has no WebGPU version${gpuExcluded[name] ? `: ${gpuExcluded[name]}` : ''}` };
  const { params: _, ...options } = { ...(cpu.paramGroups[0] as unknown as Record<string, unknown>) };
  return { name: name as GpuOptimizerName, options };
}

/**
 * trajectory() of wasm-optim, with the update on the GPU: the same gradient,
 * the same noise (mulberry32(seed), normal), the same divergence rules.
 */
export async function gpuTrajectory(
  device: GpuDeviceLike,
  twin: { name: GpuOptimizerName; options: Record<string, unknown> },
  fn: TestFunction,
  start: readonly [number, number],
  options: { steps: number; noise: number; seed: number; bound?: number },
): Promise<Trajectory> {
  const { steps, noise, seed, bound = 1e3 } = options;
  const d = device;
  const pBuf = d.createBuffer({ size: 16, usage: STORAGE | COPY_SRC | COPY_DST, label: 'race point' });
  const gBuf = d.createBuffer({ size: 16, usage: STORAGE | COPY_DST, label: 'race gradient' });
  d.queue.writeBuffer(pBuf, 0, Float32Array.from(start));
  const opt = createGpuOptimizer(device, twin.name, [{ buffer: pBuf, length: 2 }], twin.options as never);
  try {
    const random = mulberry32(seed);
    const x = new Float64Array(steps + 1);
    const y = new Float64Array(steps + 1);
    const value = new Float64Array(steps + 1);
    const p = Float32Array.from(start);
    const g = new Float32Array(2);
    x[0] = p[0]!;
    y[0] = p[1]!;
    value[0] = fn.value(x[0]!, y[0]!);
    let t = 0;
    let diverged = false;
    while (t < steps) {
      fn.gradient(p[0]!, p[1]!, g);
      if (noise > 0) {
        g[0] = g[0]! + noise * normal(random);
        g[1] = g[1]! + noise * normal(random);
      }
      if (!Number.isFinite(g[0]!) || !Number.isFinite(g[1]!)) {
        diverged = true;
        break;
      }
      d.queue.writeBuffer(gBuf, 0, g);
      opt.step([gBuf]);
      p.set((await opt.readParams())[0]!);
      t++;
      x[t] = p[0]!;
      y[t] = p[1]!;
      value[t] = fn.value(x[t]!, y[t]!);
      if (!(Math.abs(x[t]!) <= bound && Math.abs(y[t]!) <= bound)) {
        diverged = true;
        break;
      }
    }
    return { x: x.subarray(0, t + 1), y: y.subarray(0, t + 1), value: value.subarray(0, t + 1), steps: t, diverged };
  } finally {
    opt.dispose();
    pBuf.destroy?.();
    gBuf.destroy?.();
  }
}
