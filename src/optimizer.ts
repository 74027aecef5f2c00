// The optimizer base class, as torch.optim.Optimizer: it owns the param
// groups, their memory, the lazy state and the validation of every input, and
// steps each group through its method's `run` (src/method.ts). The concepts
// it puts together live in their own files: options.ts (validation),
// layout.ts (memory), group-view.ts (paramGroups), step.ts (the step
// pipeline), state-dict.ts (state dicts), checkpoint.ts (the binary format),
// torch-state.ts (PyTorch's state as safetensors) and schedulers/resume.ts
// (schedulers in checkpoints).
import type { Arena } from './arena.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import { makeGroupView, type ParamGroup } from './group-view.js';
import { layOut, type Group, type Layout } from './layout.js';
import type { Kernels } from './wasm.js';
import { autoThreads, defaultThreads } from './threads/pool.js';
import { gainsFromPool } from './threads/auto.js';
import type { MethodSpec, Scalars } from './method.js';
import { parseGroups, parseOptions, type Param, type ParamGroupInput, type StepOptions } from './options.js';
import { buildStateDict, checkShapes, planLoad, type StateDict } from './state-dict.js';
import { applyStep, type StepTarget } from './step.js';
import { planSchedule, saveSchedule } from './schedulers/resume.js';
import type { Scheduler } from './schedulers/scheduler.js';
import { describe, isDetached } from './validate.js';
import { checkNotBusy, checkNotReading, copyUint8, Foreign, lengthOf, readInput, readPlain, setInto, typedArrayTag } from './input.js';
import { isScheduler } from './schedulers/resume.js';
import { decodeTorchState, encodeTorchState } from './torch-state.js';

export { FLUSH_MIN_EPS, gradScale, type GroupAddresses, type GroupProgress, type MethodSpec, type Scalars, type TensorSlot } from './method.js';
export type { Param, ParamGroupInput, ShapedParam, StepOptions } from './options.js';
export type { ParamGroup } from './group-view.js';
export type { ParamState, StateDict } from './state-dict.js';
export { NonFiniteGradientError } from './step.js';
export { ReentrantCallError } from './input.js';

/** What `Optimizer.internals` gives a subclass: the kernels, the groups (addresses, options, step, scalars) and the parameter arrays. */
export interface OptimizerInternals<O, S extends Scalars> {
  readonly kernels: Kernels;
  readonly groups: readonly Group<O, S>[];
  /** views of the parameters in memory, in order across groups */
  readonly params: readonly Float32Array[];
  readonly lengths: readonly number[];
  /** the arrays the optimizer was constructed with (synced after `step(grads)`) */
  readonly callerParams: readonly Float32Array[];
}

export abstract class Optimizer<O extends object, S extends Scalars = Scalars> {
  readonly #spec: MethodSpec<O, S>;
  #arena: Arena | undefined;
  readonly #layout: Layout<O, S>;
  readonly #stepper: StepTarget<O, S>;
  readonly #callerParams: readonly Float32Array[];
  readonly #paramGroups: readonly ParamGroup<O>[];
  /** the constructor-level options (defaults merged with `options`) */
  readonly #base: O;

