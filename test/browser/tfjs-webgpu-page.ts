// The page side of test/browser/tfjs-webgpu.test.ts (bundled by esbuild,
// served on loopback): TF.js 4.22 on its webgpu backend (SwiftShader in
// headless Chromium), fixture cases replayed through toTfjs, and every way
// the CPU could read GPU data during applyGradients counted: the backend's
// readSync and read, and GPUBuffer.mapAsync.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { ready, registry, type OptimizerClass } from '../../dist/index.js';
import { toTfjs } from '../../dist/tfjs/index.js';
import { b64, f32 } from './page-codec.js';

/** A fixture case, as the test passes it (float32 arrays as base64). */
export interface TfjsPageCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  params: string[];
  steps: { lr: number[] | null; grads: string[] }[];
}

export interface TfjsPageResult {
  steps: string[][];
  /** calls during applyGradients: backend.readSync, backend.read, GPUBuffer.mapAsync */
  readSync: number;
  read: number;
  mapAsync: number;
  /** whether every variable's state lives in a GpuOptimizer */
  onGpu: boolean;
  backend: string;
}

const counts = { readSync: 0, read: 0, mapAsync: 0, counting: false };

async function setup(): Promise<void> {
  await ready();
  await tf.setBackend('webgpu');
  await tf.ready();
  const b = tf.backend() as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const k of ['readSync', 'read'] as const) {
    const orig = b[k]!.bind(b);
    b[k] = (...a: unknown[]) => {
      if (counts.counting) counts[k]++;
      return orig(...a);
    };
  }
  const proto = (globalThis as unknown as { GPUBuffer: { prototype: Record<string, (...a: unknown[]) => unknown> } }).GPUBuffer.prototype;
  const map = proto.mapAsync!;
  proto.mapAsync = function (this: unknown, ...a: unknown[]) {
    if (counts.counting) counts.mapAsync++;
    return map.apply(this, a);
  };
}

let n = 0;

async function runCase(c: TfjsPageCase): Promise<TfjsPageResult> {
  const entry = registry.find((e) => e.name === c.optimizer);
  if (!entry) throw new Error(`no optimizer ${c.optimizer}`);
  const prefix = `case${n++}`;
  const vars = c.params.map((p, i) => tf.variable(tf.tensor1d(f32(p)), true, `${prefix}/w${i}`));
  const opt = toTfjs(entry.class as OptimizerClass, c.options as never);
  const out: string[][] = [];
  counts.readSync = counts.read = counts.mapAsync = 0;
  for (const s of c.steps) {
    if (s.lr) opt.paramGroups[0]!.lr = s.lr[0]!;
    const grads = s.grads.map((g) => tf.tensor1d(f32(g)));
    // the gradients are uploaded by a GPU op first, as a backward pass leaves them: on the GPU
    const onGpu = grads.map((g) => tf.mul(g, 1));
    grads.forEach((g) => g.dispose());
    counts.counting = true;
    opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, onGpu[i]!])));
    counts.counting = false;
    onGpu.forEach((g) => g.dispose());
    out.push(await Promise.all(vars.map(async (v) => b64((await v.data()) as Float32Array))));
  }
  const onGpu = vars.every((v) => opt.gpuOptimizerOf(v.name) !== undefined && opt.optimizerOf(v.name) === undefined);
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return { steps: out, readSync: counts.readSync, read: counts.read, mapAsync: counts.mapAsync, onGpu, backend: tf.getBackend() };
}

/**
 * One applyGradients over three variables (SGD, lr 0.1) where only the second gradient holds a NaN,
 * then one with finite gradients: the values after each call, and whether the GPU skipped.
 */
async function nanCall(options: Record<string, unknown>): Promise<{ after: number[][]; skipped: boolean; skippedSteps: number; next: number[][]; mapAsync: number }> {
  const entry = registry.find((e) => e.name === 'SGD')!;
  const prefix = `nan${n++}`;
  const vars = [[1, 2], [3, 4, 5], [6]].map((v, i) => tf.variable(tf.tensor1d(v), true, `${prefix}/w${i}`));
  const opt = toTfjs(entry.class as OptimizerClass, { lr: 0.1, ...options } as never);
  const apply = (gs: number[][]) => {
    const grads = gs.map((g) => tf.mul(tf.tensor1d(g), 1));
    counts.mapAsync = 0;
    counts.counting = true;
    opt.applyGradients(Object.fromEntries(vars.map((v, i) => [v.name, grads[i]!])));
    counts.counting = false;
    grads.forEach((g) => g.dispose());
  };
  apply([[1, 1], [1, NaN, 1], [1]]);
  const mapAsync = counts.mapAsync;
  const after = await Promise.all(vars.map(async (v) => Array.from((await v.data()) as Float32Array)));
  const gpu = opt.gpuOptimizerOf(vars[0]!.name)!;
  const skipped = await gpu.lastStepSkipped();
  const skippedSteps = await gpu.skippedSteps();
  apply([[1, 1], [1, 1, 1], [1]]);
  const next = await Promise.all(vars.map(async (v) => Array.from((await v.data()) as Float32Array)));
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return { after, skipped, skippedSteps, next, mapAsync };
}

setup().then(
  () => ((window as unknown as Record<string, unknown>).tfjsWebgpu = { runCase, nanCall }),
  (e: unknown) => ((window as unknown as Record<string, unknown>).tfjsWebgpuError = String((e as Error)?.stack ?? e)),
);
