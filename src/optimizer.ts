// The optimizer base class: param groups, validation, layout in WebAssembly
// memory, the step protocol and (de)serialisation. A method (SGD, Adam, ...)
// is a MethodSpec: its defaults, one Rule per hyperparameter, the state
// buffers it needs and a `run` that calls its kernel for one group. This class
// decides; assembly/ computes.
import { Arena } from './arena.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { checkNormType, clipCoefficient, totalNorm, type NormType } from './clip.js';
import { checkFloat32Array, checkRule, describe, isDetached, isFloat32Array, nonNegative, type Rule } from './validate.js';
import type { Kernels } from './wasm.js';

/** Byte addresses of one group's buffers in its optimizer's memory. */
export interface GroupAddresses {
  /** parameters */
  p: number;
  /** gradients */
  g: number;
  /** state buffers, by name, in the order `buffers()` lists them */
  state: Record<string, number>;
  /** floats in each buffer (the group's tensors back to back, each padded to 4) */
  n: number;
}

/** What a method's `run` sees of a group's progress. */
export interface GroupProgress {
  /** 1-based count of the step being applied */
  t: number;
  /** state buffers that already hold data (SGD's momentum buffer starts on first use) */
  started: ReadonlySet<string>;
  /** the clip-by-norm coefficient of this step (1 without clipping), to multiply into the gradient */
  gradScale: number;
}

/** The kernels' gradient scale: -1 to maximize, +1 to minimize, times the clip coefficient. */
export function gradScale(maximize: boolean, ctx: GroupProgress): number {
  return maximize ? -ctx.gradScale : ctx.gradScale;
}

export interface MethodSpec<O extends object> {
  name: string;
  defaults: Readonly<O>;
  rules: { readonly [K in keyof O]: Rule };
  /** Constraints between options; returns what is wrong, or undefined. */
  check?(o: O): string | undefined;
  /** Every state buffer a group with these options needs (fixed at construction). */
  buffers(o: O): readonly string[];
  /** The buffers one step with these options reads and writes (a subset of `buffers`). */
  uses?(o: O): readonly string[];
  /**
   * The initial fill value of a state buffer (default 0), given the group's
   * options and the constructor-level options (`base`).
   */
  initial?(buffer: string, o: O, base: O): number;
  /** State exists from construction, as in PyTorch's Adagrad (otherwise from the first step). */
  eager?: boolean;
  /**
   * State buffers start on first use (SGD's momentum buffer, Rprop's step
   * sizes), so a state dict with step > 0 may lack them. Otherwise every buffer
   * a step uses must be present once step > 0.
   */
  lazy?: boolean;
  /**
   * Whether flushing subnormal state to zero is invisible with these options
   * (default true). A method that divides by an eps-sized term answers false
   * for eps < 1e-12, where a ratio of two subnormals is an ordinary number.
   */
  flushes?(o: O): boolean;
  /** Applies one step to one group: calls exactly one kernel. */
  run(k: Kernels, a: GroupAddresses, o: Readonly<O>, progress: GroupProgress): void;
}

/** A param group as passed to a constructor: its tensors and any options that differ. */
export type ParamGroupInput<O> = { params: Float32Array[] } & Partial<O>;

/** Options of every optimizer that are not per-group hyperparameters. */
export interface StepOptions {
  /**
   * Check every gradient for NaN and +-Infinity before a step (one read-only
   * SIMD pass). A non-finite gradient then throws a NonFiniteGradientError
   * and nothing changes. Default true. With false, non-finite values flow
   * into parameters and state as in PyTorch.
   */
  checkFinite?: boolean;
  /** Skip a step with a non-finite gradient instead of throwing: `step` returns false. Default false. */
  skipNonFinite?: boolean;
  /**
   * Clip all gradients by their joint norm before the update, as
   * torch.nn.utils.clip_grad_norm_(params, maxGradNorm, gradNormType) would:
   * c = min(1, maxGradNorm / (norm + 1e-6)) multiplies every gradient. The norm
   * pass replaces the finiteness check, and c is folded into the update
   * kernels, so clipping costs no extra pass over memory; the gradient buffers
   * themselves are not rescaled. Default: no clipping.
   */
  maxGradNorm?: number;
  /** The norm for maxGradNorm: 1, 2 (default) or Infinity. */
  gradNormType?: NormType;
}

