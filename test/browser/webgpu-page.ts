// The page side of test/browser/webgpu.test.ts (bundled by esbuild, served on
// loopback): replays fixture cases through createGpuOptimizer on the page's
// WebGPU device (SwiftShader in headless Chromium) and hands the parameters
// after every step back to the test, which compares them with the fixtures.
import { createOptimizer, ready, StepLR, type OptimizerName } from '../../dist/index.js';
import { createGpuOptimizer, requestGpuDevice, type GpuDeviceLike, type GpuOptimizerName } from '../../dist/webgpu/index.js';
import { b64, f32 } from './page-codec.js';

/** A fixture case, as the test passes it (float32 arrays as base64). */
export interface PageCase {
  optimizer: string;
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
  params: string[];
  steps: { lr: number[] | null; set?: Record<string, unknown>[] | null; grads: string[] }[];
  /** handover: run the first `at` steps on one side, save(), load() on the other, run the rest there */
  handover?: { at: number; from: 'gpu' | 'wasm' };
  /** where the tensors live (default 'separate'); see place() */
  layout?: Layout;
}

/**
 * 'separate': a GPUBuffer per parameter and per gradient;
 * 'table': every parameter a view into ONE buffer, with a 256-byte gap after each, and every gradient a
 *   view into ONE other buffer, in reverse order with 512-byte gaps (one table dispatch per group);
 * 'flat': each parameter split into views of 64 floats (the last one shorter), back to back; a
 *   parameter shares the buffers of the one before it in its group when that one's length is a
 *   multiple of 64 (so the views stay back to back), else it starts a buffer of its own (one flat
 *   dispatch per pair of buffers);
 * 'mixed': in each group, the parameters at even positions are views into one shared buffer with gaps
 *   (their gradients too), those at odd positions have buffers of their own.
 */
export type Layout = 'separate' | 'table' | 'flat' | 'mixed';

const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8, MAP_READ = 0x1;

let device: GpuDeviceLike & { [k: string]: any };
/** dispatchWorkgroups calls on `device` so far (its command encoders' compute passes are wrapped to count them) */
let dispatches = 0;

async function gpu(): Promise<GpuDeviceLike & { [k: string]: any }> {
  if (device) return device;
  const d = (await requestGpuDevice()) as GpuDeviceLike & { [k: string]: any };
  const createEncoder = d.createCommandEncoder.bind(d);
  d.createCommandEncoder = (desc?: unknown) => {
    const enc = createEncoder(desc);
    const begin = enc.beginComputePass.bind(enc);
    enc.beginComputePass = (pd?: unknown) => {
      const pass = begin(pd);
      const dispatch = pass.dispatchWorkgroups.bind(pass);
      pass.dispatchWorkgroups = (...a: number[]) => {
        dispatches++;
        return dispatch(...a);
      };
      return pass;
    };
    return enc;
  };
  device = d;
  return device;
}

interface Placed {
  /** per parameter (fixture order): where its values and its gradient live, and its views (start, length in floats) */
  homes: { p: { buffer: any; offset: number }; g: { buffer: any; offset: number }; views: [number, number][] }[];
  buffers: any[];
}

