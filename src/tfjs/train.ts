// `train.*`: TF.js 4.22's seven tf.train factories, computed by the WebAssembly
// kernels of assembly/tfjs.ts with TF.js's own formulas (operation for
// operation, in float32), so they return the numbers tf.train returns.
//
// Each optimizer owns one WebAssembly memory. A variable, found by name in
// tf.engine().registeredVariables, gets a region on first sight: a parameter
// buffer, a gradient buffer and its state buffers. A step copies the
// gradient's values in (and the variable's, unless it still holds what this
// optimizer assigned last), runs the kernel, and assigns a new tensor made
// from the parameter buffer (tf.tensor + assign, the temporary disposed), so
// the optimizer holds no tensors (but those its last getWeights() made). The
// routes: src/tfjs/transfer.ts.
import { Optimizer, backend, serialization, type NamedTensorMap, type Variable } from '@tensorflow/tfjs-core';
type Serializable = serialization.Serializable;
type SerializableConstructor<T extends Serializable> = serialization.SerializableConstructor<T>;
type ConfigDict = serialization.ConfigDict;
import { activeModule } from '../wasm.js';
import type { TfjsKernels } from './kernels.js';
import { describe, readGradients, sameShape, type NamedTensor } from './gradients.js';
import { OwnedWeights, floatsOf, ownConfig, readWeights, savedFor } from './weights.js';
import { Assigned, valuesOf } from './transfer.js';
import { NonFiniteGradientError } from '../step.js';

export type { NamedTensor } from './gradients.js';

const f32 = Math.fround;

/** One variable's region in the optimizer's memory (byte offsets). */
interface Slot {
  readonly name: string;
  readonly shape: readonly number[];
  readonly size: number;
  readonly p: number;
  readonly g: number;
  readonly state: readonly number[];
}


/** Checks a factory argument: a finite number, optionally within a range. */
function num(owner: string, name: string, v: unknown, range?: { min?: number; max?: number; maxExclusive?: boolean }): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new TypeError(`${owner}: expected ${name} to be a finite number, got ${describe(v)}`);
  }
  if (range) {
    const { min, max, maxExclusive } = range;
    if ((min !== undefined && v < min) || (max !== undefined && (maxExclusive ? v >= max : v > max))) {
      const hi = max === undefined ? '' : maxExclusive ? `, below ${max}` : ` and at most ${max}`;
      throw new RangeError(`${owner}: expected ${name} to be at least ${min ?? '-Infinity'}${hi}, got ${v}`);
    }
  }
  return v;
}

function bool(owner: string, name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`${owner}: expected ${name} to be a boolean, got ${describe(v)}`);
  return v;
}

/** epsilon: null/undefined means the backend's epsilon (1e-7 on cpu and wasm, 1e-4 on float16 webgl), as tf.train. */
function epsilon(owner: string, v: unknown): number {
  if (v === null || v === undefined) return backend().epsilon();
  return num(owner, 'epsilon', v, { min: 0 });
}

/** Saved state for a variable not seen since setWeights(): its shape and state arrays (in stateNames order). */
interface Saved {
  readonly shape: readonly number[];
  readonly state: readonly Float32Array[];
}

/**
 * The base of the seven: a tf.Optimizer subclass (so `instanceof tf.Optimizer`,
 * `minimize` and `computeGradients` are TF.js's own) whose applyGradients runs
 * a WebAssembly kernel per variable.
 *
 * Non-finite gradients: tf.train lets them through; here, as in every
 * wasm-optim optimizer, `checkFinite` (default true) refuses a call with a
 * NaN or infinite gradient with a NonFiniteGradientError and changes nothing,
 * and `skipNonFinite` skips such a call (the iteration count does not move).
 * They are properties, not factory arguments, so the factories keep
 * tf.train's signatures; with finite gradients the numbers are tf.train's.
 */
export abstract class TfjsTrainOptimizer extends Optimizer {
  /** The factory's name, e.g. 'train.adam', in error messages. */
  protected readonly owner: string;
  /** State buffers per variable and their initial value. */
  protected abstract readonly stateBuffers: number;
  protected stateInit = 0;
  /** Refuse a call with a non-finite gradient (NonFiniteGradientError, nothing changed). Default true. */
  checkFinite = true;
  /** Skip a call with a non-finite gradient instead (returns without changing anything). Default false. */
  skipNonFinite = false;