/** A param group as exposed on `opt.paramGroups`: options are validated when assigned. */
export type ParamGroup<O> = O & { readonly params: readonly Float32Array[] };

/** Per-parameter state in a state dict: the group's step count and the state buffers that hold data. */
export type ParamState = { step: number } & Record<string, Float32Array | number>;

/** Plain, structured-clone-able optimizer state (PyTorch's state_dict shape, camelCase). */
export interface StateDict<O> {
  /** The optimizer class that wrote it. */
  kind: string;
  /** Format version of this dict. */
  version: 1;
  /** One entry per parameter, in order across groups; null where no state exists yet. */
  state: (ParamState | null)[];
  /** Hyperparameters per group, with the indices of the group's parameters. */
  paramGroups: (O & { params: number[] })[];
}

/** Thrown by `step` when a gradient holds NaN or +-Infinity; nothing was changed. */
export class NonFiniteGradientError extends RangeError {
  override name = 'NonFiniteGradientError';
  constructor(
    message: string,
    /** index of the gradient across all groups */
    readonly param: number,
    /** element index inside it */
    readonly index: number,
  ) {
    super(message);
  }
}

const STEP_OPTION_RULES: Record<Exclude<keyof StepOptions, 'gradNormType'>, Rule> = {
  checkFinite: { expected: 'true or false', type: 'boolean', test: () => true },
  skipNonFinite: { expected: 'true or false', type: 'boolean', test: () => true },
  maxGradNorm: { expected: 'a number >= 0 (Infinity measures the norm without clipping)', type: 'number', test: (v: number) => v >= 0 },
};
const STEP_OPTIONS = [...Object.keys(STEP_OPTION_RULES), 'gradNormType'];
/**
 * PyTorch's implementation switches, accepted (true, false or null) so that
 * option objects written for torch.optim carry over, and ignored: they choose
 * between code paths that compute the same update, and here there is one.
 */
const TORCH_IMPLEMENTATION_FLAGS = ['foreach', 'fused', 'capturable', 'differentiable'];

interface Group<O> {
  options: O;
  /** global indices of this group's parameters */
  indices: number[];
  addr: GroupAddresses;
  /** buffers allocated for this group */
  allocated: readonly string[];
  step: number;
  started: Set<string>;
  view: ParamGroup<O>;
}

const FLOAT = 4;
/** Smallest positive normal float32, the kernels' flush threshold. */
const FLT_MIN = 2 ** -126;
/** eps below which the adaptive methods keep subnormal state (see MethodSpec.flushes). */
export const FLUSH_MIN_EPS = 1e-12;
/**
 * Subnormal state is flushed on every FLUSH_EVERY-th step only: a value that
 * decays into the subnormal range costs at most FLUSH_EVERY - 1 slow steps,
 * and the other steps run kernels with the flush compiled out (Adam: about
 * 10% faster in cache). Where flushing is allowed it cannot change a result,
 * so when it happens does not matter either.
 */
const FLUSH_EVERY = 16;
/** Every tensor starts on a 16-byte boundary, so SIMD loads are aligned. */
const pad4 = (n: number) => (n + 3) & ~3;

export abstract class Optimizer<O extends object> {
  readonly #spec: MethodSpec<O>;
  #arena: Arena | undefined;
  readonly #groups: Group<O>[] = [];
  /** the caller's arrays, synced after each `step(grads)` */
  readonly #callerParams: Float32Array[] = [];
  readonly #params: readonly Float32Array[];
  readonly #grads: readonly Float32Array[];
  readonly #paramGroups: readonly ParamGroup<O>[];
  /** [address, length] of every gradient, for the finiteness check */
  readonly #gradRegion: [number, number];
  readonly #checkFinite: boolean;
  readonly #skipNonFinite: boolean;
  readonly #maxGradNorm: number | undefined;
  readonly #gradNormType: NormType;
  #lastGradNorm: number | undefined;
  /** the flush threshold last set in this optimizer's kernel instance */
  #tiny = FLT_MIN;
  /** the constructor-level options (defaults merged with `options`) */
  readonly #base: O;

