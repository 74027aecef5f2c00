// The WebGPU optimizer: the parameters stay in the caller's GPUBuffers, the
// state in one GPUBuffer of the optimizer, and a step is one command buffer
// (the gradient check, then the updates: one dispatch per run of tensors that
// share their parameter and gradient buffers, src/webgpu/plan.ts) that never
// reads back.
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
import { GPU_KERNELS, kernelSource, tableKernelSource, LAMB_APPLY, LAMB_APPLY_SOURCE, LAMB_MOMENTS, LAMB_MOMENTS_SOURCE, MAX_CONSTANTS, WORKGROUP } from './kernels.js';
import { planRuns, tableWords, type Plan, type Run } from './plan.js';
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
    const code =
      kernel === 'lambMoments' ? LAMB_MOMENTS_SOURCE
      : kernel === 'lambApply' ? LAMB_APPLY_SOURCE
      : kernel.endsWith(':table') ? tableKernelSource(kernel.slice(0, -':table'.length), names)
      : kernelSource(kernel, names);
    pipe = device.createComputePipeline({
      label: `wasm-optim ${kernel}`,
      layout: p.updateLayout,
      compute: { module: device.createShaderModule({ code, label: kernel }), entryPoint: 'main' },
    });
    p.update.set(kernel, pipe);
  }
  return pipe;
}

/** What a compute pass encoder offers the optimizer. */
interface ComputePass {
  setPipeline(p: unknown): void;
  setBindGroup(i: number, g: unknown): void;
  dispatchWorkgroups(x: number, y?: number): void;
}

/** A step, prepared (checked, constants recorded, dispatches planned) and not yet encoded. */
interface Prepared<S> {
  g: Tensor[];
  plan: Plan;
  kernels: { name: string; names: string[]; consts: number[] }[];
  stateOffsets: number[][];
  next: { t: number; scalars: S }[];
}

/** A control buffer (skip word, clip coefficient, norm, skip count) that several optimizers share: GpuOptimizer.stepTogether. */
export interface SharedControl {
  readonly buffer: GpuBufferLike;
}

function createControl(device: GpuDeviceLike): GpuBufferLike {
  const b = device.createBuffer({ size: 16, usage: Usage.STORAGE | Usage.COPY_SRC | Usage.COPY_DST, label: 'wasm-optim control' });
  device.queue.writeBuffer(b, 0, new Uint32Array([0, 0x3f800000, 0, 0]));
  return b;
}

/** A control buffer for optimizers stepped together (GpuOptimizer.stepTogether); the caller destroys it. */
export function createSharedControl(device: GpuDeviceLike): SharedControl {
  return { buffer: createControl(device) };
}