/** Places the parameters and gradients of `c` as `layout` says (see Layout). */
function place(d: any, c: PageCase, init: Float32Array[], layout: Layout): Placed {
  const groups = c.groups ? c.groups.map((g) => g.params) : [init.map((_, i) => i)];
  const align = (x: number) => Math.ceil(x / 256) * 256;
  const pairs: { p: number; g: number; members: number[]; gaps: boolean }[] = [];
  const pairOf = new Map<number, (typeof pairs)[number]>();
  const add = (pair: (typeof pairs)[number], i: number) => {
    pair.members.push(i);
    pairOf.set(i, pair);
  };
  const fresh = (gaps: boolean) => {
    const pair = { p: 0, g: 0, members: [] as number[], gaps };
    pairs.push(pair);
    return pair;
  };
  const shared = layout === 'table' ? fresh(true) : undefined;
  for (const members of groups) {
    const mixedShared = layout === 'mixed' ? fresh(true) : undefined;
    members.forEach((i, k) => {
      if (layout === 'table') add(shared!, i);
      else if (layout === 'mixed' && k % 2 === 0) add(mixedShared!, i);
      else if (layout === 'flat' && k > 0 && init[members[k - 1]!]!.length % 64 === 0) add(pairOf.get(members[k - 1]!)!, i);
      else add(fresh(false), i);
    });
  }
  const homes: Placed['homes'] = new Array(init.length);
  const buffers: any[] = [];
  for (const pair of pairs) {
    if (pair.members.length === 0) continue;
    const pOff = new Map<number, number>();
    const gOff = new Map<number, number>();
    let p = 0;
    for (const i of pair.members) {
      pOff.set(i, p);
      p = pair.gaps ? align(p + 4 * init[i]!.length) + 256 : p + 4 * init[i]!.length;
    }
    let g = 0;
    for (const i of pair.gaps ? [...pair.members].reverse() : pair.members) {
      gOff.set(i, g);
      g = pair.gaps ? align(g + 4 * init[i]!.length) + 512 : g + 4 * init[i]!.length;
    }
    const pb = d.createBuffer({ size: align(Math.max(16, p)), usage: STORAGE | COPY_SRC | COPY_DST });
    const gb = d.createBuffer({ size: align(Math.max(16, g)), usage: STORAGE | COPY_DST });
    buffers.push(pb, gb);
    for (const i of pair.members) {
      const n = init[i]!.length;
      const views: [number, number][] = [];
      if (layout === 'flat') for (let s = 0; s < n; s += 64) views.push([s, Math.min(64, n - s)]);
      else views.push([0, n]);
      homes[i] = { p: { buffer: pb, offset: pOff.get(i)! }, g: { buffer: gb, offset: gOff.get(i)! }, views };
    }
  }
  return { homes, buffers };
}

function buffer(d: any, data: Float32Array, usage: number): any {
  const b = d.createBuffer({ size: Math.max(16, Math.ceil(data.byteLength / 256) * 256), usage });
  d.queue.writeBuffer(b, 0, data);
  return b;
}

async function read(d: any, src: any, size: number): Promise<Float32Array> {
  const staging = d.createBuffer({ size, usage: MAP_READ | COPY_DST });
  const enc = d.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, size);
  d.queue.submit([enc.finish()]);
  await staging.mapAsync(1);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.unmap();
  staging.destroy();
  return out;
}

/**
 * Runs a case; returns, per step, the parameters in fixture order (base64).
 * The history of every step is copied on the GPU and read back once at the end.
 */
