// The page side of bench/webgpu-layout.mjs (bundled by esbuild): one Adam step
// over a group of K tensors of n floats, laid out three ways, timed on the
// page's WebGPU device. See bench/webgpu-layout.mjs.
import { createGpuOptimizer, requestGpuDevice } from '../dist/webgpu/index.js';

const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8;
const ALIGN = 256; // minStorageBufferOffsetAlignment

/**
 * 'separate': K buffers (one per tensor), one dispatch per tensor (what a model with a buffer per weight gives);
 * 'flat-views': one buffer, the K tensors views into it at 256-byte-aligned offsets, still one dispatch per tensor;
 * 'flat-one': the same buffer given as one tensor of K*n floats, so one dispatch for the group.
 */
async function run({ layout, k, n, warmup, steps, rounds }) {
  const d = await requestGpuDevice();
  const stride = Math.ceil((4 * n) / ALIGN) * ALIGN;
  const made = [];
  const buf = (size, usage) => {
    const b = d.createBuffer({ size, usage });
    made.push(b);
    return b;
  };
  const fill = (b, bytes) => d.queue.writeBuffer(b, 0, new Float32Array(bytes / 4).map((_, i) => Math.sin(i) * 0.01));
  let params, grads;
  if (layout === 'separate') {
    params = Array.from({ length: k }, () => ({ buffer: buf(4 * n, STORAGE | COPY_SRC | COPY_DST), length: n }));
    grads = Array.from({ length: k }, () => buf(4 * n, STORAGE | COPY_DST));
    params.forEach((p) => fill(p.buffer, 4 * n));
    grads.forEach((g) => fill(g, 4 * n));
  } else {
    const pFlat = buf(stride * k, STORAGE | COPY_SRC | COPY_DST);
    const gFlat = buf(stride * k, STORAGE | COPY_DST);
    fill(pFlat, stride * k);
    fill(gFlat, stride * k);
    if (layout === 'flat-views') {
      params = Array.from({ length: k }, (_, i) => ({ buffer: pFlat, offset: i * stride, length: n }));
      grads = Array.from({ length: k }, (_, i) => ({ buffer: gFlat, offset: i * stride }));
    } else {
      params = [{ buffer: pFlat, length: (stride / 4) * k }];
      grads = [gFlat];
    }
  }
  const opt = createGpuOptimizer(d, 'Adam', params, { lr: 1e-3, checkFinite: false });
  for (let i = 0; i < warmup; i++) opt.step(grads);
  await d.queue.onSubmittedWorkDone?.();
  const times = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) opt.step(grads);
    await d.queue.onSubmittedWorkDone?.();
    times.push((performance.now() - t0) / steps);
  }
  opt.dispose();
  for (const b of made) b.destroy();
  times.sort((a, b) => a - b);
  return { layout, k, n, msPerStep: times[Math.floor(times.length / 2)], all: times };
}

async function adapterInfo() {
  const a = /** @type {any} */ (await navigator.gpu?.requestAdapter());
  return a ? { vendor: a.info?.vendor, architecture: a.info?.architecture, description: a.info?.description } : null;
}

/** @type {any} */ (window).layoutBench = { run, adapterInfo };
/** @type {any} */ (window).layoutBenchReady = true;
