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
// the optimizer holds no tensors at all. The routes: src/tfjs/transfer.ts.
import { Optimizer, backend, type NamedTensorMap, type Variable } from '@tensorflow/tfjs-core';
import { activeModule } from '../wasm.js';
import type { TfjsKernels } from './kernels.js';
import { describe, readGradients, type NamedTensor } from './gradients.js';
import { Assigned, valuesOf } from './transfer.js';

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

/**
 * The base of the seven: a tf.Optimizer subclass (so `instanceof tf.Optimizer`,
 * `minimize` and `computeGradients` are TF.js's own) whose applyGradients runs
 * a WebAssembly kernel per variable.
 */
export abstract class TfjsTrainOptimizer extends Optimizer {
  /** The factory's name, e.g. 'train.adam', in error messages. */
  protected readonly owner: string;
  /** State buffers per variable and their initial value. */
  protected abstract readonly stateBuffers: number;
  protected stateInit = 0;

  #memory: WebAssembly.Memory | undefined;
  #k: TfjsKernels | undefined;
  #f32: Float32Array = new Float32Array(0);
  #top = 16;
  #slots = new Map<string, Slot>();
  #assigned = new Assigned();
  #disposed = false;

  constructor(owner: string) {
    super();
    this.owner = owner;
    // like every wasm-optim optimizer: `await ready()` first (the error says so)
    this.#kernels();
  }

  /** Runs the kernel on one variable's slot (its parameter and gradient already copied in). */
  protected abstract update(k: TfjsKernels, s: Slot): void;
  /** Per-call scalars before the variables (Adam's 1 - accBeta), and their update after. */
  protected beforeStep(): void {}
  protected afterStep(): void {}

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

  #slot(name: string, v: Variable): Slot {
    const size = v.size;
    const p = this.#alloc(size);
    const g = this.#alloc(size);
    const state: number[] = [];
    for (let i = 0; i < this.stateBuffers; i++) {
      const at = this.#alloc(size);
      if (this.stateInit !== 0) this.#f32.fill(this.stateInit, at >> 2, (at >> 2) + size);
      state.push(at);
    }
    const s: Slot = { name, shape: [...v.shape], size, p, g, state };
    this.#slots.set(name, s);
    return s;
  }

  /** The variables' names this optimizer holds state for, in the order it first saw them. */
  get variableNames(): string[] {
    return [...this.#slots.keys()];
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const owner = `${this.owner}: applyGradients`;
    if (this.#disposed) throw new Error(`${owner}: this optimizer was disposed`);
    // Everything is checked before anything changes.
    const work = readGradients(owner, variableGradients, (name) => this.#slots.get(name)?.shape).map((w) => ({ ...w, slot: this.#slots.get(w.name) }));
    const k = this.#kernels();
    // new variables' regions first: growing the memory is the one step that can fail
    const slots = work.map((w) => w.slot ?? this.#slot(w.name, w.v));
    this.beforeStep();
    for (const [i, w] of work.entries()) {
      const s = slots[i]!;
      const mem = this.#f32; // after any growth
      if (!this.#assigned.holds(w.v, s)) mem.set(valuesOf(w.v), s.p >> 2); // (src/tfjs/transfer.ts: the cheapest route per backend)
      mem.set(valuesOf(w.g), s.g >> 2);
      this.update(k, s);
      this.#assigned.assign(w.v, mem.subarray(s.p >> 2, (s.p >> 2) + s.size), s.shape, s);
    }
    this.afterStep();
    this.incrementIterations();
  }

  /** Frees the optimizer's memory; later calls throw. Idempotent. */
  override dispose(): void {
    this.#disposed = true;
    this.#slots.clear();
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
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfSgd(s.p, s.g, s.size, this.c);
  }
  getConfig() {
    return { learningRate: this.learningRate };
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
  protected override update(k: TfjsKernels, s: Slotted): void {
    k.tfMomentum(s.p, s.g, s.state[0]!, s.size, this.c, f32(this.momentum), this.useNesterov ? 1 : 0);
  }
  override getConfig() {
    return { learningRate: this.learningRate, momentum: this.momentum, useNesterov: this.useNesterov };
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
  protected update(k: TfjsKernels, s: Slotted): void {
    // tf.train reads the backend's epsilon at every step
    k.tfAdagrad(s.p, s.g, s.state[0]!, s.size, f32(-this.learningRate), f32(backend().epsilon()));
  }
  getConfig() {
    return { learningRate: this.learningRate, initialAccumulatorValue: this.initialAccumulatorValue };
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
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdadelta(s.p, s.g, s.state[0]!, s.state[1]!, s.size, f32(-this.learningRate), f32(this.rho), f32(1 - this.rho), f32(this.epsilon));
  }
  getConfig() {
    return { learningRate: this.learningRate, rho: this.rho, epsilon: this.epsilon };
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
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdam(
      s.p, s.g, s.state[0]!, s.state[1]!, s.size, f32(-this.learningRate), this.#bc1, this.#bc2,
      f32(this.beta1), f32(1 - this.beta1), f32(this.beta2), f32(1 - this.beta2), f32(this.epsilon),
    );
  }
  getConfig() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
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
  protected update(k: TfjsKernels, s: Slotted): void {
    k.tfAdamax(s.p, s.g, s.state[0]!, s.state[1]!, s.size, this.#s, f32(this.beta1), f32(1 - this.beta1), f32(this.beta2), f32(this.epsilon));
  }
  getConfig() {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, decay: this.decay };
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
  protected update(k: TfjsKernels, s: Slotted): void {
    const lr = f32(this.learningRate), d = f32(this.decay), omd = f32(1 - this.decay), mu = f32(this.momentum), eps = f32(this.epsilon);
    // state: mean square, momentum, (centered) mean gradient
    if (this.centered) k.tfRmspropCentered(s.p, s.g, s.state[0]!, s.state[2]!, s.state[1]!, s.size, lr, d, omd, mu, eps);
    else k.tfRmsprop(s.p, s.g, s.state[0]!, s.state[1]!, s.size, lr, d, omd, mu, eps);
  }
  getConfig() {
    return { learningRate: this.learningRate, decay: this.decay, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
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