  protected constructor(spec: MethodSpec<O>, params: Float32Array[] | ParamGroupInput<O>[], options: Partial<O> & StepOptions = {}) {
    this.#spec = spec;
    const owner = spec.name;
    if (options === null || typeof options !== 'object' || Array.isArray(options)) {
      throw new TypeError(`${owner}: options must be an object such as { lr: 0.01 }, got ${describe(options)}`);
    }
    const base = { ...spec.defaults } as O;
    const stepOpts: StepOptions = {};
    for (const [key, value] of Object.entries(options)) {
      if (value === undefined) continue;
      if (TORCH_IMPLEMENTATION_FLAGS.includes(key)) {
        if (value !== null && typeof value !== 'boolean') {
          throw new TypeError(`${owner}: invalid options.${key}: expected true, false or null (PyTorch's implementation switch, ignored here), got ${describe(value)}`);
        }
        continue;
      }
      if (key === 'gradNormType') {
        stepOpts.gradNormType = checkNormType(owner, 'options.gradNormType', value);
      } else if (key in STEP_OPTION_RULES) {
        checkRule(owner, `options.${key}`, STEP_OPTION_RULES[key as keyof typeof STEP_OPTION_RULES], value);
        (stepOpts as Record<string, unknown>)[key] = value;
      } else {
        (base as Record<string, unknown>)[key] = this.#checkOption(owner, `options.${key}`, key, value);
      }
    }
    this.#base = base;
    this.#checkFinite = stepOpts.checkFinite ?? true;
    this.#skipNonFinite = stepOpts.skipNonFinite ?? false;
    if (stepOpts.gradNormType !== undefined && stepOpts.maxGradNorm === undefined) {
      throw new TypeError(`${owner}: options.gradNormType needs options.maxGradNorm (it chooses the norm to clip by), got gradNormType ${stepOpts.gradNormType} alone`);
    }
    this.#maxGradNorm = stepOpts.maxGradNorm;
    this.#gradNormType = stepOpts.gradNormType ?? 2;

    const groupsIn = normalizeGroups(owner, params);
    const seen = new Set<Float32Array>();
    let index = 0;
    const specs: { options: O; tensors: Float32Array[]; allocated: readonly string[] }[] = [];
    groupsIn.forEach((gin, gi) => {
      const o = { ...base };
      for (const [key, value] of Object.entries(gin)) {
        if (key === 'params' || value === undefined) continue;
        (o as Record<string, unknown>)[key] = this.#checkOption(owner, `params[${gi}].${key}`, key, value);
      }
      this.#checkGroup(owner, `params[${gi}]`, o);
      const tensors = gin.params.map((t, i) => {
        const name = Array.isArray(params) && isFloat32Array(params[0]) ? `params[${index + i}]` : `params[${gi}].params[${i}]`;
        checkFloat32Array(owner, name, t);
        if (seen.has(t)) throw new TypeError(`${owner}: ${name} appears more than once; each parameter may be given only once`);
        seen.add(t);
        return t;
      });
      index += tensors.length;
      specs.push({ options: o, tensors, allocated: spec.buffers(o) });
    });

    // Layout: every group's parameters, then every group's gradients (one
    // contiguous region, checked in one pass), then each group's state buffers.
    const sizes = specs.map((s) => s.tensors.reduce((acc, t) => acc + pad4(t.length), 0));
    const totalFloats = sizes.reduce((a, b) => a + b, 0);
    const stateFloats = specs.reduce((acc, s, i) => acc + s.allocated.length * sizes[i]!, 0);
    const base0 = 64;
    const bytes = base0 + FLOAT * (2 * totalFloats + stateFloats);
    const arena = Arena.acquire(owner, bytes, this);
    this.#arena = arena;
    arena.kernels.setFlushThreshold(FLT_MIN); // a pooled instance may carry another's setting
    this.#tiny = FLT_MIN;
    const buffer = arena.buffer;

    const gradBase = base0 + FLOAT * totalFloats;
    let pOff = base0;
    let sOff = base0 + FLOAT * 2 * totalFloats;
    const params_: Float32Array[] = [];
    const grads_: Float32Array[] = [];
    let gIndex = 0;
    specs.forEach((s, gi) => {
      const n = sizes[gi]!;
      const state: Record<string, number> = {};
      for (const b of s.allocated) {
        state[b] = sOff;
        const init = spec.initial?.(b, s.options, base) ?? 0;
        if (init !== 0) new Float32Array(buffer, sOff, n).fill(init);
        sOff += FLOAT * n;
      }
      const addr: GroupAddresses = { p: pOff, g: pOff + (gradBase - base0), state, n };
      const indices: number[] = [];
      let off = 0;
      const views: Float32Array[] = [];
      for (const t of s.tensors) {
        const pv = new Float32Array(buffer, addr.p + FLOAT * off, t.length);
        pv.set(t);
        views.push(pv);
        params_.push(pv);
        grads_.push(new Float32Array(buffer, addr.g + FLOAT * off, t.length));
        this.#callerParams.push(t);
        indices.push(gIndex++);
        off += pad4(t.length);
      }
      pOff += FLOAT * n;
      const group: Group<O> = {
        options: s.options,
        indices,
        addr,
        allocated: s.allocated,
        step: 0,
        started: new Set(spec.eager ? s.allocated : []),
        view: undefined as unknown as ParamGroup<O>,
      };
      group.view = this.#makeGroupView(gi, group, Object.freeze(views));
      this.#groups.push(group);
    });
    this.#params = Object.freeze(params_);
    this.#grads = Object.freeze(grads_);
    this.#paramGroups = Object.freeze(this.#groups.map((g) => g.view));
    this.#gradRegion = [gradBase, totalFloats];
  }