  #memory: WebAssembly.Memory | undefined;
  #k: TfjsKernels | undefined;
  #f32: Float32Array = new Float32Array(0);
  #top = 16;
  #slots = new Map<string, Slot>();
  /** State restored by setWeights() for variables not stepped since, by saved name. */
  #saved = new Map<string, Saved>();
  #owned = new OwnedWeights();
  #assigned = new Assigned();
  #disposed = false;

  constructor(owner: string) {
    super();
    this.owner = owner;
    // like every wasm-optim optimizer: `await ready()` first (the error says so)
    this.#kernels();
  }

  /** tf.train's names of the state tensors (`${variable}/${name}` in getWeights), in state-buffer order. */
  protected abstract stateNames(): readonly string[];
  /** Runs the kernel on one variable's slot (its parameter and gradient already copied in). */
  protected abstract update(k: TfjsKernels, s: Slot): void;
  /** Per-call scalars before the variables (Adam's 1 - accBeta), and their update after. */
  protected beforeStep(): void {}
  protected afterStep(): void {}
  /** Sets the running scalars (Adam's beta powers) to what `iterations` calls leave them at. */
  protected restoreScalars(_iterations: number): void {}

  #kernels(): TfjsKernels {
    if (!this.#k) {
      const { module } = activeModule(this.owner);
      this.#memory = new WebAssembly.Memory({ initial: 1 });
      this.#k = new WebAssembly.Instance(module, { env: { memory: this.#memory } }).exports as unknown as TfjsKernels;
      this.#f32 = new Float32Array(this.#memory.buffer);
    }
    return this.#k;
  }

  #alloc(floats: number): number {
    const bytes = Math.ceil(floats / 4) * 16; // 16-byte aligned regions
    const at = this.#top;
    const need = at + bytes;
    const memory = this.#memory!;
    if (need > memory.buffer.byteLength) {
      memory.grow(Math.ceil((need - memory.buffer.byteLength) / 65536));
      this.#f32 = new Float32Array(memory.buffer);
    }
    this.#top = need;
    return at;
  }

  /** A region for a variable seen for the first time: fresh state, or what setWeights() restored for it. */
  #slot(name: string, v: Variable, saved: Saved | undefined): Slot {
    const size = v.size;
    const p = this.#alloc(size);
    const g = this.#alloc(size);
    const state: number[] = [];
    for (let i = 0; i < this.stateBuffers; i++) {
      const at = this.#alloc(size);
      if (saved) this.#f32.set(saved.state[i]!, at >> 2);
      else this.#f32.fill(this.stateInit, at >> 2, (at >> 2) + size);
      state.push(at);
    }
    return { name, shape: [...v.shape], size, p, g, state };
  }

  /** The variables' names this optimizer holds state for, in the order it first saw them. */
  get variableNames(): string[] {
    return [...this.#slots.keys()];
  }

  #live(what: string): void {
    if (this.#disposed) throw new Error(`${this.owner}: ${what} was called after dispose(); create a new optimizer`);
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const owner = `${this.owner}: applyGradients`;
    this.#live('applyGradients');
    // Everything is checked before anything changes.
    const work = readGradients(owner, variableGradients, (name) => this.#slots.get(name)?.shape ?? savedFor(this.#saved, name)?.[1].shape).map((w) => ({
      ...w,
      slot: this.#slots.get(w.name),
      saved: this.#slots.has(w.name) ? undefined : savedFor(this.#saved, w.name),
    }));
    const k = this.#kernels();
    // New variables' regions (growing the memory is the one step that can
    // fail), then every gradient copied in and checked: a refused call frees
    // the new regions again, so nothing is changed.
    const top = this.#top;
    const slots = work.map((w) => w.slot ?? this.#slot(w.name, w.v, w.saved?.[1]));
    for (const [i, w] of work.entries()) this.#f32.set(valuesOf(w.g), slots[i]!.g >> 2); // (src/tfjs/transfer.ts)
    if (this.checkFinite || this.skipNonFinite) {
      const bad = slots.findIndex((s) => !k.allFinite(s.g, s.size));
      if (bad !== -1) {
        this.#top = top;
        if (this.skipNonFinite) return;
        const s = slots[bad]!;
        const j = this.#f32.subarray(s.g >> 2, (s.g >> 2) + s.size).findIndex((x) => !Number.isFinite(x));
        throw new NonFiniteGradientError(
          `${owner}: the gradient of ${JSON.stringify(s.name)} has ${this.#f32[(s.g >> 2) + j]} at [${j}]; nothing was changed ` +
            '(skipNonFinite = true skips such calls, checkFinite = false lets them through as tf.train does)',
          bad,
          j,
        );
      }
    }
    for (const [i, w] of work.entries()) {
      if (w.slot) continue;
      this.#slots.set(w.name, slots[i]!);
      if (w.saved) this.#saved.delete(w.saved[0]);
    }
    this.beforeStep();
    for (const [i, w] of work.entries()) {
      const s = slots[i]!;
      const mem = this.#f32;
      if (!this.#assigned.holds(w.v, s)) mem.set(valuesOf(w.v), s.p >> 2); // (src/tfjs/transfer.ts: the cheapest route per backend)
      this.update(k, s);
      this.#assigned.assign(w.v, mem.subarray(s.p >> 2, (s.p >> 2) + s.size), s.shape, s);
    }
    this.afterStep();
    this.incrementIterations();
  }

  /**
   * tf.train's layout: `iter`, then each state kind for every variable
   * (`${name}/m` for all, then `${name}/v` for all, ...), variables in the
   * order first seen. The tensors stay valid until the next getWeights() or
   * dispose(). (tf.train.adamax has no getWeights; this one uses the names
   * of its state variables, `/m` and `/v`.)
   */
  override async getWeights(): Promise<NamedTensor[]> {
    this.#live('getWeights');
    const names = this.stateNames();
    const vars: { name: string; shape: readonly number[]; state: Float32Array[] }[] = [];
    for (const s of this.#slots.values()) vars.push({ name: s.name, shape: s.shape, state: s.state.map((at) => this.#f32.slice(at >> 2, (at >> 2) + s.size)) });
    for (const [name, s] of this.#saved) vars.push({ name, shape: s.shape, state: [...s.state] });
    const items = names.flatMap((suffix, i) => vars.map((v) => ({ name: `${v.name}/${suffix}`, shape: v.shape, values: v.state[i]! })));
    return this.#owned.make(this.iterations, items);
  }

  /**
   * Restores what getWeights() (this class's or tf.train's for the same
   * factory) returned: the iteration count, the running scalars derived
   * from it, and each variable's state, applied when the variable is next
   * stepped (matched by name, see savedFor). Everything is read and checked
   * first; a malformed list changes nothing.
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    const owner = `${this.owner}: setWeights`;
    this.#live('setWeights');
    const { iterations, entries } = await readWeights(owner, weightValues);
    const names = this.stateNames();
    const saved = new Map<string, Saved>();
    if (names.length === 0) {
      if (entries.length > 0) throw new RangeError(`${owner}: this optimizer keeps no state per variable; expected only 'iter', got ${entries.length + 1} entries`);
    } else {
      const count = entries.length / names.length;
      if (!Number.isInteger(count)) {
        throw new RangeError(`${owner}: expected 'iter' then ${names.length} state tensors per variable (${names.map((n) => `/${n}`).join(', ')}), got ${entries.length} after 'iter'`);
      }
      for (let v = 0; v < count; v++) {
        const first = entries[v]!;
        const suffix0 = `/${names[0]}`;
        if (!first.name.endsWith(suffix0)) throw new RangeError(`${owner}: expected entry ${v + 1} to be named '<variable>${suffix0}', got ${JSON.stringify(first.name)}`);
        const name = first.name.slice(0, -suffix0.length);
        if (saved.has(name)) throw new RangeError(`${owner}: variable ${JSON.stringify(name)} appears twice`);
        const state = names.map((suffix, i) => {
          const e = entries[i * count + v]!;
          const want = `${name}/${suffix}`;
          if (e.name !== want) throw new RangeError(`${owner}: expected entry ${i * count + v + 1} to be ${JSON.stringify(want)}, got ${JSON.stringify(e.name)}`);
          if (!sameShape(e.shape, first.shape)) throw new RangeError(`${owner}: ${JSON.stringify(want)} has shape [${e.shape.join(', ')}], but ${JSON.stringify(first.name)} has [${first.shape.join(', ')}]`);
          return floatsOf(owner, e);
        });
        saved.set(name, { shape: first.shape, state });
      }
    }
    // Checked: now replace everything.
    this.#slots.clear();
    this.#top = 16;
    this.#saved = saved;
    this.iterations_ = iterations;
    this.restoreScalars(iterations);
  }

  /** Frees the optimizer's memory and the tensors getWeights() made; later calls throw. Idempotent. */
  override dispose(): void {
    this.#disposed = true;
    this.#slots.clear();
    this.#saved.clear();
    this.#owned.release();
    this.#k = undefined;
    this.#memory = undefined;
    this.#f32 = new Float32Array(0);
    super.dispose();
  }
}

type Slotted = Slot;

/** train.sgd(learningRate) */
export class TfjsSGD extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimSGD';
  }
  protected readonly stateBuffers: number = 0;
  protected c: number;
  constructor(public learningRate: number, owner = 'train.sgd') {
    super(owner);
    this.c = f32(-num(owner, 'learningRate', learningRate));
  }
  setLearningRate(learningRate: number): void {
    this.c = f32(-num(`${this.owner}: setLearningRate`, 'learningRate', learningRate));
    this.learningRate = learningRate;
  }
  protected stateNames(): readonly string[] {
    return [];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfSgd(s.p, s.g, s.size, this.c);
  }
  getConfig() {
    return { learningRate: this.learningRate };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsSGD)(c.learningRate as number) as never;
  }
}