  protected constructor(spec: MethodSpec<O, S>, params: Param[] | ParamGroupInput<O>[], options: Partial<O> & StepOptions = {}) {
    this.#spec = spec;
    // Read every argument once, into plain copies (the caller's Float32Arrays are kept by reference).
    const input = readInput(spec.name, () => ({
      params: readPlain(spec.name, 'params', params, { keepFloat32: true }),
      options: readPlain(spec.name, 'options', options),
    }));
    const { base, step } = parseOptions(spec, input.options);
    this.#base = base;
    const groups = parseGroups(spec, input.params, base);
    // under 'auto' (the default) an optimizer too small for any call to be split stays off the pool (ordinary memory)
    const threads = step.threads ?? (autoThreads() && !gainsFromPool(spec, groups) ? 1 : defaultThreads());
    const layout = layOut(spec, groups, base, this, threads, step.undoOnFailure);
    this.#layout = layout;
    this.#arena = layout.arena;
    this.#callerParams = Object.freeze(groups.flatMap((g) => g.tensors));
    this.#paramGroups = Object.freeze(layout.groups.map((g, gi) => makeGroupView(spec, gi, g, layout.groupParams[gi]!, (what) => this.#live(what))));
    this.#stepper = {
      spec,
      layout,
      options: step,
      callerParams: this.#callerParams,
      lastGradNorm: undefined,
      owner: `${spec.name}.step`,
      scratch: new Array<unknown>(layout.grads.length).fill(undefined),
    };
  }

  #live(what: string): Arena {
    const arena = this.#arena;
    if (!arena) throw new Error(`${this.#spec.name}: ${what} was used after dispose(); create a new optimizer`);
    return arena;
  }

  /**
   * For a method with operations besides `step` (the schedule-free methods'
   * opt.train()/opt.eval()): the live memory, for one synchronous operation. `what`
   * names the call in the error thrown after dispose(). Not public API.
   */
  protected internals(what: string): OptimizerInternals<O, S> {
    const arena = this.#live(what);
    return { kernels: arena.kernels, groups: this.#layout.groups, params: this.#layout.params, lengths: this.#layout.lengths, callerParams: this.#callerParams };
  }

  /**
   * Threads this optimizer's steps use (the calling thread included): its
   * `threads` option or `ready({ threads })`'s default where the worker pool
   * runs, else 1.
   */
  get threads(): number {
    return this.#live('threads').threads;
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
    return this.#layout.params;
  }

  /**
   * Every parameter's shape, in order across groups: as given (`{ data, shape }`),
   * or [length] for a plain Float32Array. Copies.
   */
  get shapes(): number[][] {
    this.#live('shapes');
    return this.#layout.shapes.map((s, i) => (s ? [...s] : [this.#layout.lengths[i]!]));
  }

  /** Gradient slots, Float32Array views into WebAssembly memory: write them, then call `step()`. */
  get grads(): readonly Float32Array[] {
    this.#live('grads');
    return this.#layout.grads;
  }

  /** The param groups; assigning a hyperparameter validates it first. */
  get paramGroups(): readonly ParamGroup<O>[] {
    this.#live('paramGroups');
    return this.#paramGroups;
  }

  /** Number of steps applied so far (by the first group; all groups step together). */
  get stepCount(): number {
    this.#live('stepCount');
    return this.#layout.groups[0]?.step ?? 0;
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
    checkNotReading(this.#stepper.owner);
    checkNotBusy(this, this.#stepper.owner);
    this.#live('step()');
    return applyStep(this.#stepper, grads);
  }

  /**
   * With `maxGradNorm`: the joint gradient norm of the last applied step,
   * before clipping (what clip_grad_norm_ returns). Otherwise undefined.
   */
  get lastGradNorm(): number | undefined {
    this.#live('lastGradNorm');
    return this.#stepper.lastGradNorm;
  }

  /** A plain, structured-clone-able copy of the optimizer state (PyTorch's state_dict, camelCase). */
  stateDict(): StateDict<O> {
    this.#live('stateDict()');
    return buildStateDict(this.#spec, this.#layout);
  }

  /**
   * Replaces hyperparameters and state with those of `sd` (from `stateDict()`
   * of an optimizer of the same kind over parameters of the same shapes).
   * Everything is checked before anything is written: on error nothing changes.
   */
  loadStateDict(sd: StateDict<O>): void {
    const owner = `${this.#spec.name}.loadStateDict`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('loadStateDict()');
    const copy = readInput(owner, () => readPlain(owner, 'the state dict', sd));
    planLoad(this.#spec, this.#layout, this.#base, owner, copy as StateDict<O>)();
  }

  /**
   * A binary checkpoint: hyperparameters, step counts, parameter shapes, the
   * state buffers and (unless `{ params: false }`) the parameter values, with a
   * CRC-32 (format: src/checkpoint.ts, README "Checkpoints"). With
   * `{ schedulers: [s1, s2] }` it also holds each scheduler's state, for
   * `load(bytes, { schedulers })`.
   */
  save(optionsIn: { params?: boolean; schedulers?: readonly Scheduler[] } = {}): Uint8Array {
    const owner = `${this.#spec.name}.save`;
    checkNotReading(owner);
    this.#live('save()');
    const options = readInput(owner, () => readPlain(owner, 'options', optionsIn, { keep: isScheduler }));
    if (options === null || typeof options !== 'object' || options instanceof Foreign || Array.isArray(options)) {
      throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
    }
    const { params, schedulers } = checkKeys(owner, options, ['params', 'schedulers']);
    const withParams = params ?? true;
    if (typeof withParams !== 'boolean') throw new TypeError(`${owner}: options.params must be true or false, got ${describe(withParams)}`);
    const schedule = saveSchedule(owner, this, schedulers);
    const layout = this.#layout;
    const shapes = layout.lengths.map((n, i) => (layout.shapes[i] ? [...layout.shapes[i]!] : n));
    return encodeCheckpoint(buildStateDict(this.#spec, layout), shapes, withParams ? layout.params : undefined, schedule);
  }

  /**
   * Restores a checkpoint written by `save()` of an optimizer of the same kind
   * over parameters of the same shapes: all or nothing. Truncated, corrupted
   * or foreign bytes, another optimizer kind, other shapes or a future format
   * version throw a clear error and change nothing.
   *
   * A checkpoint saved with `{ schedulers }` restores them too: create the
   * optimizer and its schedulers as in the saved run, then
   * `load(bytes, { schedulers: [s1, s2] })` (same kinds, same order). Such a
   * checkpoint refuses to load without them, since a scheduler created after
   * load would restart its schedule and overwrite the restored lr; pass
   * `{ schedulers: false }` to restore the optimizer alone.
   */
  load(bytesIn: Uint8Array, optionsIn: { schedulers?: readonly Scheduler[] | false } = {}): void {
    const owner = `${this.#spec.name}.load`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('load()');
    // One read of each argument: the bytes are copied through the Uint8Array intrinsics, the options into a plain object.
    const { bytes, options } = readInput(owner, () => ({
      bytes: typedArrayTag(bytesIn) === 'Uint8Array' ? copyUint8(bytesIn) : bytesIn !== null && typeof bytesIn === 'object' ? new Foreign(describe(bytesIn)) : bytesIn,
      options: readPlain(owner, 'options', optionsIn, { keep: isScheduler }),
    }));
    if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Foreign) {
      throw new TypeError(`${owner}: options must be an object such as { schedulers: [sched] }, got ${describe(options)}`);
    }
    const { schedulers } = checkKeys(owner, options, ['schedulers']);
    const { stateDict, shapes, dims, params, schedule } = decodeCheckpoint(owner, bytes);
    if (stateDict.kind !== this.#spec.name) {
      throw new TypeError(`${owner}: this checkpoint belongs to ${describe(stateDict.kind)}, not ${this.#spec.name}`);
    }
    const views = this.#layout.params;
    const mine = this.#layout.lengths;
    if (shapes.length !== mine.length || shapes.some((n, i) => n !== mine[i])) {
      throw new RangeError(`${owner}: the checkpoint holds parameters of sizes [${shapes.join(', ')}], this optimizer has [${mine.join(', ')}]`);
    }
    if (dims.some((d) => d !== undefined)) checkShapes(owner, 'the checkpoint\'s shapes', dims.map((d, i) => d ?? [shapes[i]!]), mine, this.#layout.shapes);
    if (params) {
      // the caller's arrays are synced too, so check them before anything is written
      this.#callerParams.forEach((t, i) => {
        if (lengthOf(t) !== mine[i] || (mine[i] === 0 && isDetached(t))) {
          throw new TypeError(`${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized; nothing was changed`);
        }
      });
    }
    const writeState = planLoad(this.#spec, this.#layout, this.#base, owner, stateDict as StateDict<O>);
    const writeSchedule = planSchedule(owner, this, schedulers, schedule);
    // Everything is checked: nothing below can fail.
    writeState();
    if (params) {
      params.forEach((p, i) => {
        setInto(views[i]!, p);
        setInto(this.#callerParams[i]!, p);
      });
    }
    writeSchedule();
  }

  /**
   * The optimizer state as a safetensors file with PyTorch's names
   * (`state.0.exp_avg`, `state.0.step`, `param_groups` as JSON in the
   * metadata; format: src/torch-state.ts), for torch's
   * `optimizer.load_state_dict` (README "PyTorch-compatible state").
   * Parameters are not included.
   */
  exportState(): Uint8Array {
    const owner = `${this.#spec.name}.exportState`;
    checkNotReading(owner);
    this.#live('exportState()');
    return encodeTorchState(owner, this.#spec as MethodSpec<object, Scalars>, buildStateDict(this.#spec, this.#layout));
  }

  /**
   * Replaces hyperparameters and state with those of a safetensors file of
   * torch's `optimizer.state_dict()` (from a torch.optim optimizer of the same
   * kind, or `exportState()`), over parameters of the same sizes. All or
   * nothing: a malformed or mismatched file throws an error naming what is
   * wrong and changes nothing.
   */
  importState(bytesIn: Uint8Array): void {
    const owner = `${this.#spec.name}.importState`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('importState()');
    const bytes = readInput(owner, () =>
      typedArrayTag(bytesIn) === 'Uint8Array' ? copyUint8(bytesIn) : bytesIn !== null && typeof bytesIn === 'object' ? new Foreign(describe(bytesIn)) : bytesIn,
    );
    const layout = this.#layout;
    const slots = layout.groups.flatMap((g) => g.tensors.map((t) => t.state));
    const sd = decodeTorchState(owner, this.#spec as MethodSpec<object, Scalars>, bytes, layout.lengths, layout.groups.length, (i, b) => slots[i]![b]?.length ?? null);
    planLoad(this.#spec, layout, this.#base, owner, sd as StateDict<O>)();
  }

  /**
   * Frees this optimizer's WebAssembly memory. Its `params` and `grads` views
   * are detached (length 0) rather than left pointing at memory that may be
   * reused; any later call throws. Calling dispose() again does nothing.
   */
  dispose(): void {
    checkNotReading(`${this.#spec.name}.dispose`);
    checkNotBusy(this, `${this.#spec.name}.dispose`);
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

/** A copy of an options object whose keys are all in `valid` (a misspelt option is an error, not ignored). */
function checkKeys(owner: string, options: object, valid: readonly string[]): Record<string, unknown> {
  const copy = options as Record<string, unknown>; // already a plain copy (readPlain)
  for (const key of Object.keys(copy)) {
    if (!valid.includes(key)) throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in options (valid options: ${valid.join(', ')})`);
  }
  return copy;
}