  /** Validates one hyperparameter and returns the value to store (pairs are copied and frozen). */
  #checkOption(owner: string, name: string, key: string, value: unknown): unknown {
    const rule = (this.#spec.rules as Record<string, Rule | undefined>)[key];
    if (!rule || !Object.prototype.hasOwnProperty.call(this.#spec.rules, key)) {
      const where = name.split('.')[0];
      if (STEP_OPTIONS.includes(key) && where !== 'options') {
        throw new TypeError(
          `${owner}: ${JSON.stringify(key)} in ${where} is an optimizer-wide option, not a per-group hyperparameter: ` +
            `pass it in the constructor's options (the second argument)`,
        );
      }
      const valid = [...Object.keys(this.#spec.rules), ...(where === 'options' ? STEP_OPTIONS : [])].join(', ');
      throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in ${where} (valid options: ${valid})`);
    }
    checkRule(owner, name, rule, value);
    return rule.type === 'pair' ? Object.freeze([...(value as number[])]) : value;
  }

  #checkGroup(owner: string, where: string, o: O, allocated?: readonly string[]): void {
    const problem = this.#spec.check?.(o);
    if (problem) throw new RangeError(`${owner}: invalid options in ${where}: ${problem}`);
    if (allocated) {
      const missing = this.#spec.buffers(o).filter((b) => !allocated.includes(b));
      if (missing.length) {
        throw new RangeError(
          `${owner}: invalid options in ${where}: they need the state buffer(s) ${missing.join(', ')}, ` +
            `which this group was not created with (state buffers are allocated once, at construction, so that ` +
            `views never move); create the optimizer with these options instead`,
        );
      }
    }
  }

  #makeGroupView(gi: number, group: Group<O>, views: readonly Float32Array[]): ParamGroup<O> {
    const obj = {} as Record<string, unknown>;
    Object.defineProperty(obj, 'params', { value: views, enumerable: true });
    for (const key of Object.keys(this.#spec.rules)) {
      Object.defineProperty(obj, key, {
        enumerable: true,
        get: () => (group.options as Record<string, unknown>)[key],
        set: (value: unknown) => {
          this.#live(`paramGroups[${gi}].${key}`);
          const stored = this.#checkOption(this.#spec.name, `paramGroups[${gi}].${key}`, key, value);
          const next = { ...group.options, [key]: stored } as O;
          this.#checkGroup(this.#spec.name, `paramGroups[${gi}] (setting ${key} to ${describe(value)})`, next, group.allocated);
          group.options = next;
        },
      });
    }
    return Object.preventExtensions(obj) as ParamGroup<O>;
  }

  #live(what: string): Arena {
    const arena = this.#arena;
    if (!arena) throw new Error(`${this.#spec.name}: ${what} was used after dispose(); create a new optimizer`);
    return arena;
  }

  /** Name of the optimizer class, e.g. "Adam". */
  get kind(): string {
    return this.#spec.name;
  }

  /**
   * The parameters, as Float32Array views into this optimizer's WebAssembly
   * memory, in order across groups. They hold the current values at all times
   * and stay valid (same buffer, same place) until `dispose()`, which detaches
   * them.
   */
  get params(): readonly Float32Array[] {
    this.#live('params');
    return this.#params;
  }

  /** Gradient slots, Float32Array views into WebAssembly memory: write them, then call `step()`. */
  get grads(): readonly Float32Array[] {
    this.#live('grads');
    return this.#grads;
  }

  /** The param groups; assigning a hyperparameter validates it first. */
  get paramGroups(): readonly ParamGroup<O>[] {
    this.#live('paramGroups');
    return this.#paramGroups;
  }

  /** Number of steps applied so far (by the first group; all groups step together). */
  get stepCount(): number {
    this.#live('stepCount');
    return this.#groups[0]?.step ?? 0;
  }

  /**
   * One optimization step.
   *
   * `step(grads)`: copies one gradient per parameter (in order across groups)
   * into WebAssembly memory, updates, then writes the new values back into the
   * Float32Arrays the optimizer was constructed with.
   * `step()`: zero-copy; uses what was written into `opt.grads` and updates
   * `opt.params` only (the caller's original arrays are not touched).
   *
   * Returns true when the step was applied, false when it was skipped because
   * of a non-finite gradient (`skipNonFinite`). Any error leaves parameters and
   * state exactly as they were.
   */
  step(grads?: readonly Float32Array[]): boolean {
    const owner = `${this.#spec.name}.step`;
    const arena = this.#live('step()');
    const n = this.#grads.length;
    if (grads !== undefined) {
      if (!Array.isArray(grads)) {
        throw new TypeError(`${owner}: grads must be an array of ${n} Float32Array(s), one per parameter, got ${describe(grads)}`);
      }
      if (grads.length !== n) {
        throw new RangeError(`${owner}: expected ${n} gradient(s), one per parameter in order across groups, got ${grads.length}`);
      }
      // Fast path per tensor: a Float32Array of the right non-zero length cannot be
      // detached (a detached view has length 0); anything else gets the full check.
      for (let i = 0; i < n; i++) {
        const g = grads[i];
        const len = this.#grads[i]!.length;
        if (!(g instanceof Float32Array && g.length === len && len > 0)) checkFloat32Array(owner, `grads[${i}]`, g, len);
      }
      for (let i = 0; i < n; i++) {
        const t = this.#callerParams[i]!;
        const len = this.#params[i]!.length;
        if (t.length !== len || (len === 0 && isDetached(t))) {
          throw new TypeError(
            `${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized, so ` +
              `the updated values cannot be written back; read opt.params[${i}] and use step() without arguments`,
          );
        }
      }
      // A gradient that is a view of this optimizer's own memory (another slot,
      // say) could be overwritten by an earlier copy: take those out first.
      // (Rare: checked without allocating, so the common step allocates nothing.)
      const buffer = arena.buffer;
      let sources: readonly Float32Array[] = grads;
      for (let i = 0; i < n; i++) {
        if (grads[i]!.buffer === buffer && grads[i] !== this.#grads[i]) {
          sources = grads.map((g, j) => (g.buffer === buffer && g !== this.#grads[j] ? g.slice() : g));
          break;
        }
      }
      for (let i = 0; i < n; i++) {
        const g = sources[i]!;
        const slot = this.#grads[i]!;
        if (g !== slot) slot.set(g);
      }
    }
    const k = arena.kernels;
    const [addr, len] = this.#gradRegion;
    let scale = 1;
    let norm: number | undefined;
    if (this.#maxGradNorm !== undefined) {
      // one read-only pass: the norm, which is finite exactly when every gradient is
      norm = totalNorm((f) => f(k, addr, len), this.#gradNormType);
      if (!Number.isFinite(norm) && (this.#checkFinite || this.#skipNonFinite)) {
        if (this.#skipNonFinite) return false;
        throw this.#nonFiniteError(owner);
      }
      scale = clipCoefficient(this.#maxGradNorm, norm);
    } else if (this.#checkFinite || this.#skipNonFinite) {
      if (!k.allFinite(addr, len)) {
        if (this.#skipNonFinite) return false;
        throw this.#nonFiniteError(owner);
      }
    }
    for (const group of this.#groups) {
      const t = group.step + 1;
      const tiny = t % FLUSH_EVERY === 0 && this.#spec.flushes?.(group.options) !== false ? FLT_MIN : 0;
      if (tiny !== this.#tiny) {
        k.setFlushThreshold(tiny);
        this.#tiny = tiny;
      }
      this.#spec.run(k, group.addr, group.options, { t, started: group.started, gradScale: scale });
      group.step = t;
      if (group.started.size < group.allocated.length) {
        for (const b of this.#spec.uses?.(group.options) ?? this.#spec.buffers(group.options)) group.started.add(b);
      }
    }
    if (grads !== undefined) {
      for (let i = 0; i < n; i++) this.#callerParams[i]!.set(this.#params[i]!);
    }
    this.#lastGradNorm = norm;
    return true;
  }

  /**
   * With `maxGradNorm`: the joint gradient norm of the last applied step,
   * before clipping (what clip_grad_norm_ returns). Otherwise undefined.
   */
  get lastGradNorm(): number | undefined {
    this.#live('lastGradNorm');
    return this.#lastGradNorm;
  }

  #nonFiniteError(owner: string): NonFiniteGradientError {
    for (let i = 0; i < this.#grads.length; i++) {
      const g = this.#grads[i]!;
      for (let j = 0; j < g.length; j++) {
        if (!Number.isFinite(g[j]!)) {
          return new NonFiniteGradientError(
            `${owner}: grads[${i}][${j}] is ${g[j]}; the step was not applied and parameters and state are ` +
              `unchanged (options: skipNonFinite: true skips such steps, checkFinite: false lets them through as PyTorch does)`,
            i,
            j,
          );
        }
      }
    }
    return new NonFiniteGradientError(`${owner}: a gradient is not finite; the step was not applied`, -1, -1);
  }

  /** A plain, structured-clone-able copy of the optimizer state (PyTorch's state_dict, camelCase). */
  stateDict(): StateDict<O> {
    const arena = this.#live('stateDict()');
    const state: (ParamState | null)[] = [];
    const paramGroups: (O & { params: number[] })[] = [];
    for (const group of this.#groups) {
      const o: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(group.options)) o[key] = Array.isArray(v) ? [...v] : v;
      paramGroups.push({ ...(o as O), params: [...group.indices] });
      const has = group.step > 0 || this.#spec.eager;
      let off = 0;
      for (const idx of group.indices) {
        const len = this.#params[idx]!.length;
        if (!has) state.push(null);
        else {
          const s: ParamState = { step: group.step };
          for (const b of group.allocated) {
            if (group.started.has(b)) s[b] = new Float32Array(arena.buffer, group.addr.state[b]! + FLOAT * off, len).slice();
          }
          state.push(s);
        }
        off += pad4(len);
      }
    }
    return { kind: this.#spec.name, version: 1, state, paramGroups };
  }

  /**
   * Replaces hyperparameters and state with those of `sd` (from `stateDict()`
   * of an optimizer of the same kind over parameters of the same shapes).
   * Everything is checked before anything is written: on error nothing changes.
   */
  loadStateDict(sd: StateDict<O>): void {
    this.planStateDict(`${this.#spec.name}.loadStateDict`, sd)();
  }

  /**
   * Checks a state dict completely and returns the function that writes it
   * (the check may throw, the write cannot). `owner` names the public call in
   * error messages. Subclasses with state of their own extend this.
   */
  protected planStateDict(owner: string, sd: StateDict<O>): () => void {
    return this.#planLoad(owner, 'loadStateDict()', sd);
  }

  /**
   * Checks a state dict completely and returns the function that writes it:
   * the check can throw, the write cannot.
   */
  #planLoad(owner: string, what: string, sd: StateDict<O>): () => void {
    const arena = this.#live(what);
    if (sd === null || typeof sd !== 'object') throw new TypeError(`${owner}: expected a state dict object, got ${describe(sd)}`);
    if (sd.kind !== this.#spec.name) {
      throw new TypeError(`${owner}: this state dict belongs to ${describe(sd.kind)}, not ${this.#spec.name}`);
    }
    if (sd.version !== 1) throw new RangeError(`${owner}: unsupported state dict version ${describe(sd.version)} (this library reads version 1)`);
    if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== this.#groups.length) {
      throw new RangeError(
        `${owner}: expected ${this.#groups.length} param group(s), got ${Array.isArray(sd.paramGroups) ? sd.paramGroups.length : describe(sd.paramGroups)}`,
      );
    }
    if (!Array.isArray(sd.state) || sd.state.length !== this.#params.length) {
      throw new RangeError(`${owner}: expected state for ${this.#params.length} parameter(s), got ${Array.isArray(sd.state) ? sd.state.length : describe(sd.state)}`);
    }
    // 1. Check everything, building what will be written.
    const plans: { options: O; step: number; started: Set<string>; writes: [number, Float32Array | number[]][] }[] = [];
    this.#groups.forEach((group, gi) => {
      const sg = sd.paramGroups[gi] as Record<string, unknown>;
      if (sg === null || typeof sg !== 'object') throw new TypeError(`${owner}: paramGroups[${gi}] must be an object, got ${describe(sg)}`);
      const ids = sg.params;
      if (!Array.isArray(ids) || ids.length !== group.indices.length || ids.some((v, i) => v !== group.indices[i])) {
        throw new RangeError(
          `${owner}: paramGroups[${gi}].params must be [${group.indices.join(', ')}] (the parameters of this group), got ${describe(ids)}`,
        );
      }
      const options = { ...group.options };
      for (const key of Object.keys(sg)) {
        if (key === 'params') continue;
        (options as Record<string, unknown>)[key] = this.#checkOption(owner, `paramGroups[${gi}].${key}`, key, sg[key]);
      }
      this.#checkGroup(owner, `paramGroups[${gi}]`, options, group.allocated);
      let step: number | undefined;
      let started: Set<string> | undefined;
      const writes: [number, Float32Array | number[]][] = [];
      let off = 0;
      for (const idx of group.indices) {
        const len = this.#params[idx]!.length;
        const s = sd.state[idx] as Record<string, unknown> | null | undefined;
        const where = `state[${idx}]`;
        let thisStep = 0;
        const thisStarted = new Set<string>();
        if (s !== null && s !== undefined) {
          if (typeof s !== 'object') throw new TypeError(`${owner}: ${where} must be an object or null, got ${describe(s)}`);
          thisStep = s.step as number;
          if (!Number.isSafeInteger(thisStep) || thisStep < 0) {
            throw new RangeError(`${owner}: ${where}.step must be an integer >= 0, got ${describe(s.step)}`);
          }
          for (const key of Object.keys(s)) {
            if (key === 'step') continue;
            if (!group.allocated.includes(key)) {
              throw new RangeError(
                `${owner}: ${where}.${key} is not a state buffer of this group (it has: ${group.allocated.join(', ') || 'none'})`,
              );
            }
            const v = s[key];
            const arr = isFloat32Array(v) ? checkFloat32Array(owner, `${where}.${key}`, v, len) : v;
            if (!isFloat32Array(arr)) {
              if (!Array.isArray(arr) || arr.length !== len || !arr.every((x) => typeof x === 'number')) {
                throw new TypeError(`${owner}: ${where}.${key} must be a Float32Array (or array of numbers) of length ${len}, got ${describe(v)}`);
              }
            }
            writes.push([group.addr.state[key]! + FLOAT * off, arr as Float32Array | number[]]);
            thisStarted.add(key);
          }
        } else if (this.#spec.eager) {
          throw new RangeError(`${owner}: ${where} is missing; ${this.#spec.name} keeps state for every parameter from construction`);
        }
        if (thisStep > 0 && !this.#spec.lazy) {
          const missing = (this.#spec.uses?.(options) ?? this.#spec.buffers(options)).filter((b) => !thisStarted.has(b));
          if (missing.length) {
            throw new RangeError(`${owner}: ${where} has step ${thisStep} but no ${missing.join(', ')}; a state dict after a step must hold every state buffer`);
          }
        }
        if (step === undefined) {
          step = thisStep;
          started = thisStarted;
        } else if (step !== thisStep || !sameSet(started!, thisStarted)) {
          throw new RangeError(
            `${owner}: the parameters of paramGroups[${gi}] must share one step count and the same state buffers ` +
              `(every group steps as one); ${where} differs (step ${thisStep}, expected ${step})`,
          );
        }
        off += pad4(len);
      }
      plans.push({ options, step: step ?? 0, started: started ?? new Set(), writes });
    });
    // 2. Write: nothing below can fail.
    return () => this.#groups.forEach((group, gi) => {
      const plan = plans[gi]!;
      for (const b of group.allocated) {
        new Float32Array(arena.buffer, group.addr.state[b]!, group.addr.n).fill(this.#spec.initial?.(b, plan.options, this.#base) ?? 0);
      }
      for (const [addr, arr] of plan.writes) new Float32Array(arena.buffer, addr, arr.length).set(arr);
      group.options = plan.options;
      group.step = plan.step;
      group.started = plan.started;
    });
  }

  /**
   * A binary checkpoint: hyperparameters, step counts, parameter shapes, the
   * state buffers and (unless `{ params: false }`) the parameter values, with a
   * CRC-32 (format: src/checkpoint.ts, README "Checkpoints").
   */
  save(options: { params?: boolean } = {}): Uint8Array {
    this.#live('save()');
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.#spec.name}.save: options must be an object, got ${describe(options)}`);
    const withParams = options.params ?? true;
    if (typeof withParams !== 'boolean') throw new TypeError(`${this.#spec.name}.save: options.params must be true or false, got ${describe(withParams)}`);
    return encodeCheckpoint(this.stateDict(), this.#params.map((p) => p.length), withParams ? this.#params : undefined);
  }

  /**
   * Restores a checkpoint written by `save()` of an optimizer of the same kind
   * over parameters of the same shapes: all or nothing. Truncated, corrupted
   * or foreign bytes, another optimizer kind, other shapes or a future format
   * version throw a clear error and change nothing.
   */
  load(bytes: Uint8Array): void {
    const owner = `${this.#spec.name}.load`;
    this.#live('load()');
    const { stateDict, shapes, params } = decodeCheckpoint(owner, bytes);
    if (stateDict.kind !== this.#spec.name) {
      throw new TypeError(`${owner}: this checkpoint belongs to ${describe(stateDict.kind)}, not ${this.#spec.name}`);
    }
    const mine = this.#params.map((p) => p.length);
    if (shapes.length !== mine.length || shapes.some((n, i) => n !== mine[i])) {
      throw new RangeError(`${owner}: the checkpoint holds parameters of sizes [${shapes.join(', ')}], this optimizer has [${mine.join(', ')}]`);
    }
    if (params) {
      // the caller's arrays are synced too, so check them before anything is written
      this.#callerParams.forEach((t, i) => {
        if (t.length !== mine[i] || (mine[i] === 0 && isDetached(t))) {
          throw new TypeError(`${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized; nothing was changed`);
        }
      });
    }
    this.planStateDict(owner, stateDict as StateDict<O>)();
    if (params) {
      params.forEach((p, i) => {
        this.#params[i]!.set(p);
        this.#callerParams[i]!.set(p);
      });
    }
  }

  /**
   * Frees this optimizer's WebAssembly memory. Its `params` and `grads` views
   * are detached (length 0) rather than left pointing at memory that may be
   * reused; any later call throws. Calling dispose() again does nothing.
   */
  dispose(): void {
    const arena = this.#arena;
    if (!arena) return;
    this.#arena = undefined;
    arena.release();
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#arena === undefined;
  }
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function normalizeGroups<O>(owner: string, params: unknown): ParamGroupInput<O>[] {
  if (!Array.isArray(params)) {
    throw new TypeError(`${owner}: params must be an array of Float32Arrays or of param groups { params: [...] }, got ${describe(params)}`);
  }
  if (params.length === 0) throw new RangeError(`${owner}: params is an empty list; give at least one parameter`);
  if (params.every(isFloat32Array)) return [{ params: params as Float32Array[] } as ParamGroupInput<O>];
  return params.map((g, gi) => {
    if (g === null || typeof g !== 'object' || isFloat32Array(g) || !Array.isArray((g as { params?: unknown }).params)) {
      throw new TypeError(
        `${owner}: params[${gi}] must be a Float32Array (all of them) or a param group { params: Float32Array[], ...options }, got ${describe(g)}`,
      );
    }
    return g as ParamGroupInput<O>;
  });
}
