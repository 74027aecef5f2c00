// toTfjs(Cls, options, { groups }): any registered wasm-optim optimizer as a
// tf.Optimizer, with the class's own (PyTorch) numerics.
//
// Design: one wasm-optim optimizer per variable (`new Cls([values], options of
// its group)`), made the first time the variable is seen. tf.train allows any
// subset of variables per call and variables joining later; with one optimizer
// per variable a call steps exactly the variables it names (as PyTorch skips
// parameters without a gradient), a new variable gets fresh state without
// rebuilding or copying anyone else's, and all state stays in WebAssembly
// memory. Each step is bit-identical to `new Cls(all params, options)` stepping
// the same gradients, as every registered method updates each tensor from its
// own gradient and the group's scalars (step count, NAdam's mu product), which
// advance identically. Joint clipping (`maxGradNorm`) is done across the call's
// gradients with clipGradNorm before the per-variable steps (the same
// c = min(1, max / (norm + 1e-6)), though not folded into the kernel, so equal
// up to float32 rounding rather than bit for bit).
//
// `paramGroups` is one object per group (the `groups` in order, then the
// default group): reading a hyperparameter gives the group's value, assigning
// one validates it and sets it on every variable of the group, so the
// wasm-optim schedulers drive it as they drive `new Cls(...)`.
import { Optimizer, type NamedTensorMap } from '@tensorflow/tfjs-core';
import type { serialization } from '@tensorflow/tfjs-core';
type ConfigDict = serialization.ConfigDict;
type Serializable = serialization.Serializable;
type SerializableConstructor<T extends Serializable> = serialization.SerializableConstructor<T>;
import { clipGradNorm, type NormType } from '../clip.js';
import type { Optimizer as CoreOptimizer } from '../optimizer.js';
import { NonFiniteGradientError } from '../step.js';
import { registry, type OptimizerClass, type HyperparametersOf } from '../registry.js';
import { describe, readGradients, sameShape, type NamedTensor } from './gradients.js';
import { OwnedWeights, floatsOf, ownConfig, protect, readWeights, savedFor, unprotect } from './weights.js';
import type { ParamState, StateDict } from '../state-dict.js';
import { engine } from '@tensorflow/tfjs-core';
import { decodeTorchState, encodeTorchState } from '../torch-state.js';
import { decodeSafetensors, encodeSafetensors } from '../safetensors.js';
import type { MethodSpec, Scalars } from '../method.js';
import { Assigned, firstNonFinite, valuesOf } from './transfer.js';
import { abs, add, div, getBackend as getBackendName, max, maximum, minimum, mul, scalar, sqrt, square, sum, tidy, type Tensor, type Variable } from '@tensorflow/tfjs-core';
import { createSharedControl, GpuOptimizer, type SharedControl } from '../webgpu/optimizer.js';
import { GPU_SPECS } from '../webgpu/specs.js';
import type { GpuBufferLike } from '../webgpu/gpu.js';
import { assignFromGpu, bufferOf, copyOnGpu, flush, TENSOR_USAGE, webgpuBackend, type WebGpuBackendShape } from './webgpu.js';

/** Selects variables by name: a RegExp (tested), a string (equal name) or a predicate. */
export type VariableMatch = RegExp | string | ((name: string) => boolean);

/** A group by variable name: `{ match, ...hyperparameters }`; the first group that matches wins. */
export type TfjsGroup<O> = { match: VariableMatch } & Partial<O>;

export interface ToTfjsOptions<O> {
  groups?: readonly TfjsGroup<O>[];
}

interface StepOpts {
  checkFinite?: boolean;
  skipNonFinite?: boolean;
  maxGradNorm?: number;
  gradNormType?: NormType;
}
const STEP_KEYS = ['checkFinite', 'skipNonFinite', 'maxGradNorm', 'gradNormType'] as const;

interface Entry {
  readonly shape: readonly number[];
  readonly group: number;
  readonly opt: CoreOptimizer<object>;
}

/** A variable stepped on TF.js's webgpu backend (src/tfjs/webgpu.ts): its WebGPU optimizer and parameter buffer. */
interface GpuEntry {
  readonly shape: readonly number[];
  readonly group: number;
  readonly opt: GpuOptimizer<object>;
  readonly buffer: GpuBufferLike;
  /** the variable's dataId after this optimizer's last assign: while it holds it, `buffer` has its values */
  last: object | undefined;
}

/** A variable's state restored by setWeights(), not yet stepped. */
interface Saved {
  readonly shape: readonly number[];
  readonly state: ParamState | null;
}