async function runCase(c: PageCase): Promise<{ steps: string[][]; info: Record<string, unknown> }> {
  const d = await gpu();
  const init = c.params.map(f32);
  const order = c.groups ? c.groups.flatMap((g) => g.params) : init.map((_, i) => i);
  const placed = place(d, c, init, c.layout ?? 'separate');
  const homes = placed.homes;
  homes.forEach((h, i) => d.queue.writeBuffer(h.p.buffer, h.p.offset, init[i]!));
  const viewsOf = (i: number) => homes[i]!.views.map(([s, n]) => ({ buffer: homes[i]!.p.buffer, offset: homes[i]!.p.offset + 4 * s, length: n }));
  const gradsOf = (i: number) => homes[i]!.views.map(([s]) => (homes[i]!.g.offset + 4 * s === 0 ? homes[i]!.g.buffer : { buffer: homes[i]!.g.buffer, offset: homes[i]!.g.offset + 4 * s }));
  const groups = c.groups ? c.groups.map((g) => ({ params: g.params.flatMap(viewsOf), ...g.options })) : init.flatMap((_, i) => viewsOf(i));
  const stepDispatches: number[] = [];
  const hand = c.handover;
  const total = init.reduce((a, p) => a + p.length, 0);
  const history = d.createBuffer({ size: Math.max(16, 4 * total * c.steps.length), usage: COPY_DST | COPY_SRC });
  let opt = createGpuOptimizer(d, c.optimizer as GpuOptimizerName, groups as never, c.options as never);
  let wasm: ReturnType<typeof createOptimizer> | undefined;
  let wasmParams: Float32Array[] = [];
  const out: string[][] = [];
  for (let t = 0; t < c.steps.length; t++) {
    const s = c.steps[t]!;
    if (hand && t === hand.at) {
      if (hand.from === 'gpu') {
        // the GPU's checkpoint, loaded into the WebAssembly twin, which carries on
        const bytes = await opt.save();
        wasmParams = init.map((p) => new Float32Array(p.length));
        wasm = createOptimizer(c.optimizer as OptimizerName, (c.groups ? c.groups.map((g) => ({ params: g.params.map((i) => wasmParams[i]!), ...g.options })) : wasmParams) as never, c.options as never);
        wasm.load(bytes);
        opt.dispose();
      } else {
        // the WebAssembly twin's checkpoint (of the first `at` steps), loaded into a fresh GPU optimizer
        const bytes = wasm!.save();
        opt.dispose();
        opt = createGpuOptimizer(d, c.optimizer as GpuOptimizerName, groups as never, c.options as never);
        await opt.load(bytes);
        wasm!.dispose();
        wasm = undefined;
      }
    }
    if (hand?.from === 'wasm' && t === 0) {
      wasmParams = init.map((p) => p.slice());
      wasm = createOptimizer(c.optimizer as OptimizerName, (c.groups ? c.groups.map((g) => ({ params: g.params.map((i) => wasmParams[i]!), ...g.options })) : wasmParams) as never, c.options as never);
    }
    const grads = s.grads.map(f32);
    const onWasm = wasm !== undefined && (hand!.from === 'gpu' ? t >= hand!.at : t < hand!.at);
    if (onWasm) {
      if (s.lr) s.lr.forEach((lr, gi) => ((wasm!.paramGroups[gi] as { lr: number }).lr = lr));
      if (s.set) s.set.forEach((o, gi) => Object.assign(wasm!.paramGroups[gi]!, o));
      wasm!.step(order.map((i) => grads[i]!));
      out.push(init.map((_, i) => b64(wasmParams[i]!)));
      continue;
    }
    if (s.lr) s.lr.forEach((lr, gi) => ((opt.paramGroups[gi] as unknown as { lr: number }).lr = lr));
    // other hyperparameter changes (family.json's "set"), through the same validated group views
    if (s.set) s.set.forEach((o, gi) => Object.assign(opt.paramGroups[gi]!, o));
    grads.forEach((g, i) => d.queue.writeBuffer(homes[i]!.g.buffer, homes[i]!.g.offset, g));
    const before = dispatches;
    opt.step(order.flatMap(gradsOf));
    stepDispatches.push(dispatches - before);
    const enc = d.createCommandEncoder();
    let at = 4 * total * t;
    for (let i = 0; i < init.length; i++) {
      enc.copyBufferToBuffer(homes[i]!.p.buffer, homes[i]!.p.offset, history, at, init[i]!.byteLength);
      at += init[i]!.byteLength;
    }
    d.queue.submit([enc.finish()]);
    out.push([]);
  }
  const all = await read(d, history, Math.max(16, 4 * total * c.steps.length));
  for (let t = 0; t < c.steps.length; t++) {
    if (out[t]!.length) continue;
    let at = total * t;
    out[t] = init.map((p) => {
      const v = all.subarray(at, at + p.length);
      at += p.length;
      return b64(v.slice());
    });
  }
  const info = { stepCount: opt.disposed ? null : opt.stepCount, dispatches: stepDispatches };
  if (!opt.disposed) opt.dispose();
  wasm?.dispose();
  for (const b of [...placed.buffers, history]) b.destroy();
  return { steps: out, info };
}

/**
 * Runs a case one step at a time, reading the parameters and the state
 * buffers back before and after every step (for references that need the
 * optimizer's own float32 state, such as Lion's sign near 0).
 */
async function runTraced(c: PageCase): Promise<{ before: string[]; stateBefore: Record<string, string>[]; after: string[]; stateAfter: Record<string, string>[] }[]> {
  const d = await gpu();
  const init = c.params.map(f32);
  const pBufs = init.map((p) => buffer(d, p, STORAGE | COPY_SRC | COPY_DST));
  const gBufs = init.map((p) => d.createBuffer({ size: Math.max(16, p.byteLength), usage: STORAGE | COPY_DST }));
  const opt = createGpuOptimizer(d, c.optimizer as GpuOptimizerName, pBufs.map((b, i) => ({ buffer: b, length: init[i]!.length })) as never, c.options as never);
  const states = async () =>
    (await opt.stateDict()).state.map((st) =>
      Object.fromEntries(Object.entries(st ?? {}).filter(([, v]) => typeof v !== 'number').map(([k, v]) => [k, b64(v as Float32Array)])),
    );
  const out = [];
  for (const s of c.steps) {
    if (s.lr) s.lr.forEach((lr, gi) => ((opt.paramGroups[gi] as unknown as { lr: number }).lr = lr));
    const before = (await opt.readParams()).map(b64);
    const stateBefore = await states();
    s.grads.map(f32).forEach((g, i) => d.queue.writeBuffer(gBufs[i]!, 0, g));
    opt.step(gBufs);
    out.push({ before, stateBefore, after: (await opt.readParams()).map(b64), stateAfter: await states() });
  }
  opt.dispose();
  for (const b of [...pBufs, ...gBufs]) b.destroy();
  return out;
}