/** train.momentum(learningRate, momentum, useNesterov = false) */
export class TfjsMomentum extends TfjsSGD {
  static override get className() {
    return 'WasmOptimMomentum';
  }
  protected override readonly stateBuffers = 1;
  constructor(learningRate: number, public momentum: number, public useNesterov = false) {
    super(learningRate, 'train.momentum');
    num('train.momentum', 'momentum', momentum);
    bool('train.momentum', 'useNesterov', useNesterov);
  }
  protected override stateNames(): readonly string[] {
    return ['momentum'];
  }
  protected override update(k: TfjsKernels, s: Slotted): void {
    k.tfMomentum(s.p, s.g, s.state[0]!, s.size, this.c, f32(this.momentum), this.useNesterov ? 1 : 0);
  }
  override getConfig() {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsMomentum)(c.learningRate as number, c.momentum as number, c.useNesterov as boolean) as never;
  }
}

/** train.adagrad(learningRate, initialAccumulatorValue = 0.1) */
export class TfjsAdagrad extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimAdagrad';
  }
  protected readonly stateBuffers = 1;
  constructor(public learningRate: number, public initialAccumulatorValue = 0.1) {
    super('train.adagrad');
    num(this.owner, 'learningRate', learningRate);
    this.stateInit = f32(num(this.owner, 'initialAccumulatorValue', initialAccumulatorValue, { min: 0 }));
  }
  protected stateNames(): readonly string[] {
    return ['accumulator'];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    // tf.train reads the backend's epsilon at every step
    k.tfAdagrad(s.p, s.g, s.state[0]!, s.size, f32(-this.learningRate), f32(backend().epsilon()));
  }
  getConfig() {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsAdagrad)(c.learningRate as number, c.initialAccumulatorValue as number) as never;
  }
}