/** A group's `match` as a saved config holds it. */
type SavedMatch = { regexp: string; flags: string } | { name: string };


/** The tf.Optimizer that toTfjs returns. */
export class TfjsWasmOptimizer<O extends object = object> extends Optimizer {
  static get className() {
    return 'WasmOptimToTfjs';
  }
  readonly kind: string;
  readonly #Cls: new (params: (Float32Array | { data: Float32Array; shape: number[] })[], options: object) => CoreOptimizer<object>;
  readonly #owner: string;
  /** hyperparameters per group (groups in order, then the default), as plain objects */
  readonly #hyper: Record<string, unknown>[];
  readonly #matches: VariableMatch[];
  readonly #step: StepOpts;
  readonly #options: Record<string, unknown>;
  readonly #vars = new Map<string, Entry>();
  readonly #gpuVars = new Map<string, GpuEntry>();
  /** the control buffer every variable's GpuOptimizer shares: one non-finite decision per applyGradients */
  #gpuControl: { device: object; control: SharedControl } | undefined;
  readonly #assigned = new Assigned();
  readonly #paramGroups: readonly Record<string, unknown>[];
  #saved = new Map<string, Saved>();
  #owned = new OwnedWeights();
  #disposed = false;

  constructor(Cls: OptimizerClass, options: Partial<O> & StepOpts = {}, extra: ToTfjsOptions<O> = {}) {
    super();
    const entry = registry.find((e) => e.class === Cls);
    if (!entry) throw new TypeError(`toTfjs: expected a registered wasm-optim optimizer class, got ${typeof Cls === 'function' ? Cls.name || 'a function' : describe(Cls)}`);
    this.kind = entry.name;
    this.#owner = `toTfjs(${entry.name})`;
    this.#Cls = Cls as never;
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.#owner}: options must be an object, got ${describe(options)}`);
    if (extra === null || typeof extra !== 'object') throw new TypeError(`${this.#owner}: the third argument must be { groups }, got ${describe(extra)}`);
    for (const k of Object.keys(extra)) if (k !== 'groups') throw new TypeError(`${this.#owner}: unknown key ${JSON.stringify(k)} in the third argument (valid: groups)`);
    const groups = extra.groups ?? [];
    if (!Array.isArray(groups)) throw new TypeError(`${this.#owner}: groups must be an array, got ${describe(groups)}`);
    this.#options = { ...options };
    const step: StepOpts = {};
    const base: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.#options)) {
      if ((STEP_KEYS as readonly string[]).includes(k)) (step as Record<string, unknown>)[k] = v;
      else base[k] = v;
    }
    this.#step = step;
    this.#matches = [];
    const hyper: Record<string, unknown>[] = [];
    groups.forEach((g, i) => {
      if (g === null || typeof g !== 'object') throw new TypeError(`${this.#owner}: groups[${i}] must be { match, ...hyperparameters }, got ${describe(g)}`);
      const { match, ...h } = g as TfjsGroup<O>;
      if (!(match instanceof RegExp || typeof match === 'string' || typeof match === 'function')) {
        throw new TypeError(`${this.#owner}: groups[${i}].match must be a RegExp, a string or a function (name) => boolean, got ${describe(match)}`);
      }
      for (const k of Object.keys(h)) {
        if ((STEP_KEYS as readonly string[]).includes(k)) throw new TypeError(`${this.#owner}: groups[${i}].${k} is a step option: give it in options, for all variables`);
      }
      this.#matches.push(match);
      hyper.push({ ...base, ...h });
    });
    hyper.push({ ...base });
    // Validate every group's options now, through the class itself (a throwaway one-float optimizer).
    hyper.forEach((h) => {
      const probe = new this.#Cls([{ data: new Float32Array(1), shape: [1, 1] }], { ...h, ...step });
      Object.assign(h, pick(probe.paramGroups[0] as unknown as Record<string, unknown>, Object.keys(entry.defaults)));
      probe.dispose();
    });
    this.#hyper = hyper;
    this.#paramGroups = Object.freeze(hyper.map((h, gi) => this.#groupView(gi, Object.keys(entry.defaults))));
  }

  #groupView(gi: number, keys: string[]): Record<string, unknown> {
    const view = {};
    for (const key of keys) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => {
          const v = this.#hyper[gi]![key];
          return Array.isArray(v) ? [...v] : v;
        },
        set: (v: unknown) => {
          this.#live(`paramGroups[${gi}].${key}`);
          // validated by the class (on a probe when the group has no variable yet): an invalid value changes nothing
          const members: { opt: { paramGroups: readonly object[] } }[] = [...this.#vars.values(), ...this.#gpuVars.values()].filter((e) => e.group === gi);
          const first = members[0]?.opt ?? new this.#Cls([{ data: new Float32Array(1), shape: [1, 1] }], { ...this.#hyper[gi], ...this.#step });
          try {
            (first.paramGroups[0] as unknown as Record<string, unknown>)[key] = v;
            const stored = (first.paramGroups[0] as unknown as Record<string, unknown>)[key];
            for (const m of members.slice(1)) (m.opt.paramGroups[0] as unknown as Record<string, unknown>)[key] = stored;
            this.#hyper[gi]![key] = Array.isArray(stored) ? [...stored] : stored;
          } finally {
            if (!members[0]) (first as CoreOptimizer<object>).dispose();
          }
        },
      });
    }
    return view;
  }

  #live(what: string): void {
    if (this.#disposed) throw new Error(`${this.#owner}: ${what} was used after dispose(); create a new optimizer`);
  }

  /** One group per `groups` entry, in order, then the default group: `lr` and the other hyperparameters, read and write. */
  get paramGroups(): readonly Record<string, unknown>[] & readonly { lr: number }[] {
    this.#live('paramGroups');
    return this.#paramGroups as never;
  }

  /** The variables' names this optimizer holds state for, in the order it first saw them. */
  get variableNames(): string[] {
    return [...this.#vars.keys(), ...this.#gpuVars.keys()];
  }

  /** Which group a variable name falls in (index into paramGroups). */
  groupOf(name: string): number {
    const i = this.#matches.findIndex((m) => (m instanceof RegExp ? (m.lastIndex = 0, m.test(name)) : typeof m === 'string' ? m === name : m(name) === true));
    return i === -1 ? this.#matches.length : i;
  }

  /** The wasm-optim optimizer holding a variable's state (undefined before its first step, or when it lives on the GPU: gpuOptimizerOf). */
  optimizerOf(name: string): CoreOptimizer<O> | undefined {
    this.#live('optimizerOf');
    return this.#vars.get(name)?.opt as CoreOptimizer<O> | undefined;
  }

  /** On TF.js's webgpu backend: the GpuOptimizer (wasm-optim/webgpu) holding a variable's state, over a parameter buffer of its own. */
  gpuOptimizerOf(name: string): GpuOptimizer<O> | undefined {
    this.#live('gpuOptimizerOf');
    return this.#gpuVars.get(name)?.opt as GpuOptimizer<O> | undefined;
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const owner = `${this.#owner}: applyGradients`;
    this.#live('applyGradients');
    const gpu = Object.prototype.hasOwnProperty.call(GPU_SPECS, this.kind) ? webgpuBackend() : undefined;
    if (gpu) {
      const list = readGradients(owner, variableGradients, (name) => this.#gpuVars.get(name)?.shape ?? this.#vars.get(name)?.shape ?? savedFor(this.#saved, name)?.[1].shape);
      // a variable already stepped on the CPU keeps its state there: the call takes the readback path
      if (!list.some((w) => this.#vars.has(w.name))) return this.#applyOnGpu(owner, gpu, list);
    } else if (this.#gpuVars.size > 0) {
      const list = readGradients(owner, variableGradients, () => undefined);
      const onGpu = list.find((w) => this.#gpuVars.has(w.name));
      if (onGpu) throw new Error(`${owner}: the state of ${JSON.stringify(onGpu.name)} lives on the GPU (it was stepped on TF.js's webgpu backend), but the backend is now ${JSON.stringify(getBackendName())}; nothing was changed`);
    }
    // Everything is checked (and every gradient read) before anything changes.
    const work = readGradients(owner, variableGradients, (name) => this.#vars.get(name)?.shape ?? savedFor(this.#saved, name)?.[1].shape).map(({ name, v, g }) => ({
      name,
      v,
      g: valuesOf(g), // (src/tfjs/transfer.ts) valid until the next TF.js operation: used before the first assign below
      entry: this.#vars.get(name),
      saved: this.#vars.has(name) ? undefined : savedFor(this.#saved, name),
    }));
    const { checkFinite = true, skipNonFinite = false, maxGradNorm, gradNormType = 2 } = this.#step;
    if (checkFinite || skipNonFinite) {
      for (const [i, w] of work.entries()) {
        const j = firstNonFinite(w.g);
        if (j === -1) continue;
        if (skipNonFinite) return; // the whole call is skipped, as step() returns false
        throw new NonFiniteGradientError(
          `${owner}: the gradient of ${JSON.stringify(w.name)} has ${w.g[j]} at [${j}]; nothing was changed ` +
            '(options: skipNonFinite: true skips such steps, checkFinite: false lets them through)',
          i,
          j,
        );
      }
    }
    // New variables' optimizers (fresh state), then the steps.
    const made: CoreOptimizer<object>[] = [];
    let entries: Entry[];
    try {
      entries = work.map((w) => {
        if (w.entry) return w.entry;
        const group = this.groupOf(w.name);
        // the variable's shape goes with it (Muon and Adafactor need it; elementwise methods ignore it)
        const opt = new this.#Cls([{ data: new Float32Array(w.v.size), shape: [...w.v.shape] }], { ...this.#hyper[group], checkFinite: false });
        made.push(opt);
        if (w.saved) opt.loadStateDict(this.#dict(group, w.saved[1].state));
        return { shape: [...w.v.shape], group, opt };
      });
    } catch (e) {
      made.forEach((o) => o.dispose());
      throw e;
    }
    work.forEach((w, i) => {
      const e = entries[i]!;
      e.opt.params[0]!.set(valuesOf(w.v));
      e.opt.grads[0]!.set(w.g);
      if (!w.entry) this.#vars.set(w.name, e);
      if (w.saved) this.#saved.delete(w.saved[0]);
    });
    if (maxGradNorm !== undefined && entries.length > 0) clipGradNorm(entries.map((e) => e.opt.grads[0]!), maxGradNorm, gradNormType);
    for (const [i, w] of work.entries()) {
      const e = entries[i]!;
      e.opt.step();
      this.#assigned.assign(w.v, e.opt.params[0]!, e.shape);
    }
    this.incrementIterations();
  }

  #disposeGpu(): void {
    for (const e of this.#gpuVars.values()) {
      e.opt.dispose();
      e.buffer.destroy?.();
    }
    this.#gpuVars.clear();
    this.#gpuControl?.control.buffer.destroy?.();
    this.#gpuControl = undefined;
  }

  /**
   * applyGradients on TF.js's webgpu backend (src/tfjs/webgpu.ts): each
   * variable's WebGPU optimizer steps its own parameter buffer with the
   * gradient's GPU buffer, and the result is assigned back by a GPU copy.
   * Joint clipping (maxGradNorm) is done with TF.js ops on the GPU first. All
   * the variables' updates go in one submission (GpuOptimizer.stepTogether)
   * with ONE non-finite decision for the call, as the CPU path makes: every
   * variable's gradient check ORs its flag into one control buffer, which every
   * update reads, so with checkFinite or skipNonFinite a NaN or an infinity in
   * any gradient skips every variable's update. It cannot throw here (the CPU
   * never sees the values): checkFinite skips as skipNonFinite does.
   */
  #applyOnGpu(owner: string, b: WebGpuBackendShape, list: { name: string; v: Variable; g: Tensor }[]): void {
    const { checkFinite = true, skipNonFinite = false, maxGradNorm, gradNormType = 2 } = this.#step;
    let grads = list.map((w) => w.g);
    const clipped = maxGradNorm !== undefined && list.length > 0 ? clipOnGpu(grads, maxGradNorm, gradNormType) : undefined;
    if (clipped) grads = clipped;
    try {
      const bufs = list.map((w, i) => {
        const vb = bufferOf(b, w.v);
        const gb = bufferOf(b, grads[i]!);
        if (!vb || !gb) throw new Error(`${owner}: the data of ${JSON.stringify(w.name)} or of its gradient is not in a GPU buffer of the webgpu backend (TF.js internals not as expected); nothing was changed`);
        return { vb, gb };
      });
      flush(b); // the backend's recorded kernels (the gradients among them) go first
      const made: GpuEntry[] = [];
      let entries: GpuEntry[];
      try {
        entries = list.map((w) => {
          const known = this.#gpuVars.get(w.name);
          if (known) return known;
          const group = this.groupOf(w.name);
          const n = w.v.size;
          const buffer = b.device.createBuffer({ size: 4 * n, usage: TENSOR_USAGE, label: `wasm-optim ${w.name}` });
          let opt: GpuOptimizer<object>;
          try {
            opt = new GpuOptimizer(
              b.device,
              GPU_SPECS[this.kind as keyof typeof GPU_SPECS] as never,
              [{ buffer, length: n }],
              { ...this.#hyper[group], checkFinite: checkFinite || skipNonFinite },
              this.#controlFor(b),
            );
          } catch (e) {
            buffer.destroy?.();
            throw e;
          }
          const e: GpuEntry = { shape: [...w.v.shape], group, opt, buffer, last: undefined };
          made.push(e);
          const saved = savedFor(this.#saved, w.name);
          if (saved) opt.loadStateDictSync(this.#dict(group, saved[1].state));
          return e;
        });
      } catch (e) {
        for (const m of made) {
          m.opt.dispose();
          m.buffer.destroy?.();
        }
        throw e;
      }
      // Checked: now change things.
      list.forEach((w, i) => {
        if (!this.#gpuVars.has(w.name)) {
          this.#gpuVars.set(w.name, entries[i]!);
          const saved = savedFor(this.#saved, w.name);
          if (saved) this.#saved.delete(saved[0]);
        }
      });
      copyOnGpu(
        b.device,
        list.flatMap((w, i) => (entries[i]!.last === w.v.dataId ? [] : [{ from: bufs[i]!.vb, to: entries[i]!.buffer, bytes: 4 * w.v.size }])),
      );
      GpuOptimizer.stepTogether(this.#controlFor(b), list.map((_, i) => ({ opt: entries[i]!.opt, grads: [bufs[i]!.gb] })));
      list.forEach((w, i) => (entries[i]!.last = assignFromGpu(w.v, entries[i]!.buffer, entries[i]!.shape)));
    } finally {
      if (clipped) for (const t of clipped) t.dispose();
    }
    this.incrementIterations();
  }

  /** The shared control buffer on the backend's device (made on first use). */
  #controlFor(b: WebGpuBackendShape): SharedControl {
    if (this.#gpuControl?.device !== b.device) {
      if (this.#gpuVars.size > 0 && this.#gpuControl) throw new Error(`${this.#owner}: the webgpu backend's device changed while variables' state lives on the old one`);
      this.#gpuControl?.control.buffer.destroy?.();
      this.#gpuControl = { device: b.device, control: createSharedControl(b.device) };
    }
    return this.#gpuControl.control;
  }

  /** A one-parameter state dict for a variable of group `gi` (the group's current hyperparameters). */
  #dict(gi: number, state: ParamState | null): StateDict<object> {
    return { kind: this.kind, version: 1, state: [state], paramGroups: [{ ...this.#hyper[gi]!, params: [0] }] };
  }

  /**
   * The optimizer as a saved model holds it: the class, the step options,
   * and every group's match and current hyperparameters (so a learning rate
   * a scheduler has moved is saved as it is now). Strings are escaped to
   * survive tfjs-layers' load (see protect). A group matched by a function
   * cannot be saved: the error says so.
   */
  getConfig(): ConfigDict {
    this.#live('getConfig');
    const groups = this.#matches.map((m, i) => {
      let match: SavedMatch;
      if (m instanceof RegExp) match = { regexp: m.source, flags: m.flags };
      else if (typeof m === 'string') match = { name: m };
      else throw new TypeError(`${this.#owner}: getConfig: groups[${i}].match is a function, which a saved config cannot hold; give a RegExp or a string to save this optimizer`);
      return { match, ...this.#hyper[i] };
    });
    const config = { kind: this.kind, options: { ...this.#step, ...this.#hyper[this.#matches.length] }, groups };
    return protect(JSON.parse(JSON.stringify(config))) as ConfigDict;
  }

  /** Rebuilds a toTfjs optimizer from getConfig()'s output (tf.loadLayersModel calls this). */
  static override fromConfig<T extends Serializable>(_cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = unprotect(ownConfig(config)) as { kind?: unknown; options?: unknown; groups?: unknown };
    const entry = registry.find((e) => e.name === c.kind);
    if (!entry) throw new TypeError(`toTfjs.fromConfig: expected kind to be a registered optimizer name, got ${describe(c.kind)}`);
    if (!Array.isArray(c.groups ?? [])) throw new TypeError(`toTfjs.fromConfig: expected groups to be an array, got ${describe(c.groups)}`);
    const groups = ((c.groups ?? []) as Record<string, unknown>[]).map((g, i) => {
      const { match, ...h } = (g ?? {}) as { match?: SavedMatch };
      let m: VariableMatch;
      if (match && typeof (match as { regexp?: unknown }).regexp === 'string') m = new RegExp((match as { regexp: string }).regexp, String((match as { flags?: unknown }).flags ?? ''));
      else if (match && typeof (match as { name?: unknown }).name === 'string') m = (match as { name: string }).name;
      else throw new TypeError(`toTfjs.fromConfig: expected groups[${i}].match to be { regexp, flags } or { name }, got ${describe(match)}`);
      return { match: m, ...h };
    });
    return new TfjsWasmOptimizer(entry.class, (c.options ?? {}) as object, { groups }) as never;
  }

  /**
   * `iter`, then for every variable (in the order first seen): `${name}/state`,
   * a string scalar holding JSON `{ shape, step, ...running scalars }`
   * (doubles written exactly), then one float32 tensor `${name}/${buffer}` per
   * state buffer. The tensors stay valid until the next getWeights() or dispose().
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#live('getWeights');
    const items: { name: string; values: Float32Array | string; shape: readonly number[] }[] = [];
    const add = (name: string, shape: readonly number[], st: ParamState | null) => {
      const meta: Record<string, unknown> = { shape };
      const buffers: [string, Float32Array][] = [];
      for (const [k, v] of Object.entries(st ?? {})) {
        if (v instanceof Float32Array) buffers.push([k, v]);
        else meta[k] = v;
      }
      meta.buffers = buffers.map(([k]) => k);
      items.push({ name: `${name}/state`, values: JSON.stringify(meta), shape: [] });
      for (const [k, v] of buffers) items.push({ name: `${name}/${k}`, values: v, shape });
    };
    for (const [name, e] of this.#vars) add(name, e.shape, e.opt.stateDict().state[0] ?? null);
    for (const [name, e] of this.#gpuVars) add(name, e.shape, (await e.opt.stateDict()).state[0] ?? null);
    for (const [name, s] of this.#saved) add(name, s.shape, s.state);
    return this.#owned.make(this.iterations, items);
  }

  /**
   * Restores what getWeights() returned: the iteration count and each
   * variable's state, applied when the variable is next stepped (matched by
   * name, see savedFor). Everything is read and checked first (each
   * variable's state against its group, by loading it into a throwaway
   * optimizer); a malformed list changes nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const owner = `${this.#owner}: setWeights`;
    this.#live('setWeights');
    const { iterations, entries } = await readWeights(owner, weightValues);
    const saved = new Map<string, Saved>();
    for (let i = 0; i < entries.length; ) {
      const head = entries[i]!;
      if (!head.name.endsWith('/state') || !Array.isArray(head.values) || head.shape.length !== 0) {
        throw new RangeError(`${owner}: expected entry ${i + 1} to be a string scalar '<variable>/state', got ${JSON.stringify(head.name)}`);
      }
      const name = head.name.slice(0, -'/state'.length);
      if (saved.has(name)) throw new RangeError(`${owner}: variable ${JSON.stringify(name)} appears twice`);
      let meta: Record<string, unknown>;
      try {
        meta = JSON.parse(String(head.values[0])) as Record<string, unknown>;
      } catch {
        throw new RangeError(`${owner}: ${JSON.stringify(head.name)} is not valid JSON`);
      }
      const { shape, buffers, ...scalars } = meta ?? {};
      if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new RangeError(`${owner}: ${JSON.stringify(head.name)} has no valid shape`);
      if (!Array.isArray(buffers) || !buffers.every((b) => typeof b === 'string')) throw new RangeError(`${owner}: ${JSON.stringify(head.name)} has no valid buffers list`);
      i++;
      let state: ParamState | null = null;
      if ('step' in scalars) {
        state = { ...(scalars as ParamState) };
        for (const b of buffers as string[]) {
          const e = entries[i];
          const want = `${name}/${b}`;
          if (!e || e.name !== want) throw new RangeError(`${owner}: expected entry ${i + 1} to be ${JSON.stringify(want)}, got ${e ? JSON.stringify(e.name) : 'the end of the list'}`);
          if (!sameShape(e.shape, shape as number[])) throw new RangeError(`${owner}: ${JSON.stringify(want)} has shape [${e.shape.join(', ')}], expected [${shape.join(', ')}]`);
          state[b] = floatsOf(owner, e);
          i++;
        }
      }
      // checked by the class itself, against the group this variable falls in
      const size = (shape as number[]).reduce((a, d) => a * d, 1);
      const probe = new this.#Cls([{ data: new Float32Array(size), shape: shape as number[] }], { ...this.#hyper[this.groupOf(name)], checkFinite: false });
      try {
        probe.loadStateDict(this.#dict(this.groupOf(name), state));
      } catch (e) {
        throw new RangeError(`${owner}: the state of ${JSON.stringify(name)} does not fit this optimizer: ${(e as Error).message}`);
      } finally {
        probe.dispose();
      }
      saved.set(name, { shape: shape as number[], state });
    }
    // Checked: now replace everything.
    for (const e of this.#vars.values()) e.opt.dispose();
    this.#vars.clear();
    this.#disposeGpu();
    this.#saved = saved;
    this.iterations_ = iterations;
  }

  /** What src/torch-state.ts needs to know of the class: its name, torch names and running scalars. */
  #torchSpec(): MethodSpec<object, Scalars> {
    const e = registry.find((r) => r.name === this.kind)!;
    return { name: e.name, torch: e.torch, scalarNames: e.scalarNames } as unknown as MethodSpec<object, Scalars>;
  }

  /**
   * The state in torch's `optimizer.state_dict()` names, as a safetensors
   * file (as Optimizer.exportState): torch's parameter i is the i-th
   * variable, variables ordered by group (paramGroups order) and within a
   * group in the order first seen; `param_groups` has one entry per group
   * that has variables; `__metadata__.variables` lists the variables' names
   * in that order (JSON). Each variable's own step count is kept (torch
   * keeps one per parameter, too).
   */
  exportState(): Uint8Array {
    const owner = `${this.#owner}: exportState`;
    this.#live('exportState');
    if (this.#gpuVars.size > 0) {
      throw new Error(`${owner}: the state of ${JSON.stringify([...this.#gpuVars.keys()][0])} lives on the GPU (webgpu backend), and exportState() cannot read it back synchronously; use await getWeights()`);
    }
    const items = [
      ...[...this.#vars].map(([name, e]) => ({ name, group: e.group, shape: e.shape, state: e.opt.stateDict().state[0] ?? null })),
      ...[...this.#saved].map(([name, s]) => ({ name, group: this.groupOf(name), shape: s.shape, state: s.state })),
    ];
    if (items.length === 0) throw new Error(`${owner}: there is no state yet (no variable has been stepped or restored)`);
    const order = items.map((it, i) => [it, i] as const).sort((a, b) => a[0].group - b[0].group || a[1] - b[1]).map(([it]) => it);
    const groups = [...new Set(order.map((it) => it.group))];
    const sd: StateDict<object> = {
      kind: this.kind,
      version: 1,
      state: order.map((it) => it.state),
      paramGroups: groups.map((gi) => ({ ...this.#hyper[gi]!, params: order.flatMap((it, i) => (it.group === gi ? [i] : [])) })),
      shapes: order.map((it) => [...it.shape]),
    };
    const file = decodeSafetensors(owner, encodeTorchState(owner, this.#torchSpec(), sd));
    return encodeSafetensors(file.tensors, { ...file.metadata, variables: JSON.stringify(order.map((it) => it.name)) });
  }

  /**
   * Restores state written by exportState() or by torch (`state_dict()` of
   * the same optimizer class, as a safetensors file): torch's parameter i
   * is `variables[i]` (default: the file's `__metadata__.variables`, else
   * this optimizer's variableNames), each a variable known to TF.js or to
   * this optimizer; the file's param groups must be this optimizer's groups
   * of those variables, in order. Hyperparameters and each variable's state
   * are restored (applied when the variable is next stepped); everything is
   * checked first, and a malformed or mismatched file changes nothing.
   */
  importState(bytes: Uint8Array, options: { variables?: readonly string[] } = {}): void {
    const owner = `${this.#owner}: importState`;
    this.#live('importState');
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be { variables }, got ${describe(options)}`);
    const meta = decodeSafetensors(owner, bytes).metadata;
    let names: unknown = options.variables;
    if (names === undefined && meta.variables !== undefined) {
      try {
        names = JSON.parse(meta.variables);
      } catch {
        throw new RangeError(`${owner}: __metadata__.variables is not valid JSON`);
      }
    }
    names ??= this.variableNames;
    if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string') || new Set(names).size !== names.length) {
      throw new TypeError(`${owner}: expected variables to be a non-empty list of distinct variable names (torch's parameter order), got ${describe(names)}`);
    }
    const registered = engine().registeredVariables;
    const shapes = (names as string[]).map((n) => {
      const shape = this.#vars.get(n)?.shape ?? this.#saved.get(n)?.shape ?? (Object.prototype.hasOwnProperty.call(registered, n) ? registered[n]!.shape : undefined);
      if (!shape) throw new RangeError(`${owner}: no variable named ${JSON.stringify(n)} is known to this optimizer or registered with TF.js`);
      return shape;
    });
    const groupOf = (names as string[]).map((n) => this.groupOf(n));
    if (groupOf.some((g, i) => i > 0 && g < groupOf[i - 1]!)) {
      throw new RangeError(`${owner}: the variables must come group by group, in paramGroups order (torch numbers its parameters that way); got groups [${groupOf.join(', ')}]`);
    }
    const groups = [...new Set(groupOf)];
    const sd = decodeTorchState(owner, this.#torchSpec(), bytes, shapes.map((s) => s.reduce((a, d) => a * d, 1)), groups.length);
    groups.forEach((gi, k) => {
      const want = groupOf.flatMap((g, i) => (g === gi ? [i] : []));
      const got = sd.paramGroups[k]!.params;
      if (!Array.isArray(got) || got.length !== want.length || got.some((v, i) => v !== want[i])) {
        throw new RangeError(`${owner}: param_groups[${k}].params must be [${want.join(', ')}] (the variables of paramGroups[${gi}]), got ${describe(got)}`);
      }
    });
    // each variable's state and its group's hyperparameters, checked by the class itself
    const hyper = new Map<number, Record<string, unknown>>();
    const saved = new Map<string, Saved>();
    (names as string[]).forEach((name, i) => {
      const gi = groupOf[i]!;
      const { params: _, ...h } = sd.paramGroups[groups.indexOf(gi)] as Record<string, unknown>;
      const size = shapes[i]!.reduce((a, d) => a * d, 1);
      const probe = new this.#Cls([{ data: new Float32Array(size), shape: [...shapes[i]!] }], { ...this.#hyper[gi], ...this.#step, checkFinite: false });
      try {
        probe.loadStateDict({ kind: this.kind, version: 1, state: [sd.state[i] ?? null], paramGroups: [{ ...this.#hyper[gi]!, ...h, params: [0] }] });
        hyper.set(gi, pick(probe.paramGroups[0] as unknown as Record<string, unknown>, Object.keys(this.#hyper[gi]!)));
      } catch (e) {
        throw new RangeError(`${owner}: the state of ${JSON.stringify(name)} does not fit this optimizer: ${(e as Error).message}`);
      } finally {
        probe.dispose();
      }
      saved.set(name, { shape: [...shapes[i]!], state: sd.state[i] ?? null });
    });
    // Checked: now replace the state of these variables, and their groups' hyperparameters.
    for (const name of names as string[]) {
      const e = this.#vars.get(name);
      if (e) e.opt.dispose();
      this.#vars.delete(name);
      const ge = this.#gpuVars.get(name);
      if (ge) {
        ge.opt.dispose();
        ge.buffer.destroy?.();
      }
      this.#gpuVars.delete(name);
      this.#saved.delete(name);
    }
    for (const [gi, h] of hyper) {
      Object.assign(this.#hyper[gi]!, h);
      for (const e of [...this.#vars.values(), ...this.#gpuVars.values()]) if (e.group === gi) Object.assign(e.opt.paramGroups[0] as unknown as Record<string, unknown>, h);
    }
    for (const [name, s] of saved) this.#saved.set(name, s);
  }

  /** Frees every variable's optimizer; later calls throw. Idempotent. */
  override dispose(): void {
    if (!this.#disposed) {
      this.#disposed = true;
      for (const e of this.#vars.values()) e.opt.dispose();
      this.#vars.clear();
      this.#disposeGpu();
      this.#saved.clear();
      this.#owned.release();
    }
    super.dispose();
  }
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = o[k];
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/**
 * Any registered wasm-optim optimizer as a tf.Optimizer: `toTfjs(AdamW, { lr, weightDecay },
 * { groups: [{ match: /bias/, weightDecay: 0 }] })`. Variables are matched by name.
 */
export function toTfjs<C extends OptimizerClass>(
  Cls: C,
  options: Partial<HyperparametersOf<C>> & StepOpts = {},
  extra: ToTfjsOptions<HyperparametersOf<C>> = {},
): TfjsWasmOptimizer<HyperparametersOf<C> & object> {
  return new TfjsWasmOptimizer(Cls, options as never, extra as never);
}

/**
 * The gradients scaled by c = min(1, maxNorm / (norm + 1e-6)), the norm taken
 * jointly over all of them (as clipGradNorm), with TF.js ops: on the webgpu
 * backend they run on the GPU and nothing is read back.
 */
function clipOnGpu(grads: Tensor[], maxNorm: number, normType: NormType): Tensor[] {
  return tidy(() => {
    let norm: Tensor;
    if (normType === Infinity) norm = grads.map((g) => max(abs(g))).reduce((a, c) => maximum(a, c));
    else if (normType === 1) norm = grads.map((g) => sum(abs(g))).reduce((a, c) => add(a, c));
    else norm = sqrt(grads.map((g) => sum(square(g))).reduce((a, c) => add(a, c)));
    const coef = minimum(scalar(1), div(scalar(maxNorm), add(norm, scalar(1e-6))));
    return grads.map((g) => mul(g, coef));
  });
}