/** `wgs` workgroups, in rows of at most 65535. */
function dispatch2d(pass: { dispatchWorkgroups(x: number, y?: number): void }, wgs: number): void {
  const x = Math.min(wgs, MAX_X);
  pass.dispatchWorkgroups(x, Math.ceil(wgs / x));
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
  /** whether #ctl is a control buffer shared with other optimizers (stepTogether), not ours to destroy */
  readonly #shared: boolean = false;
  readonly #partials: GpuBufferLike | undefined;
  /** Lamb's per-tensor partial sums of p^2 and u^2 (16 bytes for the others: binding 5 of every update) */
  readonly #lambPartials: GpuBufferLike;
  /** the table of the "table" runs (src/webgpu/plan.ts): 8 words per tensor, then one per workgroup */
  readonly #table: GpuBufferLike | undefined;
  /** the last step's plan, and the gradients and state offsets it was made for */
  #plan: { grads: { buffer: GpuBufferLike; offset: number }[]; state: number[][]; plan: Plan } | undefined;
  /** bind groups by uniform slot (update) or dispatch index (partials), with what they bind */
  #updateBinds = new Map<number, { key: unknown[]; group: unknown }>();
  #partialBinds = new Map<number, { key: unknown[]; group: unknown }>();
  #finalBind: unknown;

  /** Use createGpuOptimizer. */
  constructor(device: GpuDeviceLike, spec: MethodSpec<O, S>, params: unknown, options: unknown, shared?: SharedControl) {
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
    if (shared) {
      if (step.maxGradNorm !== undefined) throw new Error(`${owner}: a shared control buffer cannot carry a clip coefficient; clip before`);
      this.#ctl = shared.buffer;
      this.#shared = true;
    } else {
      this.#ctl = createControl(device);
    }
    const checks = step.maxGradNorm !== undefined || step.checkFinite || step.skipNonFinite;
    this.#partials = checks
      ? device.createBuffer({ size: 8 * PARTIALS * all.length, usage: Usage.STORAGE, label: 'wasm-optim gradient partials' })
      : undefined;
    this.#lambPartials = device.createBuffer({
      size: spec.name === 'Lamb' ? 8 * PARTIALS * all.length : 16,
      usage: Usage.STORAGE,
      label: 'wasm-optim trust-ratio partials',
    });
    this.#table =
      spec.name === 'Lamb'
        ? undefined
        : device.createBuffer({ size: 4 * tableWords(all.map((t) => t.length), WORKGROUP), usage: Usage.STORAGE | Usage.COPY_DST, label: 'wasm-optim dispatch table' });
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
   * the gradient check (with checkFinite, skipNonFinite or maxGradNorm) and the
   * updates into one command buffer and submits it; nothing is read back. The
   * tensors of a group whose parameters share one GPUBuffer and whose gradients
   * share one GPUBuffer are updated by ONE dispatch (src/webgpu/plan.ts: "flat"
   * where they are back to back, a table of offsets otherwise; Lamb keeps one
   * per tensor). A bad argument throws and nothing is submitted.
   */
  step(grads: readonly (GpuBufferLike | { buffer: GpuBufferLike; offset?: number })[]): void {
    const device = this.#live('step()');
    const prepared = this.#prepare(`${this.#spec.name}.step`, device, grads);
    const enc = device.createCommandEncoder({ label: `${this.#spec.name} step` });
    const pass = enc.beginComputePass();
    this.#encodeCheck(device, pass, prepared, false);
    this.#encodeUpdates(device, pass, prepared);
    pass.end();
    device.queue.writeBuffer(this.#uniform, 0, this.#uniformData);
    device.queue.submit([enc.finish()]);
    this.#commit(prepared);
  }

  /**
   * One step of several optimizers over one device in ONE submission, with ONE
   * non-finite decision for all of them (toTfjs on the webgpu backend): each
   * must have been built over the same `shared` control buffer
   * (createSharedControl). Its skip word is cleared first; every optimizer's
   * gradient check ORs its own non-finite flag into it, and every update
   * dispatch, after all the checks in the same compute pass, reads it. So one
   * NaN anywhere skips every update of the call. Every argument is checked
   * before anything is encoded.
   */
  static stepTogether(shared: SharedControl, items: readonly { opt: GpuOptimizer<object>; grads: readonly (GpuBufferLike | { buffer: GpuBufferLike; offset?: number })[] }[]): void {
    if (items.length === 0) return;
    const device = items[0]!.opt.#live('step()');
    const prepared = items.map(({ opt, grads }) => {
      if (opt.#ctl !== shared.buffer) throw new Error(`${opt.#spec.name}.step: this optimizer was not built over the shared control buffer`);
      if (opt.#live('step()') !== device) throw new Error(`${opt.#spec.name}.step: the optimizers stepped together must share one device`);
      return opt.#prepare(`${opt.#spec.name}.step`, device, grads);
    });
    const enc = device.createCommandEncoder({ label: 'wasm-optim joint step' });
    const pass = enc.beginComputePass();
    items.forEach(({ opt }, i) => opt.#encodeCheck(device, pass, prepared[i]!, true));
    items.forEach(({ opt }, i) => opt.#encodeUpdates(device, pass, prepared[i]!));
    pass.end();
    for (const { opt } of items) device.queue.writeBuffer(opt.#uniform, 0, opt.#uniformData);
    device.queue.writeBuffer(shared.buffer, 0, new Uint32Array([0, 0x3f800000])); // the skip word cleared, the clip coefficient 1; the skip count kept
    device.queue.submit([enc.finish()]);
    items.forEach(({ opt }, i) => opt.#commit(prepared[i]!));
  }

  /** Checks the gradients, records each group's kernel call and constants, plans the dispatches; changes nothing but caches. */
  #prepare(owner: string, device: GpuDeviceLike, grads: unknown): Prepared<S> {
    const g = this.#checkGrads(owner, grads);
    for (const group of this.#groups) {
      if (group.step >= Number.MAX_SAFE_INTEGER) throw new RangeError(`${owner}: the step count is ${group.step}, the largest a state dict can hold; nothing was changed`);
    }
    const spec = this.#spec;
    const data = this.#uniformData;
    const u32 = new Uint32Array(data);
    const f32 = new Float32Array(data);
    // 1. Record each group's kernel call and its constants (in double, by the method's own `run`).
    const kernels: { name: string; names: string[]; consts: number[] }[] = [];
    const stateOffsets: number[][] = [];
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
        kernels.push({ name: 'lamb', names: [], consts: [] });
        for (const _ of group.tensors) stateOffsets.push([]);
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
      const prepared = kernel.prepare(rest.slice(0, -1));
      const names = Object.keys(prepared);
      if (names.length + 1 > MAX_CONSTANTS) throw new Error(`${owner}: kernel ${call.name} has too many constants`);
      kernels.push({ name: call.name, names, consts: [...names.map((n) => prepared[n]!), gscale] });
      for (const slot of group.tensors) {
        stateOffsets.push(stateArgs.map((a) => (a + slot.offset) / FLOAT));
        ti++;
      }
      next.push({ t, scalars });
    }
    // 2. Which tensors share a dispatch (src/webgpu/plan.ts); the table is written only when the plan changes.
    const plan = this.#planFor(device, g, stateOffsets, kernels.map((k) => k.name === 'lamb'));
    return { g, plan, kernels, stateOffsets, next };
  }

  /**
   * The gradient check (with checkFinite, skipNonFinite or maxGradNorm): one
   * partial dispatch per flat or single run (its gradients are one range), one
   * per tensor of a table run, then the final pass. `accumulate`: OR this
   * optimizer's non-finite flag into a shared control buffer (stepTogether).
   */
  #encodeCheck(device: GpuDeviceLike, pass: ComputePass, { g, plan }: Prepared<S>, accumulate: boolean): void {
    if (this.#partials === undefined) return;
    const pipes = pipelinesOf(device);
    const u32 = new Uint32Array(this.#uniformData);
    const f32 = new Float32Array(this.#uniformData);
    const T = this.#tensors.length;
    const kind = normKind(this.#step.gradNormType);
    // one partial dispatch per flat or single run (its gradients are one range), per tensor in a table run
    let slot = 0;
    let di = 0;
    const partial = (buffer: GpuBufferLike, offset: number, n: number) => {
      const base = ((T + di) * SLOT) / 4;
      const wgs = Math.min(PARTIALS, Math.ceil(n / WORKGROUP));
      u32[base] = n;
      u32[base + 1] = slot;
      u32[base + 2] = kind;
      pass.setPipeline(pipes.partial);
      pass.setBindGroup(0, this.#partialBind(device, di, buffer, offset, 4 * n));
      pass.dispatchWorkgroups(wgs);
      slot += wgs;
      di++;
    };
    for (const run of plan.runs) {
      if (run.kind === 'table') for (const t of run.tensors) partial(g[t]!.buffer, g[t]!.offset, g[t]!.length);
      else partial(run.grads.buffer as GpuBufferLike, run.grads.offset, run.length);
    }
    const base = (2 * T * SLOT) / 4;
    const maxNorm = this.#step.maxGradNorm;
    u32[base] = slot;
    u32[base + 1] = kind;
    u32[base + 2] = maxNorm !== undefined && maxNorm !== Infinity ? 1 : 0;
    u32[base + 3] = this.#step.checkFinite || this.#step.skipNonFinite ? 1 : 0;
    f32[base + 4] = maxNorm !== undefined && maxNorm !== Infinity ? maxNorm : 0;
    u32[base + 5] = 0x7fc00000;
    u32[base + 6] = accumulate ? 1 : 0;
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

  /** The updates: one dispatch per run (Lamb: two per tensor), all reading the control words. */
  #encodeUpdates(device: GpuDeviceLike, pass: ComputePass, { plan, kernels, stateOffsets }: Prepared<S>): void {
    const u32 = new Uint32Array(this.#uniformData);
    const f32 = new Float32Array(this.#uniformData);
    const T = this.#tensors.length;
    for (const run of plan.runs) {
      const k = kernels[run.group]!;
      const t0 = run.tensors[0]!;
      if (k.name === 'lamb') {
        const n = this.#tensors[t0]!.length;
        pass.setPipeline(updatePipeline(device, 'lambMoments', LAMB_MOMENTS));
        pass.setBindGroup(0, this.#updateBind(device, run, t0, this.#lambPartials));
        pass.dispatchWorkgroups(Math.min(PARTIALS, Math.ceil(n / WORKGROUP)));
        pass.setPipeline(updatePipeline(device, 'lambApply', LAMB_APPLY));
        pass.setBindGroup(0, this.#updateBind(device, run, 2 * T + 1 + t0, this.#lambPartials));
        dispatch2d(pass, run.workgroups);
        continue;
      }
      // the run's uniform slot is its first tensor's
      const base = (t0 * SLOT) / 4;
      if (run.kind === 'table') {
        u32.set([run.workgroups, run.index, 0, 0], base);
      } else {
        const s = stateOffsets[t0]!;
        u32.set([run.length, s[0] ?? 0, s[1] ?? 0, s[2] ?? 0], base);
      }
      f32.set(k.consts, base + 4);
      pass.setPipeline(updatePipeline(device, run.kind === 'table' ? `${k.name}:table` : k.name, k.names));
      pass.setBindGroup(0, this.#updateBind(device, run, t0, run.kind === 'table' ? this.#table! : this.#lambPartials));
      dispatch2d(pass, run.workgroups);
    }
  }

  /** The step is submitted: advance the groups. */
  #commit({ next }: Prepared<S>): void {
    const spec = this.#spec;
    this.#groups.forEach((group, gi) => {
      group.step = next[gi]!.t;
      group.scalars = next[gi]!.scalars;
      if (group.started.size < group.allocated.length) {
        for (const b of spec.uses?.(group.options) ?? spec.buffers(group.options)) group.started.add(b);
      }
    });
  }

  /**
   * The plan of this step's dispatches: the last one when the gradients are
   * the same buffers at the same offsets and the kernels' state offsets are
   * unchanged; otherwise planned again, and the table written (queue order:
   * before this step's submission).
   */
  #planFor(device: GpuDeviceLike, grads: readonly Tensor[], state: number[][], single: boolean[]): Plan {
    const last = this.#plan;
    if (
      last &&
      last.grads.every((x, i) => x.buffer === grads[i]!.buffer && x.offset === grads[i]!.offset) &&
      last.state.every((s, i) => s.length === state[i]!.length && s.every((o, j) => o === state[i]![j]))
    ) {
      return last.plan;
    }
    const plan = planRuns({
      groups: this.#groups.map((g) => g.indices),
      params: this.#tensors,
      grads,
      state,
      single,
      maxBinding: device.limits?.maxStorageBufferBindingSize ?? 134217728,
      workgroup: WORKGROUP,
    });
    if (plan.table.length > 0) device.queue.writeBuffer(this.#table!, 0, plan.table);
    this.#plan = { grads: grads.map((x) => ({ buffer: x.buffer, offset: x.offset })), state, plan };
    return plan;
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

  /** The bind group of a run's update at uniform slot `slot` (cached while it binds the same ranges). */
  #updateBind(device: GpuDeviceLike, run: Run, slot: number, extra: GpuBufferLike): unknown {
    const { params: p, grads: g } = run;
    const key = [p.buffer, p.offset, p.size, g.buffer, g.offset, g.size, extra];
    const hit = this.#updateBinds.get(slot);
    if (hit && hit.key.every((k, i) => k === key[i])) return hit.group;
    const group = device.createBindGroup({
      layout: pipelinesOf(device).updateBindLayout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniform, offset: slot * SLOT, size: 64 } },
        { binding: 1, resource: { buffer: p.buffer, offset: p.offset, size: p.size } },
        { binding: 2, resource: { buffer: g.buffer, offset: g.offset, size: g.size } },
        { binding: 3, resource: { buffer: this.#state } },
        { binding: 4, resource: { buffer: this.#ctl } },
        { binding: 5, resource: { buffer: extra } },
      ],
    });
    this.#updateBinds.set(slot, { key, group });
    return group;
  }

  /** The bind group of the `di`-th partial dispatch over `size` bytes of gradients. */
  #partialBind(device: GpuDeviceLike, di: number, buffer: GpuBufferLike, offset: number, size: number): unknown {
    const key = [buffer, offset, size];
    const hit = this.#partialBinds.get(di);
    if (hit && hit.key.every((k, i) => k === key[i])) return hit.group;
    const T = this.#tensors.length;
    const group = device.createBindGroup({
      layout: pipelinesOf(device).partialBindLayout,
      entries: [
        { binding: 0, resource: { buffer: this.#uniform, offset: (T + di) * SLOT, size: 16 } },
        { binding: 1, resource: { buffer, offset, size } },
        { binding: 2, resource: { buffer: this.#partials! } },
      ],
    });
    this.#partialBinds.set(di, { key, group });
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
      checkInSteps: false,
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
    for (const b of [this.#state, this.#uniform, this.#shared ? undefined : this.#ctl, this.#partials, this.#lambPartials, this.#table]) b?.destroy?.();
    this.#updateBinds = new Map();
    this.#partialBinds = new Map();
    this.#plan = undefined;
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
