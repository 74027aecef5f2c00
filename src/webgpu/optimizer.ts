// The WebGPU optimizer: the parameters stay in the caller's GPUBuffers, the
// state in one GPUBuffer of the optimizer, and a step is one command buffer
// (the gradient check, then one dispatch per tensor) that never reads back.
//
// Everything that is not arithmetic on elements is the WebAssembly
// optimizer's own code: the options are parsed and validated by
// src/options.ts, param groups are src/group-view.ts's views, the step
// constants come from the method's `run` (src/method.ts) in double precision,
// recorded instead of executed, and state dicts and checkpoints are built and
// checked by src/state-dict.ts and src/checkpoint.ts over a CPU copy of the
// state buffer laid out exactly as the WebAssembly optimizer lays out its own
// (each group's buffers back to back, each tensor padded to 4 floats).
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint.js';
import { makeGroupView, type ParamGroup } from '../group-view.js';
import { copyUint8, Foreign, readInput, readPlain, typedArrayTag } from '../input.js';
import { FLOAT, initialScalars, pad4, type Group, type Layout } from '../layout.js';
import type { GroupAddresses, MethodSpec, Scalars, TensorSlot } from '../method.js';
import { checkGroup, checkOption, parseOptions, type ResolvedStepOptions, type StepOptions } from '../options.js';
import { planSchedule, saveSchedule, isScheduler } from '../schedulers/resume.js';
import type { Scheduler } from '../schedulers/scheduler.js';
import { buildStateDict, planLoad, type StateDict } from '../state-dict.js';
import { describe } from '../validate.js';
import type { Kernels } from '../wasm.js';
import { isBufferLike, readBack, Usage, type GpuBufferLike, type GpuDeviceLike } from './gpu.js';
import { GPU_KERNELS, kernelSource, LAMB_APPLY, LAMB_APPLY_SOURCE, LAMB_MOMENTS, LAMB_MOMENTS_SOURCE, MAX_CONSTANTS, WORKGROUP } from './kernels.js';
import { FINAL_SOURCE, normKind, PARTIAL_SOURCE, PARTIALS } from './reduce.js';

/** A parameter or gradient on the GPU: `length` float32 values at byte `offset` (default 0) of `buffer`. */
export interface GpuTensor {
  buffer: GpuBufferLike;
  length: number;
  /** byte offset into `buffer`, a multiple of the device's minStorageBufferOffsetAlignment (256); default 0 */
  offset?: number;
}

/** A param group of GPU tensors and any options that differ. */
export type GpuParamGroupInput<O> = { params: GpuTensor[] } & Partial<O>;

/** A param group as exposed on `opt.paramGroups`: the group's tensors and its validated hyperparameters. */
export type GpuParamGroup<O> = Omit<ParamGroup<O>, 'params'> & { readonly params: readonly Readonly<GpuTensor>[] };

const SLOT = 256; // uniform offsets: WebGPU's minUniformBufferOffsetAlignment is at most 256
const MAX_X = 65535; // workgroups per dimension

interface Tensor {
  buffer: GpuBufferLike;
  offset: number;
  length: number;
}

interface Pipelines {
  update: Map<string, unknown>;
  updateLayout: unknown;
  updateBindLayout: unknown;
  partial: unknown;
  partialBindLayout: unknown;
  final: unknown;
  finalBindLayout: unknown;
}

const pipelineCache = new WeakMap<object, Pipelines>();

function pipelinesOf(device: GpuDeviceLike): Pipelines {
  let p = pipelineCache.get(device);
  if (p) return p;
  const S = 0x4; // GPUShaderStage.COMPUTE
  const entry = (binding: number, type: 'uniform' | 'storage' | 'read-only-storage') => ({ binding, visibility: S, buffer: { type, hasDynamicOffset: false } });
  const updateBindLayout = device.createBindGroupLayout({
    entries: [entry(0, 'uniform'), entry(1, 'storage'), entry(2, 'read-only-storage'), entry(3, 'storage'), entry(4, 'read-only-storage'), entry(5, 'storage')],
  });
  const partialBindLayout = device.createBindGroupLayout({ entries: [entry(0, 'uniform'), entry(1, 'read-only-storage'), entry(2, 'storage')] });
  const finalBindLayout = device.createBindGroupLayout({ entries: [entry(0, 'uniform'), entry(1, 'read-only-storage'), entry(2, 'storage')] });
  const compute = (code: string, bindLayout: unknown, label: string) =>
    device.createComputePipeline({
      label,
      layout: device.createPipelineLayout({ bindGroupLayouts: [bindLayout] }),
      compute: { module: device.createShaderModule({ code, label }), entryPoint: 'main' },
    });
  p = {
    update: new Map(),
    updateLayout: device.createPipelineLayout({ bindGroupLayouts: [updateBindLayout] }),
    updateBindLayout,
    partial: compute(PARTIAL_SOURCE, partialBindLayout, 'wasm-optim gradient partials'),
    partialBindLayout,
    final: compute(FINAL_SOURCE, finalBindLayout, 'wasm-optim gradient check'),
    finalBindLayout,
  };
  pipelineCache.set(device, p);
  return p;
}