/** train.adadelta(learningRate = 0.001, rho = 0.95, epsilon = backend epsilon) */
export class TfjsAdadelta extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimAdadelta';
  }
  protected readonly stateBuffers = 2;
  public epsilon: number;
  constructor(public learningRate = 0.001, public rho = 0.95, epsilon: number | null = null) {
    super('train.adadelta');
    num(this.owner, 'learningRate', learningRate);
    num(this.owner, 'rho', rho);
    this.epsilon = epsilon_(this.owner, epsilon);
  }
  protected stateNames(): readonly string[] {
    return ['accum_grad', 'accum_var'];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdadelta(s.p, s.g, s.state[0]!, s.state[1]!, s.size, f32(-this.learningRate), f32(this.rho), f32(1 - this.rho), f32(this.epsilon));
  }
  getConfig() {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsAdadelta)(c.learningRate as number, c.rho as number, c.epsilon as number) as never;
  }
}
const epsilon_ = epsilon;

/** train.adam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon) */
export class TfjsAdam extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimAdam';
  }
  protected readonly stateBuffers = 2;
  public epsilon: number;
  /** beta1^t and beta2^t as TF.js keeps them: running float32 products, starting at beta. */
  protected accBeta1: number;
  protected accBeta2: number;
  #bc1 = 0;
  #bc2 = 0;
  constructor(public learningRate = 0.001, public beta1 = 0.9, public beta2 = 0.999, epsilon: number | null = null) {
    super('train.adam');
    num(this.owner, 'learningRate', learningRate);
    num(this.owner, 'beta1', beta1, { min: 0, max: 1, maxExclusive: true });
    num(this.owner, 'beta2', beta2, { min: 0, max: 1, maxExclusive: true });
    this.epsilon = epsilon_(this.owner, epsilon);
    this.accBeta1 = f32(beta1);
    this.accBeta2 = f32(beta2);
  }
  protected override beforeStep(): void {
    this.#bc1 = f32(1 - this.accBeta1);
    this.#bc2 = f32(1 - this.accBeta2);
  }
  protected override afterStep(): void {
    this.accBeta1 = f32(this.accBeta1 * f32(this.beta1));
    this.accBeta2 = f32(this.accBeta2 * f32(this.beta2));
  }
  /**
   * The running products after `iterations` calls, multiplied out again in
   * float32 (tf.train's setWeights uses pow(beta, t + 1) instead, which can
   * differ in the last bit: continuing from a reload here is bit-identical
   * to not having stopped).
   */
  protected override restoreScalars(iterations: number): void {
    this.accBeta1 = f32(this.beta1);
    this.accBeta2 = f32(this.beta2);
    for (let t = 0; t < iterations; t++) this.afterStep();
  }
  protected stateNames(): readonly string[] {
    return ['m', 'v'];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdam(
      s.p, s.g, s.state[0]!, s.state[1]!, s.size, f32(-this.learningRate), this.#bc1, this.#bc2,
      f32(this.beta1), f32(1 - this.beta1), f32(this.beta2), f32(1 - this.beta2), f32(this.epsilon),
    );
  }
  getConfig() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsAdam)(c.learningRate as number, c.beta1 as number, c.beta2 as number, c.epsilon as number) as never;
  }
}