/** The non-finite, validation, scheduler and state-dict behaviours the test checks. */
async function behaviours(): Promise<Record<string, unknown>> {
  const d = await gpu();
  const r: Record<string, unknown> = {};
  const w = buffer(d, new Float32Array([1, 2, 3, 4]), STORAGE | COPY_SRC | COPY_DST);
  const g = buffer(d, new Float32Array([0.5, NaN, 0.5, 0.5]), STORAGE | COPY_DST);
  const catchMsg = (f: () => unknown) => {
    try {
      f();
      return 'no error';
    } catch (e) {
      return `${(e as Error).name}: ${(e as Error).message}`;
    }
  };
  // a NaN gradient: skipped on the GPU by default (checkFinite) and with skipNonFinite; through with checkFinite: false
  for (const options of [{}, { skipNonFinite: true }, { checkFinite: false }, { maxGradNorm: 1 }]) {
    const opt = createGpuOptimizer(d, 'SGD', [{ buffer: w, length: 4 }], { lr: 0.1, ...options });
    d.queue.writeBuffer(w, 0, new Float32Array([1, 2, 3, 4]));
    opt.step([g]);
    r[`nan ${JSON.stringify(options)}`] = { params: Array.from((await opt.readParams())[0]!), skipped: await opt.lastStepSkipped(), skippedSteps: await opt.skippedSteps() };
    opt.dispose();
  }
  // clipping: the norm of [3, 4] is 5; c = 1/(5 + 1e-6)
  const g2 = buffer(d, new Float32Array([3, 4, 0, 0]), STORAGE | COPY_DST);
  {
    d.queue.writeBuffer(w, 0, new Float32Array([1, 2, 3, 4]));
    const opt = createGpuOptimizer(d, 'SGD', [{ buffer: w, length: 4 }], { lr: 1, maxGradNorm: 1 });
    opt.step([g2]);
    r.clip = { params: Array.from((await opt.readParams())[0]!), norm: await opt.lastGradNorm() };
    opt.dispose();
  }
  // validation: the same messages as the WebAssembly twin; nothing changed
  {
    const opt = createGpuOptimizer(d, 'AdamW', [{ buffer: w, length: 4 }], { lr: 0.1 });
    r.badLr = catchMsg(() => ((opt.paramGroups[0] as unknown as { lr: number }).lr = -1));
    r.lrAfter = opt.paramGroups[0]!.lr;
    r.badGrads = catchMsg(() => opt.step([]));
    r.badGrad = catchMsg(() => opt.step([new Float32Array(4) as never]));
    r.badOption = catchMsg(() => createGpuOptimizer(d, 'AdamW', [{ buffer: w, length: 4 }], { lr: -1 }));
    r.badName = catchMsg(() => createGpuOptimizer(d, 'adamw' as never, [{ buffer: w, length: 4 }]));
    r.lbfgs = catchMsg(() => createGpuOptimizer(d, 'LBFGS' as never, [{ buffer: w, length: 4 }]));
    r.tooLong = catchMsg(() => createGpuOptimizer(d, 'SGD', [{ buffer: w, length: 100 }]));
    r.noDevice = catchMsg(() => createGpuOptimizer(undefined as never, 'SGD', [{ buffer: w, length: 4 }]));
    r.wasmBadLr = catchMsg(() => createOptimizer('AdamW', [new Float32Array(4)], { lr: -1 }));
    // a scheduler drives the GPU optimizer's groups
    const sched = new StepLR(opt as never, { stepSize: 1, gamma: 0.5 });
    sched.step();
    sched.step();
    r.schedLr = opt.paramGroups[0]!.lr;
    r.stateBefore = await opt.stateDict();
    opt.dispose();
    r.afterDispose = catchMsg(() => opt.step([g]));
  }
  for (const b of [w, g, g2]) b.destroy();
  return r;
}

async function main(): Promise<void> {
  await ready();
  const d = await gpu();
  const adapterInfo = (d as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  (window as unknown as Record<string, unknown>).webgpu = { runCase, runTraced, behaviours, adapter: { vendor: adapterInfo?.vendor, architecture: adapterInfo?.architecture } };
}

main().catch((e) => {
  (window as unknown as Record<string, unknown>).webgpuError = String(e && (e as Error).stack ? (e as Error).stack : e);
});