function updatePipeline(device: GpuDeviceLike, kernel: string, names: readonly string[]): unknown {
  const p = pipelinesOf(device);
  let pipe = p.update.get(kernel);
  if (!pipe) {
    const code = kernel === 'lambMoments' ? LAMB_MOMENTS_SOURCE : kernel === 'lambApply' ? LAMB_APPLY_SOURCE : kernelSource(kernel, names);
    pipe = device.createComputePipeline({
      label: `wasm-optim ${kernel}`,
      layout: p.updateLayout,
      compute: { module: device.createShaderModule({ code, label: kernel }), entryPoint: 'main' },
    });
    p.update.set(kernel, pipe);
  }
  return pipe;
}

/** One recorded kernel call of a method's `run`. */
interface Call {
  name: string;
  args: number[];
}

/** Kernels that record their calls instead of computing: `run` computes the step's constants in double, the GPU the rest. */
function recorder(calls: Call[]): Kernels {
  return new Proxy({} as Kernels, {
    get: (_t, name) => (...args: number[]) => {
      calls.push({ name: String(name), args });
      return 0;
    },
  });
}

// p and g are the caller's buffers, not addresses: these stand in for them in `run`'s calls
const P_ADDR = -1;
const G_ADDR = -2;

/**
 * The optimizer of `createGpuOptimizer`. See README "WebGPU".
 */
export class GpuOptimizer<O extends object = Record<string, unknown>, S extends Scalars = Scalars> {
  readonly #spec: MethodSpec<O, S>;
  #device: GpuDeviceLike | undefined;
  readonly #base: O;
  readonly #step: ResolvedStepOptions;
  readonly #groups: Group<O, S>[];
  readonly #tensors: readonly Tensor[];
  readonly #groupTensors: readonly (readonly Tensor[])[];
  readonly #lengths: readonly number[];
  readonly #stateBytes: number;
  readonly #paramGroups: readonly GpuParamGroup<O>[];
  // GPU resources
  readonly #state: GpuBufferLike;
  readonly #uniform: GpuBufferLike;
  readonly #uniformData: ArrayBuffer;
  readonly #ctl: GpuBufferLike;
  readonly #partials: GpuBufferLike | undefined;
  /** Lamb's per-tensor partial sums of p^2 and u^2 (16 bytes for the others: binding 5 of every update) */
  readonly #lambPartials: GpuBufferLike;
  readonly #applyBinds: { key: unknown; offset: number; group: unknown }[];
  #bindCache: { key: unknown; offset: number; group: unknown }[];
  readonly #partialBinds: { key: unknown; offset: number; group: unknown }[];
  #finalBind: unknown;