/** train.adamax(learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon = backend epsilon, decay = 0) */
export class TfjsAdamax extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimAdamax';
  }
  protected readonly stateBuffers = 2;
  public epsilon: number;
  protected accBeta1: number;
  /** TF.js's float32 `iteration` counter (lr / (1 + iteration*decay)). */
  protected iteration = 0;
  #s = 0;
  constructor(public learningRate = 0.002, public beta1 = 0.9, public beta2 = 0.999, epsilon: number | null = null, public decay = 0) {
    super('train.adamax');
    num(this.owner, 'learningRate', learningRate);
    num(this.owner, 'beta1', beta1, { min: 0, max: 1, maxExclusive: true });
    num(this.owner, 'beta2', beta2, { min: 0, max: 1 });
    this.epsilon = epsilon_(this.owner, epsilon);
    num(this.owner, 'decay', decay, { min: 0 });
    this.accBeta1 = f32(beta1);
  }
  protected override beforeStep(): void {
    const bc1 = f32(1 - this.accBeta1);
    const lr = f32(f32(-this.learningRate) / f32(f32(this.iteration * f32(this.decay)) + 1));
    this.#s = f32(lr / bc1);
  }
  protected override afterStep(): void {
    this.iteration = f32(this.iteration + 1);
    this.accBeta1 = f32(this.accBeta1 * f32(this.beta1));
  }
  protected override restoreScalars(iterations: number): void {
    this.iteration = 0;
    this.accBeta1 = f32(this.beta1);
    for (let t = 0; t < iterations; t++) this.afterStep();
  }
  protected stateNames(): readonly string[] {
    return ['m', 'v'];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdamax(s.p, s.g, s.state[0]!, s.state[1]!, s.size, this.#s, f32(this.beta1), f32(1 - this.beta1), f32(this.beta2), f32(this.epsilon));
  }
  getConfig() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsAdamax)(c.learningRate as number, c.beta1 as number, c.beta2 as number, c.epsilon as number, c.decay as number) as never;
  }
}

