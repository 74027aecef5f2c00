// The page side of bench/webgpu-layout.mjs (bundled by esbuild): one Adam step
// over a group of K tensors of n floats, laid out three ways, timed on the
// page's WebGPU device. See bench/webgpu-layout.mjs.
import { createGpuOptimizer, requestGpuDevice } from '../dist/webgpu/index.js';

const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8;
const ALIGN = 256; // minStorageBufferOffsetAlignment

/**
 * 'separate': K parameter buffers and K gradient buffers: one dispatch per tensor;
 * 'views': the K parameters views into one buffer (back to back), each gradient a buffer of its own: still
 *   one dispatch per tensor (one dispatch needs the parameters in one buffer AND the gradients in one);
 * 'table': parameters and gradients views into one buffer each, with a 256-byte gap after each tensor: ONE
 *   dispatch that finds each workgroup's tensor in a table of offsets (src/webgpu/plan.ts);
 * 'flat': the same views back to back (n a multiple of 64): ONE dispatch over one flat range, no table;
 * 'flat-one': that buffer given to the optimizer as one tensor of K*n floats (the caller's own flattening).
 */
async function run({ layout, k, n, warmup, steps, rounds }) {
  const d = await requestGpuDevice();
  const stride = Math.ceil((4 * n) / ALIGN) * ALIGN + (layout === 'table' ? ALIGN : 0);
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
    fill(pFlat, stride * k);
    if (layout === 'flat-one') {
      const gFlat = buf(stride * k, STORAGE | COPY_DST);
      fill(gFlat, stride * k);
      params = [{ buffer: pFlat, length: (stride / 4) * k }];
      grads = [gFlat];
    } else {
      params = Array.from({ length: k }, (_, i) => ({ buffer: pFlat, offset: i * stride, length: n }));
      if (layout === 'views') {
        grads = Array.from({ length: k }, () => buf(4 * n, STORAGE | COPY_DST));
        grads.forEach((g) => fill(g, 4 * n));
      } else {
        const gFlat = buf(stride * k, STORAGE | COPY_DST);
        fill(gFlat, stride * k);
        grads = Array.from({ length: k }, (_, i) => ({ buffer: gFlat, offset: i * stride }));
      }
    }
  }
  // dispatches per step, counted on this step's compute pass
  let dispatches = 0;
  const createEncoder = d.createCommandEncoder.bind(d);
  d.createCommandEncoder = (desc) => {
    const enc = createEncoder(desc);
    const begin = enc.beginComputePass.bind(enc);
    enc.beginComputePass = (pd) => {
      const pass = begin(pd);
      const dispatch = pass.dispatchWorkgroups.bind(pass);
      pass.dispatchWorkgroups = (...a) => (dispatches++, dispatch(...a));
      return pass;
    };
    return enc;
  };
  const opt = createGpuOptimizer(d, 'Adam', params, { lr: 1e-3, checkFinite: false });
  opt.step(grads);
  const perStep = dispatches;
  d.createCommandEncoder = createEncoder;
  for (let i = 1; i < warmup; i++) opt.step(grads);
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
  return { layout, k, n, dispatches: perStep, msPerStep: times[Math.floor(times.length / 2)], all: times };
}

async function adapterInfo() {
  const a = /** @type {any} */ (await navigator.gpu?.requestAdapter());
  return a ? { vendor: a.info?.vendor, architecture: a.info?.architecture, description: a.info?.description } : null;
}

/** @type {any} */ (window).layoutBench = { run, adapterInfo };
/** @type {any} */ (window).layoutBenchReady = true;