  /** Use createGpuOptimizer. */
  constructor(device: GpuDeviceLike, spec: MethodSpec<O, S>, params: unknown, options: unknown) {
    const owner = `createGpuOptimizer(${spec.name})`;
    this.#spec = spec;
    const opts = readInput(owner, () => readPlain(owner, 'options', options ?? {}));
    const { base, step } = parseOptions(spec, opts);
    this.#base = base;
    this.#step = step;
    const align = device.limits?.minStorageBufferOffsetAlignment ?? 256;
    const groupsIn = parseGpuGroups(owner, spec, params, base, align);
    // the layout of the state buffer: as src/layout.ts lays out a group's state in WebAssembly memory
    const groups: Group<O, S>[] = [];
    const all: Tensor[] = [];
    let sOff = 0;
    let gIndex = 0;
    for (const [gi, gin] of groupsIn.entries()) {
      const allocated = spec.buffers(gin.options);
      const n = gin.tensors.reduce((a, t) => a + pad4(t.length), 0);
      const state: Record<string, number> = {};
      for (const b of allocated) {
        state[b] = sOff;
        sOff += FLOAT * n;
      }
      // elementwise methods only: every state buffer as long as the parameters, no scratch
      const addr: GroupAddresses = { p: P_ADDR, g: G_ADDR, state, n, sizes: Object.fromEntries(allocated.map((b) => [b, n])), scratch: 0, constants: 0 };
      const tensors: TensorSlot[] = [];
      const indices: number[] = [];
      let off = 0;
      for (const t of gin.tensors) {
        const slot = Object.freeze({ offset: FLOAT * off, length: t.length });
        tensors.push(Object.freeze({ ...slot, shape: Object.freeze([t.length]), state: Object.freeze(Object.fromEntries(allocated.map((b) => [b, slot]))) }));
        indices.push(gIndex++);
        all.push(t);
        off += pad4(t.length);
      }
      const started = new Set<string>(spec.eager ? allocated : []);
      const frozen = Object.freeze(tensors);
      groups.push({
        options: gin.options,
        indices,
        addr,
        tensors: frozen,
        scratchFloats: 0,
        scratchThreads: 1,
        allocated,
        step: 0,
        started,
        scalars: undefined,
        ctx: { t: 0, started, gradScale: 1, group: gi, tensors: frozen, scalars: {} as S },
        pads: new Int32Array(0),
      });
    }
    this.#groups = groups;
    this.#tensors = Object.freeze(all);
    this.#groupTensors = groupsIn.map((g) => g.tensors);
    this.#lengths = Object.freeze(all.map((t) => t.length));
    this.#stateBytes = sOff;

    // Everything is checked: allocate.
    this.#device = device;
    pipelinesOf(device);
    this.#state = device.createBuffer({ size: Math.max(16, sOff), usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: `wasm-optim ${spec.name} state` });
    const init = new Float32Array(sOff / FLOAT);
    let nonZero = false;
    for (const g of groups) {
      for (const b of g.allocated) {
        const v = spec.initial?.(b, g.options, base) ?? 0;
        if (v !== 0) {
          nonZero = true;
          init.fill(v, g.addr.state[b]! / FLOAT, g.addr.state[b]! / FLOAT + g.addr.n);
        }
      }
    }
    if (nonZero) device.queue.writeBuffer(this.#state, 0, init);
    // uniform slots: one per tensor for its update, one per tensor for its partials, one for the check,
    // one per tensor for Lamb's second dispatch
    const slots = 3 * all.length + 1;
    this.#uniformData = new ArrayBuffer(slots * SLOT);
    this.#uniform = device.createBuffer({ size: slots * SLOT, usage: Usage.UNIFORM | Usage.COPY_DST, label: 'wasm-optim uniforms' });
    this.#ctl = device.createBuffer({ size: 16, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: 'wasm-optim control' });
    device.queue.writeBuffer(this.#ctl, 0, new Uint32Array([0, 0x3f800000, 0, 0]));
    const checks = step.maxGradNorm !== undefined || step.checkFinite || step.skipNonFinite;
    this.#partials = checks
      ? device.createBuffer({ size: 8 * PARTIALS * all.length, usage: Usage.STORAGE, label: 'wasm-optim gradient partials' })
      : undefined;
    this.#lambPartials = device.createBuffer({
      size: spec.name === 'Lamb' ? 8 * PARTIALS * all.length : 16,
      usage: Usage.STORAGE,
      label: 'wasm-optim trust-ratio partials',
    });
    this.#applyBinds = all.map(() => ({ key: undefined, offset: -1, group: undefined }));
    this.#bindCache = all.map(() => ({ key: undefined, offset: -1, group: undefined }));
    this.#partialBinds = all.map(() => ({ key: undefined, offset: -1, group: undefined }));
    let gi = 0;
    this.#paramGroups = Object.freeze(
      groups.map((g) => {
        const views = Object.freeze(this.#groupTensors[gi]!.map((t) => Object.freeze({ buffer: t.buffer, length: t.length, offset: t.offset })));
        return makeGroupView(spec, gi++, g, views as unknown as Float32Array[], (what) => this.#live(what)) as unknown as GpuParamGroup<O>;
      }),
    );
  }

  #live(what: string): GpuDeviceLike {
    const d = this.#device;
    if (!d) throw new Error(`${this.#spec.name} (WebGPU): ${what} was used after dispose(); create a new optimizer`);
    return d;
  }

  /** Name of the optimizer, e.g. "AdamW". */
  get kind(): string {
    return this.#spec.name;
  }

  /** The param groups; assigning a hyperparameter validates it first (schedulers assign `lr`). */
  get paramGroups(): readonly GpuParamGroup<O>[] {
    this.#live('paramGroups');
    return this.#paramGroups;
  }

  /** Steps encoded so far (by the first group; a step skipped on the GPU for a non-finite gradient counts, see README "WebGPU"). */
  get stepCount(): number {
    this.#live('stepCount');
    return this.#groups[0]?.step ?? 0;
  }

  /** Every parameter's length, in order across groups. */
  get lengths(): readonly number[] {
    return this.#lengths;
  }