/** train.rmsprop(learningRate, decay = 0.9, momentum = 0, epsilon = backend epsilon, centered = false) */
export class TfjsRMSProp extends TfjsTrainOptimizer {
  static get className() {
    return 'WasmOptimRMSProp';
  }
  protected readonly stateBuffers: number;
  public epsilon: number;
  constructor(public learningRate: number, public decay = 0.9, public momentum = 0, epsilon: number | null = null, public centered = false) {
    super('train.rmsprop');
    num(this.owner, 'learningRate', learningRate);
    num(this.owner, 'decay', decay);
    num(this.owner, 'momentum', momentum);
    this.epsilon = epsilon_(this.owner, epsilon);
    bool(this.owner, 'centered', centered);
    this.stateBuffers = centered ? 3 : 2;
  }
  protected stateNames(): readonly string[] {
    return this.centered ? ['rms', 'momentum', 'mg'] : ['rms', 'momentum'];
  }
  protected update(k: TfjsKernels, s: Slotted): void {
    const lr = f32(this.learningRate), d = f32(this.decay), omd = f32(1 - this.decay), mu = f32(this.momentum), eps = f32(this.epsilon);
    // state: mean square, momentum, (centered) mean gradient
    if (this.centered) k.tfRmspropCentered(s.p, s.g, s.state[0]!, s.state[2]!, s.state[1]!, s.size, lr, d, omd, mu, eps);
    else k.tfRmsprop(s.p, s.g, s.state[0]!, s.state[1]!, s.size, lr, d, omd, mu, eps);
  }
  getConfig() {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
  static override fromConfig<T extends Serializable>(cls: SerializableConstructor<T>, config: ConfigDict): T {
    const c = ownConfig(config);
    return new (cls as never as typeof TfjsRMSProp)(c.learningRate as number, c.decay as number, c.momentum as number, c.epsilon as number, c.centered as boolean) as never;
  }
}

/**
 * tf.train's seven factories with the same signatures and defaults, computed by
 * WebAssembly kernels with TF.js 4.22's formulas. Call `await ready()` first.
 */
export const train = Object.freeze({
  sgd: (learningRate: number) => new TfjsSGD(learningRate),
  momentum: (learningRate: number, momentum: number, useNesterov = false) => new TfjsMomentum(learningRate, momentum, useNesterov),
  adagrad: (learningRate: number, initialAccumulatorValue = 0.1) => new TfjsAdagrad(learningRate, initialAccumulatorValue),
  adadelta: (learningRate = 0.001, rho = 0.95, epsilon: number | null = null) => new TfjsAdadelta(learningRate, rho, epsilon),
  adam: (learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null) => new TfjsAdam(learningRate, beta1, beta2, epsilon),
  adamax: (learningRate = 0.002, beta1 = 0.9, beta2 = 0.999, epsilon: number | null = null, decay = 0) =>
    new TfjsAdamax(learningRate, beta1, beta2, epsilon, decay),
  rmsprop: (learningRate: number, decay = 0.9, momentum = 0, epsilon: number | null = null, centered = false) =>
    new TfjsRMSProp(learningRate, decay, momentum, epsilon, centered),
});

/** The classes tf.serialization knows (so tf.loadLayersModel can rebuild a saved model's optimizer). */
export const TRAIN_CLASSES = [TfjsSGD, TfjsMomentum, TfjsAdagrad, TfjsAdadelta, TfjsAdam, TfjsAdamax, TfjsRMSProp] as const;