  /**
   * One step: `grads` holds one gradient per parameter, in order across groups,
   * each a GPUBuffer (its first `length` floats) or `{ buffer, offset }`. Encodes
   * the gradient check (with checkFinite, skipNonFinite or maxGradNorm) and one
   * dispatch per tensor into one command buffer and submits it; nothing is read
   * back. A bad argument throws and nothing is submitted.
   */
  step(grads: readonly (GpuBufferLike | { buffer: GpuBufferLike; offset?: number })[]): void {
    const owner = `${this.#spec.name}.step`;
    const device = this.#live('step()');
    const g = this.#checkGrads(owner, grads);
    for (const group of this.#groups) {
      if (group.step >= Number.MAX_SAFE_INTEGER) throw new RangeError(`${owner}: the step count is ${group.step}, the largest a state dict can hold; nothing was changed`);
    }
    const spec = this.#spec;
    const pipes = pipelinesOf(device);
    const data = this.#uniformData;
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    const T = this.#tensors.length;
    // 1. Record each group's kernel call and its constants (in double, by the method's own `run`).
    const plans: { pipeline: unknown; kernelName: string }[] = [];
    const next: { t: number; scalars: S }[] = [];
    let ti = 0;
    for (const group of this.#groups) {
      const t = group.step + 1;
      const scalars = t === 1 || group.scalars === undefined ? initialScalars(spec, group.options) : { ...group.scalars };
      const ctx = group.ctx;
      ctx.t = t;
      ctx.started = group.started;
      ctx.gradScale = 1; // the clip coefficient is applied on the GPU (ctl[1])
      ctx.scalars = scalars;
      const calls: Call[] = [];
      spec.run(recorder(calls), group.addr, group.options, ctx);
      if (calls[0]?.name === 'lambMoments') {
        ti = this.#planLamb(device, calls, group, ti, u32, f32);
        plans.push({ pipeline: undefined, kernelName: 'lamb' });
        next.push({ t, scalars });
        continue;
      }
      const call = calls[0];
      const kernel = call && GPU_KERNELS[call.name];
      if (!call || calls.length !== 1 || !kernel) {
        throw new Error(`${owner}: ${spec.name}'s step calls ${calls.map((c) => c.name).join(', ') || 'no kernel'}, which has no WebGPU version`);
      }
      const nState = kernel.state;
      const stateArgs = call.args.slice(2, 2 + nState);
      const rest = call.args.slice(3 + nState);
      const gscale = rest[rest.length - 1]!;
      const consts = kernel.prepare(rest.slice(0, -1));
      const names = Object.keys(consts);
      if (names.length + 1 > MAX_CONSTANTS) throw new Error(`${owner}: kernel ${call.name} has too many constants`);
      plans.push({ pipeline: updatePipeline(device, call.name, names), kernelName: call.name });
      for (const slot of group.tensors) {
        const base = (ti * SLOT) / 4;
        u32[base] = slot.length;
        for (let j = 0; j < 3; j++) u32[base + 1 + j] = j < nState ? (stateArgs[j]! + slot.offset) / FLOAT : 0;
        names.forEach((name, j) => (f32[base + 4 + j] = consts[name]!));
        f32[base + 4 + names.length] = gscale;
        ti++;
      }
      next.push({ t, scalars });
    }
    // 2. Encode: the check, then the updates; one submission.
    const checks = this.#partials !== undefined;
    const enc = device.createCommandEncoder({ label: `${spec.name} step` });
    const pass = enc.beginComputePass();
    if (checks) {
      const kind = normKind(this.#step.gradNormType);
      this.#tensors.forEach((tensor, i) => {
        const base = ((T + i) * SLOT) / 4;
        u32[base] = tensor.length;
        u32[base + 1] = i * PARTIALS;
        u32[base + 2] = kind;
        pass.setPipeline(pipes.partial);
        pass.setBindGroup(0, this.#partialBind(device, i, g[i]!));
        pass.dispatchWorkgroups(Math.min(PARTIALS, Math.ceil(tensor.length / WORKGROUP)));
      });
      const base = (2 * T * SLOT) / 4;
      const maxNorm = this.#step.maxGradNorm;
      u32[base] = T * PARTIALS;
      u32[base + 1] = kind;
      u32[base + 2] = maxNorm !== undefined && maxNorm !== Infinity ? 1 : 0;
      u32[base + 3] = this.#step.checkFinite || this.#step.skipNonFinite ? 1 : 0;
      f32[base + 4] = maxNorm !== undefined && maxNorm !== Infinity ? maxNorm : 0;
      u32[base + 5] = 0x7fc00000;
      this.#finalBind ??= device.createBindGroup({
        layout: pipes.finalBindLayout,
        entries: [
          { binding: 0, resource: { buffer: this.#uniform, offset: 2 * T * SLOT, size: 32 } },
          { binding: 1, resource: { buffer: this.#partials! } },
          { binding: 2, resource: { buffer: this.#ctl } },
        ],
      });
      pass.setPipeline(pipes.final);
      pass.setBindGroup(0, this.#finalBind);
      pass.dispatchWorkgroups(1);
    }
    ti = 0;
    this.#groups.forEach((group, gi) => {
      if (plans[gi]!.kernelName === 'lamb') {
        const moments = updatePipeline(device, 'lambMoments', LAMB_MOMENTS);
        const apply = updatePipeline(device, 'lambApply', LAMB_APPLY);
        for (let j = 0; j < group.tensors.length; j++, ti++) {
          const n = this.#tensors[ti]!.length;
          pass.setPipeline(moments);
          pass.setBindGroup(0, this.#updateBind(device, ti, g[ti]!));
          pass.dispatchWorkgroups(Math.min(PARTIALS, Math.ceil(n / WORKGROUP)));
          pass.setPipeline(apply);
          pass.setBindGroup(0, this.#applyBind(device, ti, g[ti]!));
          const wgs = Math.ceil(n / WORKGROUP);
          const x = Math.min(wgs, MAX_X);
          pass.dispatchWorkgroups(x, Math.ceil(wgs / x));
        }
        return;
      }
      pass.setPipeline(plans[gi]!.pipeline);
      for (let j = 0; j < group.tensors.length; j++, ti++) {
        pass.setBindGroup(0, this.#updateBind(device, ti, g[ti]!));
        const wgs = Math.ceil(this.#tensors[ti]!.length / WORKGROUP);
        const x = Math.min(wgs, MAX_X);
        pass.dispatchWorkgroups(x, Math.ceil(wgs / x));
      }
    });
    pass.end();
    device.queue.writeBuffer(this.#uniform, 0, data);
    device.queue.submit([enc.finish()]);
    // 3. The step is submitted: advance the groups.
    this.#groups.forEach((group, gi) => {
      group.step = next[gi]!.t;
      group.scalars = next[gi]!.scalars;
      if (group.started.size < group.allocated.length) {
        for (const b of spec.uses?.(group.options) ?? spec.buffers(group.options)) group.started.add(b);
      }
    });
  }

  /**
   * Lamb's recorded calls, per tensor: lambMoments(p, g, m, v, n, c1, c2, b1, b2, eps, wd, gscale),
   * the two norm reads, lambApply(p, m, v, n, lr*ratio, c1, c2, eps, wd) with ratio 1 (the
   * recorder's norms are 0): their constants into the tensor's two uniform slots.
   */
  #planLamb(device: GpuDeviceLike, calls: Call[], group: Group<O, S>, ti: number, u32: Uint32Array, f32: Float32Array): number {
    const moments = calls.filter((c) => c.name === 'lambMoments');
    const applies = calls.filter((c) => c.name === 'lambApply');
    const T = this.#tensors.length;
    updatePipeline(device, 'lambMoments', LAMB_MOMENTS);
    updatePipeline(device, 'lambApply', LAMB_APPLY);
    group.tensors.forEach((slot, j) => {
      const [, , m, v, n, c1, c2, b1, b2, eps, wd, gscale] = moments[j]!.args as number[];
      const [, , , , lrs] = applies[j]!.args as number[];
      const c = c1! / c2!, e = eps! / c2!;
      const base = (ti * SLOT) / 4;
      u32.set([n!, m! / FLOAT, v! / FLOAT, ti * PARTIALS], base);
      f32.set([c, e, b1!, 1 - b1!, b2!, 1 - b2!, wd!, gscale!], base + 4);
      const applyBase = ((2 * T + 1 + ti) * SLOT) / 4;
      u32.set([n!, m! / FLOAT, v! / FLOAT, ti * PARTIALS], applyBase);
      f32.set([lrs!, c, e, wd!], applyBase + 4);
      void slot;
      ti++;
    });
    return ti;
  }

  #applyBind(device: GpuDeviceLike, i: number, grad: Tensor): unknown {
    const cache = this.#applyBinds[i]!;
    if (cache.key === grad.buffer && cache.offset === grad.offset) return cache.group;
    const group = this.#makeUpdateBind(device, i, grad, (2 * this.#tensors.length + 1 + i) * SLOT);
    this.#applyBinds[i] = { key: grad.buffer, offset: grad.offset, group };
    return group;
  }

  #checkGrads(owner: string, grads: unknown): Tensor[] {
    const n = this.#tensors.length;
    if (!Array.isArray(grads)) throw new TypeError(`${owner}: grads must be an array of ${n} GPUBuffer(s) (or { buffer, offset }), one per parameter, got ${describe(grads)}`);
    const list = [...(grads as unknown[])];
    if (list.length !== n) throw new RangeError(`${owner}: expected ${n} gradient(s), one per parameter in order across groups, got ${list.length}`);
    return list.map((g0, i) => {
      const len = this.#tensors[i]!.length;
      const isWrapped = g0 !== null && typeof g0 === 'object' && !isBufferLike(g0) && 'buffer' in g0;
      const buffer = isWrapped ? (g0 as { buffer: unknown }).buffer : g0;
      const offset = isWrapped ? ((g0 as { offset?: unknown }).offset ?? 0) : 0;
      if (!isBufferLike(buffer)) throw new TypeError(`${owner}: grads[${i}] must be a GPUBuffer or { buffer, offset }, got ${describe(g0)}`);
      checkRange(owner, `grads[${i}]`, buffer, offset, len, 256, Usage.STORAGE, 'STORAGE');
      return { buffer, offset: offset as number, length: len };
    });
  }

  #updateBind(device: GpuDeviceLike, i: number, grad: Tensor): unknown {
    const cache = this.#bindCache[i]!;
    if (cache.key === grad.buffer && cache.offset === grad.offset) return cache.group;
    const group = this.#makeUpdateBind(device, i, grad, i * SLOT);
    this.#bindCache[i] = { key: grad.buffer, offset: grad.offset, group };
    return group;
  }

  #makeUpdateBind(device: GpuDeviceLike, i: number, grad: Tensor, uniformOffset: number): unknown {
    const p = this.#tensors[i]!;
    return device.createBindGroup({
      layout: pipelinesOf(device).updateBindLayout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniform, offset: uniformOffset, size: 64 } },
        { binding: 1, resource: { buffer: p.buffer, offset: p.offset, size: FLOAT * p.length } },
        { binding: 2, resource: { buffer: grad.buffer, offset: grad.offset, size: FLOAT * grad.length } },
        { binding: 3, resource: { buffer: this.#state } },
        { binding: 4, resource: { buffer: this.#ctl } },
        { binding: 5, resource: { buffer: this.#lambPartials } },
      ],
    });
  }

  #partialBind(device: GpuDeviceLike, i: number, grad: Tensor): unknown {
    const cache = this.#partialBinds[i]!;
    if (cache.key === grad.buffer && cache.offset === grad.offset) return cache.group;
    const T = this.#tensors.length;
    const group = device.createBindGroup({
      layout: pipelinesOf(device).partialBindLayout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniform, offset: (T + i) * SLOT, size: 16 } },
        { binding: 1, resource: { buffer: grad.buffer, offset: grad.offset, size: FLOAT * grad.length } },
        { binding: 2, resource: { buffer: this.#partials! } },
      ],
    });
    this.#partialBinds[i] = { key: grad.buffer, offset: grad.offset, group };
    return group;
  }

  /** Reads the control words: [skipped (0/1), clip coefficient, norm, steps skipped so far]. */
  async #control(what: string): Promise<{ skipped: boolean; norm: number; skippedSteps: number }> {
    const device = this.#live(what);
    const [buf] = await readBack(device, [{ buffer: this.#ctl, offset: 0, size: 16 }]);
    const u = new Uint32Array(buf!);
    return { skipped: u[0] !== 0, norm: new Float32Array(buf!)[2]!, skippedSteps: u[3]! };
  }

  /**
   * Whether the GPU skipped the last step for a non-finite gradient (checkFinite
   * or skipNonFinite). The GPU decides without a readback, so step() cannot
   * throw NonFiniteGradientError as the WebAssembly optimizer does: the step is
   * skipped in both cases, and this tells (one small readback).
   */
  async lastStepSkipped(): Promise<boolean> {
    return (await this.#control('lastStepSkipped()')).skipped;
  }

  /** How many steps the GPU has skipped for a non-finite gradient. */
  async skippedSteps(): Promise<number> {
    return (await this.#control('skippedSteps()')).skippedSteps;
  }

  /** With maxGradNorm: the joint gradient norm of the last step, before clipping (float32, computed on the GPU). Otherwise undefined. */
  async lastGradNorm(): Promise<number | undefined> {
    const c = await this.#control('lastGradNorm()');
    return this.#step.maxGradNorm === undefined || this.stepCount === 0 ? undefined : c.norm;
  }

  /** The parameters' current values, copied back (one submission, one map). */
  async readParams(): Promise<Float32Array[]> {
    const device = this.#live('readParams()');
    const parts = await readBack(device, this.#tensors.map((t) => ({ buffer: t.buffer, offset: t.offset, size: FLOAT * t.length })));
    return parts.map((b) => new Float32Array(b));
  }

  /** A CPU copy of the state, and the groups as they are now (a later step does not change it). */
  async #snapshot(what: string, withParams: boolean): Promise<{ layout: Layout<O, S>; params: Float32Array[] | undefined }> {
    const device = this.#live(what);
    const groups = this.#groups.map((g) => ({ ...g, options: { ...g.options }, started: new Set(g.started), scalars: g.scalars && { ...g.scalars } }));
    const parts = [{ buffer: this.#state, offset: 0, size: this.#stateBytes }];
    if (withParams) for (const t of this.#tensors) parts.push({ buffer: t.buffer, offset: t.offset, size: FLOAT * t.length });
    const [state, ...params] = await readBack(device, parts);
    return { layout: this.#layoutOver(state!, groups), params: withParams ? params.map((b) => new Float32Array(b)) : undefined };
  }

  /** What src/state-dict.ts reads and writes of a layout, over a CPU copy of the state buffer. */
  #layoutOver(buffer: ArrayBuffer, groups: Group<O, S>[]): Layout<O, S> {
    return {
      arena: { buffer } as unknown as Layout<O, S>['arena'],
      groups,
      params: this.#lengths.map(() => new Float32Array(0)),
      grads: [],
      lengths: this.#lengths,
      shapes: this.#lengths.map(() => undefined),
      groupParams: [],
      gradRegion: [0, 0],
      tiny: 0,
      heap: new Float32Array(0),
      shadow: undefined,
      written: [0, 0, 0, 0],
      snapshotSteps: false,
    };
  }

  /** The optimizer state, as the WebAssembly optimizer's stateDict() lays it out (one readback). */
  async stateDict(): Promise<StateDict<O>> {
    const { layout } = await this.#snapshot('stateDict()', false);
    return buildStateDict(this.#spec, layout);
  }

  /**
   * Replaces hyperparameters and state with those of `sd` (from stateDict() of
   * this or of a WebAssembly optimizer of the same kind over parameters of the
   * same lengths). Checked completely first: on error nothing changes.
   */
  async loadStateDict(sd: StateDict<O>): Promise<void> {
    this.loadStateDictSync(sd);
  }

  /** loadStateDict, synchronously (it reads nothing back: the state is checked on the CPU, then written to the GPU). */
  loadStateDictSync(sd: StateDict<O>): void {
    const owner = `${this.#spec.name}.loadStateDict`;
    const device = this.#live('loadStateDict()');
    const copy = readInput(owner, () => readPlain(owner, 'the state dict', sd)) as StateDict<O>;
    const staging = new ArrayBuffer(this.#stateBytes);
    planLoad(this.#spec, this.#layoutOver(staging, this.#groups), this.#base, owner, copy)();
    device.queue.writeBuffer(this.#state, 0, staging);
  }

  /**
   * A binary checkpoint in the WebAssembly optimizer's format (src/checkpoint.ts):
   * `load` of either optimizer reads it. Options as Optimizer.save.
   */
  async save(optionsIn: { params?: boolean; schedulers?: readonly Scheduler[] } = {}): Promise<Uint8Array> {
    const owner = `${this.#spec.name}.save`;
    this.#live('save()');
    const options = readInput(owner, () => readPlain(owner, 'options', optionsIn, { keep: isScheduler })) as Record<string, unknown>;
    if (options === null || typeof options !== 'object' || options instanceof Foreign || Array.isArray(options)) {
      throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
    }
    checkKeys(owner, options, ['params', 'schedulers']);
    const withParams = options.params ?? true;
    if (typeof withParams !== 'boolean') throw new TypeError(`${owner}: options.params must be true or false, got ${describe(withParams)}`);
    const schedule = saveSchedule(owner, this, options.schedulers);
    const { layout, params } = await this.#snapshot('save()', withParams);
    return encodeCheckpoint(buildStateDict(this.#spec, layout), [...this.#lengths], params, schedule);
  }

  /** Restores a checkpoint of `save()` (of this or the WebAssembly optimizer): all or nothing, as Optimizer.load. */
  async load(bytesIn: Uint8Array, optionsIn: { schedulers?: readonly Scheduler[] | false } = {}): Promise<void> {
    const owner = `${this.#spec.name}.load`;
    const device = this.#live('load()');
    const { bytes, options } = readInput(owner, () => ({
      bytes: typedArrayTag(bytesIn) === 'Uint8Array' ? copyUint8(bytesIn) : bytesIn !== null && typeof bytesIn === 'object' ? new Foreign(describe(bytesIn)) : bytesIn,
      options: readPlain(owner, 'options', optionsIn, { keep: isScheduler }),
    }));
    if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Foreign) {
      throw new TypeError(`${owner}: options must be an object such as { schedulers: [sched] }, got ${describe(options)}`);
    }
    checkKeys(owner, options as Record<string, unknown>, ['schedulers']);
    const { stateDict, shapes, params, schedule } = decodeCheckpoint(owner, bytes);
    if (stateDict.kind !== this.#spec.name) throw new TypeError(`${owner}: this checkpoint belongs to ${describe(stateDict.kind)}, not ${this.#spec.name}`);
    const mine = this.#lengths;
    if (shapes.length !== mine.length || shapes.some((n, i) => n !== mine[i])) {
      throw new RangeError(`${owner}: the checkpoint holds parameters of sizes [${shapes.join(', ')}], this optimizer has [${mine.join(', ')}]`);
    }
    if (params) {
      this.#tensors.forEach((t, i) => {
        if ((t.buffer.usage & Usage.COPY_DST) === 0) {
          throw new TypeError(`${owner}: the checkpoint holds parameter values, but params[${i}]'s GPUBuffer lacks GPUBufferUsage.COPY_DST; create it with that usage, or save with { params: false }`);
        }
      });
    }
    const staging = new ArrayBuffer(this.#stateBytes);
    const writeState = planLoad(this.#spec, this.#layoutOver(staging, this.#groups), this.#base, owner, stateDict as StateDict<O>);
    const writeSchedule = planSchedule(owner, this, (options as { schedulers?: unknown }).schedulers, schedule);
    // Everything is checked: nothing below can fail.
    writeState();
    device.queue.writeBuffer(this.#state, 0, staging);
    if (params) params.forEach((p, i) => device.queue.writeBuffer(this.#tensors[i]!.buffer, this.#tensors[i]!.offset, p));
    writeSchedule();
  }

  /** Destroys the optimizer's own GPU buffers (state, uniforms, control); the caller's buffers are left alone. Any later call throws. */
  dispose(): void {
    if (!this.#device) return;
    this.#device = undefined;
    for (const b of [this.#state, this.#uniform, this.#ctl, this.#partials, this.#lambPartials]) b?.destroy?.();
    this.#bindCache = [];
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#device === undefined;
  }
}

function checkKeys(owner: string, options: Record<string, unknown>, valid: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!valid.includes(key)) throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in options (valid options: ${valid.join(', ')})`);
  }
}

/** Checks that `length` floats at byte `offset` fit in `buffer`, at an aligned offset, with the usage flags needed. */
function checkRange(owner: string, name: string, buffer: GpuBufferLike, offset: unknown, length: number, align: number, usage: number, usageName: string): void {
  if (!Number.isSafeInteger(offset) || (offset as number) < 0 || (offset as number) % align !== 0) {
    throw new RangeError(`${owner}: ${name}.offset must be a byte offset >= 0 and a multiple of ${align} (minStorageBufferOffsetAlignment), got ${describe(offset)}`);
  }
  if ((offset as number) + FLOAT * length > buffer.size) {
    throw new RangeError(`${owner}: ${name} needs ${FLOAT * length} bytes at offset ${offset as number}, but its GPUBuffer has ${buffer.size} bytes`);
  }
  if ((buffer.usage & usage) !== usage) {
    throw new TypeError(`${owner}: ${name}'s GPUBuffer needs GPUBufferUsage.${usageName} (its usage is ${buffer.usage})`);
  }
}

/** A validated group: its options and tensors. */
interface GpuGroupInput<O> {
  options: O;
  tensors: Tensor[];
}

function isTensorLike(v: unknown): boolean {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && 'buffer' in v && !('params' in v);
}

/** The constructor's params: GPU tensors `{ buffer, length, offset? }`, or param groups `{ params: [...], ...options }` (options checked as the WebAssembly optimizer's). */
function parseGpuGroups<O extends object, S extends Scalars>(owner: string, spec: MethodSpec<O, S>, params: unknown, base: O, align: number): GpuGroupInput<O>[] {
  if (!Array.isArray(params)) {
    throw new TypeError(`${owner}: params must be an array of { buffer: GPUBuffer, length } or of param groups { params: [...] }, got ${describe(params)}`);
  }
  const list = [...(params as unknown[])];
  if (list.length === 0) throw new RangeError(`${owner}: params is an empty list; give at least one parameter`);
  const flat = list.every(isTensorLike);
  const groups = flat ? [{ params: list }] : list;
  const seen: Tensor[] = [];
  let index = 0;
  return groups.map((g0, gi) => {
    if (g0 === null || typeof g0 !== 'object' || isTensorLike(g0) || !Array.isArray((g0 as { params?: unknown }).params)) {
      throw new TypeError(`${owner}: params[${gi}] must be a tensor { buffer, length } (all of them) or a param group { params: [...], ...options }, got ${describe(g0)}`);
    }
    const gin = readInput(owner, () => readPlain(owner, `params[${gi}]`, { ...(g0 as object), params: [] })) as Record<string, unknown>;
    const o = { ...base };
    for (const [key, value] of Object.entries(gin)) {
      if (key === 'params' || value === undefined) continue;
      (o as Record<string, unknown>)[key] = checkOption(spec, owner, `params[${gi}].${key}`, key, value);
    }
    checkGroup(spec, owner, `params[${gi}]`, o);
    const tensors = [...((g0 as { params: unknown[] }).params)].map((t0, i) => {
      const name = flat ? `params[${index + i}]` : `params[${gi}].params[${i}]`;
      if (!isTensorLike(t0)) throw new TypeError(`${owner}: ${name} must be { buffer: GPUBuffer, length, offset? }, got ${describe(t0)}`);
      const { buffer, length, offset = 0, ...rest } = t0 as Record<string, unknown>;
      const extra = Object.keys(rest);
      if (extra.length) throw new TypeError(`${owner}: unknown key ${JSON.stringify(extra[0])} in ${name} (a GPU tensor is { buffer, length, offset? })`);
      if (!isBufferLike(buffer)) throw new TypeError(`${owner}: ${name}.buffer must be a GPUBuffer, got ${describe(buffer)}`);
      if (!Number.isSafeInteger(length) || (length as number) <= 0) throw new RangeError(`${owner}: ${name}.length must be a whole number > 0, got ${describe(length)}`);
      checkRange(owner, name, buffer, offset, length as number, align, Usage.STORAGE | Usage.COPY_SRC, 'STORAGE | GPUBufferUsage.COPY_SRC');
      const t = { buffer, offset: offset as number, length: length as number };
      if (seen.some((s) => s.buffer === buffer && s.offset < t.offset + FLOAT * t.length && t.offset < s.offset + FLOAT * s.length)) {
        throw new TypeError(`${owner}: ${name} overlaps another parameter; each parameter may be given only once`);
      }
      seen.push(t);
      return t;
    });
    index += tensors.length;
    return { options: o, tensors };
  });
}

export type { StepOptions };
