// The training loop: epochs of seeded, shuffled batches over a dataset, a
// caller-supplied loss-and-gradient function, any optimizer class. Batch size
// N is full-batch gradient descent, 1 is stochastic gradient descent, and
// anything between is mini-batch gradient descent. With LBFGS (stepped with a
// closure) it is full-batch L-BFGS: one LBFGS step per epoch, its closure
// evaluating lossAndGrad over all examples as often as the step needs.
import { Optimizer } from '../optimizer.js';
import { LBFGS } from '../optimizers/lbfgs.js';
import { describe, plural } from '../validate.js';
import { busyWith, Foreign, markBusy, readInput, readPlain } from '../input.js';
import { mulberry32, permutation } from './random.js';

/**
 * Computes the MEAN loss over the examples `batch` (indices into the dataset)
 * at `params`, and OVERWRITES `grads` (one array per parameter, same lengths)
 * with the gradient of that mean loss. Returns the mean loss.
 *
 * `params` are the optimizer's live parameter views (`opt.params`), so the
 * function always sees the current values. `grads` are the optimizer's own
 * gradient views (`opt.grads`, zero-copy) unless gradients are accumulated,
 * in which case they are scratch arrays that the loop combines.
 */
export type LossAndGrad = (batch: Uint32Array, params: readonly Float32Array[], grads: readonly Float32Array[]) => number;

/** Where the schedule is asked for a learning rate. */
export interface ScheduleAt {
  /** optimizer steps applied so far (0 before the first step) */
  step: number;
  /** epochs completed so far (0 during the first epoch) */
  epoch: number;
}

/** Passed to `onStep` after every optimizer step. */
export interface StepInfo {
  /** 1-based epoch the step belongs to */
  epoch: number;
  /** 1-based count of optimizer steps, over the whole run */
  step: number;
  /** mean loss over the examples that made this step's gradient (before the step) */
  loss: number;
  /** learning rate of the first param group used by this step */
  lr: number;
  /** examples that made this step's gradient (all accumulated micro-batches) */
  examples: number;
  /** false when the optimizer skipped the step (non-finite gradient with `skipNonFinite`) */
  applied: boolean;
}

/** Passed to `onEpoch` after every completed epoch. */
export interface EpochInfo {
  /** 1-based epoch number */
  epoch: number;
  /** optimizer steps applied so far, over the whole run */
  steps: number;
  /** mean of this epoch's batch losses, weighted by batch size */
  loss: number;
  /** `evaluate(params)` after the epoch, when `evaluate` is given */
  evalLoss: number | undefined;
  /** learning rate of the first param group at the end of the epoch */
  lr: number;
}

export interface FitOptions {
  /** passes over the data, an integer >= 1; default 1 */
  epochs?: number;
  /** examples per gradient, an integer >= 1 (>= N means full batch); default N (full-batch gradient descent) */
  batchSize?: number;
  /** draw a fresh seeded permutation of the examples every epoch; default true */
  shuffle?: boolean;
  /** seed of the shuffling (an integer); the same seed gives the same batches; default 0 */
  seed?: number;
  /** drop the last batch of an epoch when it has fewer than batchSize examples; default false */
  dropLast?: boolean;
  /**
   * micro-batches of `batchSize` whose gradients are combined into one
   * optimizer step, an integer >= 1; default 1. The step sees exactly the
   * gradient of one batch of accumulate*batchSize examples: each micro-batch's
   * mean gradient is weighted by its size, summed in double, and divided by
   * the total count.
   */
  accumulate?: number;
  /** learning-rate schedule: called before every step; its value is assigned to every param group's lr */
  schedule?: (at: ScheduleAt) => number;
  /** the loss monitored after each epoch (e.g. the full training loss); default: the epoch's mean batch loss */
  evaluate?: (params: readonly Float32Array[]) => number;
  /** record the first epoch whose monitored loss is <= targetLoss (and stop there unless stopAtTarget is false) */
  targetLoss?: number;
  /** stop when targetLoss is reached; default true */
  stopAtTarget?: boolean;
  /** keep every step's loss in `result.stepLoss`; default false */
  recordSteps?: boolean;
  /** called after every optimizer step; returning false stops the run */
  onStep?: (info: StepInfo) => void | boolean;
  /** called after every epoch; returning false stops the run (a place to step an epoch-wise scheduler) */
  onEpoch?: (info: EpochInfo) => void | boolean;
}

/** Why a run ended. */
export type StopReason = 'epochs' | 'target' | 'diverged' | 'callback';

export interface FitResult {
  /** epochs completed */
  epochs: number;
  /** optimizer steps applied (skipped steps not counted) */
  steps: number;
  /** steps the optimizer skipped because of a non-finite gradient (`skipNonFinite`) */
  skippedSteps: number;
  /** examples whose gradients were computed */
  examples: number;
  /** per completed epoch: mean batch loss, weighted by batch size */
  epochLoss: number[];
  /** per completed epoch: `evaluate(params)`, when given */
  evalLoss: number[];
  /** per completed epoch: lr of the first param group at its end */
  lr: number[];
  /** every step's loss when `recordSteps` is set, else empty */
  stepLoss: number[];
  /** the first epoch whose monitored loss was <= targetLoss, with the steps applied by then */
  reached: { epoch: number; step: number; loss: number } | null;
  /** where a non-finite loss stopped the run */
  diverged: { epoch: number; step: number } | null;
  stopReason: StopReason;
  /** milliseconds spent in the loop, without `evaluate` */
  wallMs: number;
  /** milliseconds spent inside `opt.step()` */
  optimizerMs: number;
  /** milliseconds spent in `evaluate` */
  evaluateMs: number;
}

const OPTION_KEYS = [
  'epochs', 'batchSize', 'shuffle', 'seed', 'dropLast', 'accumulate', 'schedule', 'evaluate',
  'targetLoss', 'stopAtTarget', 'recordSteps', 'onStep', 'onEpoch',
] as const;

const now = (): number => performance.now();

function checkInt(name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    throw new TypeError(`fit: invalid options.${name}: expected an integer >= ${min}, got ${describe(v)}`);
  }
  if (v < min) throw new RangeError(`fit: invalid options.${name}: expected an integer >= ${min}, got ${describe(v)}`);
  return v;
}

function checkType<T>(name: string, v: unknown, type: 'boolean' | 'function', expected: string): T {
  if (typeof v !== type) throw new TypeError(`fit: invalid options.${name}: expected ${expected}, got ${describe(v)}`);
  return v as T;
}

/** Batches an epoch has: ceil(n / batchSize), or floor with dropLast. */
export function batchesPerEpoch(n: number, batchSize: number, dropLast = false): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/**
 * A training run that advances one epoch at a time (`epoch()`) or to the end
 * (`run()`), e.g. to keep a browser page responsive between epochs.
 */
/** What fit trains with: an optimizer stepped with gradients, or LBFGS (full batch, one step(closure) per epoch). */
export type Trainable = Optimizer<object> | LBFGS;

export class Trainer {
  readonly #opt: Trainable;
  readonly #n: number;
  readonly #lossAndGrad: LossAndGrad;
  readonly #o: Required<Omit<FitOptions, 'schedule' | 'evaluate' | 'targetLoss' | 'onStep' | 'onEpoch'>> &
    Pick<FitOptions, 'schedule' | 'evaluate' | 'targetLoss' | 'onStep' | 'onEpoch'>;
  readonly #order: Uint32Array;
  readonly #random: () => number;
  /** scratch gradients and double accumulators, allocated when accumulate > 1 */
  #scratch: Float32Array[] | undefined;
  #acc: Float64Array[] | undefined;
  readonly #result: FitResult;
  #done = false;

  constructor(opt: Trainable, dataIn: number | { readonly n: number }, lossAndGrad: LossAndGrad, optionsIn: FitOptions = {}) {
    // one read of each argument, into plain copies (callbacks are kept as they are)
    const keep = (x: object) => typeof x === 'function';
    const { data, options } = readInput('fit', () => ({
      data: (dataIn !== null && typeof dataIn === 'object' ? { n: dataIn.n } : dataIn) as number | { readonly n: number },
      options: readPlain('fit', 'options', optionsIn, { keep }) as FitOptions,
    }));
    if (!(opt instanceof Optimizer) && !(opt instanceof LBFGS)) {
      throw new TypeError(`fit: opt must be an optimizer (SGD, Adam, ..., LBFGS), got ${describe(opt)}`);
    }
    if (opt.disposed) throw new Error(`fit: opt was disposed; create a new optimizer`);
    const n = typeof data === 'number' ? data : data !== null && typeof data === 'object' ? data.n : undefined;
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 1) {
      throw new TypeError(
        `fit: data must be the number of examples (an integer >= 1) or a dataset { n, ... } with n >= 1, got ${describe(
          typeof data === 'object' && data !== null ? n : data,
        )}${typeof data === 'object' && data !== null ? ' as data.n' : ''}`,
      );
    }
    if (typeof lossAndGrad !== 'function') {
      throw new TypeError(`fit: lossAndGrad must be a function (batch, params, grads) => mean loss, got ${describe(lossAndGrad)}`);
    }
    if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Foreign) {
      throw new TypeError(`fit: options must be an object such as { epochs: 10, batchSize: 32 }, got ${describe(options)}`);
    }
    for (const key of Object.keys(options)) {
      if (!(OPTION_KEYS as readonly string[]).includes(key)) {
        throw new TypeError(`fit: unknown option ${JSON.stringify(key)} (valid options: ${OPTION_KEYS.join(', ')})`);
      }
    }
    const o = options;
    const fn = 'a function';
    const bool = 'true or false';
    this.#o = {
      epochs: o.epochs === undefined ? 1 : checkInt('epochs', o.epochs, 1),
      batchSize: o.batchSize === undefined ? n : Math.min(n, checkInt('batchSize', o.batchSize, 1)),
      shuffle: o.shuffle === undefined ? true : checkType('shuffle', o.shuffle, 'boolean', bool),
      seed: o.seed === undefined ? 0 : checkInt('seed', o.seed, Number.MIN_SAFE_INTEGER),
      dropLast: o.dropLast === undefined ? false : checkType('dropLast', o.dropLast, 'boolean', bool),
      accumulate: o.accumulate === undefined ? 1 : checkInt('accumulate', o.accumulate, 1),
      schedule: o.schedule === undefined ? undefined : checkType('schedule', o.schedule, 'function', fn),
      evaluate: o.evaluate === undefined ? undefined : checkType('evaluate', o.evaluate, 'function', fn),
      targetLoss: o.targetLoss,
      stopAtTarget: o.stopAtTarget === undefined ? true : checkType('stopAtTarget', o.stopAtTarget, 'boolean', bool),
      recordSteps: o.recordSteps === undefined ? false : checkType('recordSteps', o.recordSteps, 'boolean', bool),
      onStep: o.onStep === undefined ? undefined : checkType('onStep', o.onStep, 'function', fn),
      onEpoch: o.onEpoch === undefined ? undefined : checkType('onEpoch', o.onEpoch, 'function', fn),
    };
    if (o.targetLoss !== undefined && (typeof o.targetLoss !== 'number' || Number.isNaN(o.targetLoss))) {
      throw new TypeError(`fit: invalid options.targetLoss: expected a number, got ${describe(o.targetLoss)}`);
    }
    if (opt instanceof LBFGS) {
      // L-BFGS re-evaluates the loss along its search direction: only the same (full) batch every time makes sense
      if (this.#o.batchSize < n) {
        throw new RangeError(`fit: LBFGS trains full-batch (its line search and history need the same loss at every evaluation): options.batchSize must be omitted or >= ${n}, got ${this.#o.batchSize}`);
      }
      if (this.#o.accumulate !== 1) throw new RangeError(`fit: LBFGS trains full-batch, so options.accumulate must be 1, got ${this.#o.accumulate}`);
      if (this.#o.schedule) throw new TypeError('fit: options.schedule does not apply to LBFGS (its step length comes from lr and the line search; LBFGS has no param groups to assign lr to)');
    }
    if (this.#o.dropLast && this.#o.batchSize > n) {
      throw new RangeError(`fit: options.dropLast with batchSize ${this.#o.batchSize} > ${plural(n, 'example')} would drop every batch`);
    }
    this.#opt = opt;
    this.#n = n;
    this.#lossAndGrad = lossAndGrad;
    if (n > MAX_EXAMPLES) {
      throw new RangeError(`fit: data has ${n} examples, more than the ${MAX_EXAMPLES} fit can index (one Uint32Array of the order); give fewer examples`);
    }
    try {
      this.#order = new Uint32Array(n);
    } catch (e) {
      throw new RangeError(`fit: data has ${n} examples, and the order of that many could not be allocated (${(e as Error).message}); give fewer examples`);
    }
    for (let i = 0; i < n; i++) this.#order[i] = i;
    this.#random = mulberry32(this.#o.seed);
    this.#result = {
      epochs: 0, steps: 0, skippedSteps: 0, examples: 0, epochLoss: [], evalLoss: [], lr: [], stepLoss: [],
      reached: null, diverged: null, stopReason: 'epochs', wallMs: 0, optimizerMs: 0, evaluateMs: 0,
    };
  }

  /** The run so far (the same object `run()` returns; it keeps growing). */
  get result(): FitResult {
    return this.#result;
  }

  /** Whether the run has ended (all epochs done, target reached, diverged, or stopped by a callback). */
  get done(): boolean {
    return this.#done;
  }

  /** Batches (micro-batches when accumulating) in each epoch. */
  get batchesPerEpoch(): number {
    return batchesPerEpoch(this.#n, this.#o.batchSize, this.#o.dropLast);
  }

  /** Optimizer steps in each epoch: ceil(batchesPerEpoch / accumulate). */
  get stepsPerEpoch(): number {
    return Math.ceil(this.batchesPerEpoch / this.#o.accumulate);
  }

  #lr(): number {
    if (this.#opt instanceof LBFGS) return this.#opt.options.lr;
    const lr = (this.#opt.paramGroups[0] as { lr?: unknown } | undefined)?.lr;
    return typeof lr === 'number' ? lr : NaN;
  }

  #finish(reason: StopReason): void {
    this.#done = true;
    this.#result.stopReason = reason;
  }

  /** Runs one epoch; returns what `onEpoch` sees, or undefined when the run had already ended or ended inside it. */
  epoch(): EpochInfo | undefined {
    if (this.#done) return undefined;
    const opt = this.#opt;
    const o = this.#o;
    const r = this.#result;
    const t0 = now();
    const order = o.shuffle ? permutation(this.#order, this.#random) : this.#order;
    const B = o.batchSize;
    const nb = this.batchesPerEpoch;
    const epochNo = r.epochs + 1;
    const params = opt.params;
    const grads = opt.grads;
    let lossSum = 0;
    let count = 0;
    let b = 0;
    while (b < nb && opt instanceof LBFGS) {
      // full-batch L-BFGS: one step(closure) per epoch
      const idx = order.subarray(0, this.#n);
      let diverged = false;
      let loss: number;
      const s0 = now();
      try {
        loss = opt.step(() => {
          const l = checkLoss(this.#callLossAndGrad(idx, params, grads));
          if (!Number.isFinite(l)) {
            diverged = true;
            throw new Error('diverged');
          }
          return l;
        });
      } catch (e) {
        if (!diverged) throw e;
        r.optimizerMs += now() - s0;
        r.examples += idx.length;
        r.diverged = { epoch: epochNo, step: r.steps };
        r.wallMs += now() - t0;
        this.#finish('diverged');
        return undefined;
      }
      r.optimizerMs += now() - s0;
      b = nb;
      r.examples += idx.length;
      r.steps++;
      lossSum += loss * idx.length;
      count += idx.length;
      if (o.recordSteps) r.stepLoss.push(loss);
      if (o.onStep && o.onStep({ epoch: epochNo, step: r.steps, loss, lr: this.#lr(), examples: idx.length, applied: true }) === false) {
        r.wallMs += now() - t0;
        this.#finish('callback');
        return undefined;
      }
    }
    while (b < nb && opt instanceof Optimizer) {
      if (o.schedule) {
        const lr = o.schedule({ step: r.steps, epoch: r.epochs });
        for (const g of opt.paramGroups) (g as unknown as { lr: number }).lr = lr;
      }
      const k = Math.min(o.accumulate, nb - b);
      let loss: number;
      let examples: number;
      if (k === 1) {
        const idx = order.subarray(b * B, Math.min(this.#n, (b + 1) * B));
        loss = checkLoss(this.#callLossAndGrad(idx, params, grads));
        examples = idx.length;
      } else {
        [loss, examples] = this.#accumulate(order, b, k, params, grads);
      }
      b += k;
      r.examples += examples;
      if (!Number.isFinite(loss)) {
        r.diverged = { epoch: epochNo, step: r.steps };
        r.wallMs += now() - t0;
        this.#finish('diverged');
        return undefined;
      }
      const s0 = now();
      const applied = opt.step();
      r.optimizerMs += now() - s0;
      if (applied) r.steps++;
      else r.skippedSteps++;
      lossSum += loss * examples;
      count += examples;
      if (o.recordSteps) r.stepLoss.push(loss);
      if (o.onStep) {
        const more = o.onStep({ epoch: epochNo, step: r.steps, loss, lr: this.#lr(), examples, applied });
        if (more === false) {
          r.wallMs += now() - t0;
          this.#finish('callback');
          return undefined;
        }
      }
    }
    const info: EpochInfo = { epoch: epochNo, steps: r.steps, loss: lossSum / count, evalLoss: undefined, lr: this.#lr() };
    const t1 = now();
    r.wallMs += t1 - t0;
    if (o.evaluate) {
      info.evalLoss = o.evaluate(params);
      r.evaluateMs += now() - t1;
      r.evalLoss.push(info.evalLoss);
    }
    const t2 = now();
    r.epochs = epochNo;
    r.epochLoss.push(info.loss);
    r.lr.push(info.lr);
    const monitored = info.evalLoss ?? info.loss;
    let stop: StopReason | undefined;
    if (!Number.isFinite(monitored)) {
      r.diverged = { epoch: epochNo, step: r.steps };
      stop = 'diverged';
    } else if (o.targetLoss !== undefined && r.reached === null && monitored <= o.targetLoss) {
      r.reached = { epoch: epochNo, step: r.steps, loss: monitored };
      if (o.stopAtTarget) stop = 'target';
    }
    // every completed epoch is reported, the last one too
    if (o.onEpoch?.(info) === false && !stop) stop = 'callback';
    if (!stop && epochNo >= o.epochs) stop = 'epochs';
    r.wallMs += now() - t2;
    if (stop) this.#finish(stop);
    return info;
  }

  /** Combines k micro-batches starting at batch b into opt.grads; returns [mean loss, examples]. */
  #accumulate(order: Uint32Array, b: number, k: number, params: readonly Float32Array[], grads: readonly Float32Array[]): [number, number] {
    const B = this.#o.batchSize;
    if (!this.#scratch) {
      this.#scratch = grads.map((g) => new Float32Array(g.length));
      this.#acc = grads.map((g) => new Float64Array(g.length));
    }
    const scratch = this.#scratch;
    const acc = this.#acc!;
    for (const a of acc) a.fill(0);
    let lossSum = 0;
    let total = 0;
    for (let j = 0; j < k; j++) {
      const idx = order.subarray((b + j) * B, Math.min(this.#n, (b + j + 1) * B));
      const m = idx.length;
      lossSum += m * checkLoss(this.#callLossAndGrad(idx, params, scratch));
      total += m;
      for (let t = 0; t < acc.length; t++) {
        const a = acc[t]!;
        const s = scratch[t]!;
        for (let i = 0; i < a.length; i++) a[i] = a[i]! + m * s[i]!;
      }
    }
    for (let t = 0; t < acc.length; t++) {
      const a = acc[t]!;
      const g = grads[t]!;
      for (let i = 0; i < a.length; i++) g[i] = a[i]! / total;
    }
    return [lossSum / total, total];
  }

  /** lossAndGrad, during which the optimizer refuses step, load, loadStateDict and dispose (it is mid-step). */
  #callLossAndGrad(idx: Uint32Array, params: readonly Float32Array[], grads: readonly Float32Array[]): unknown {
    const outer = busyWith(this.#opt);
    markBusy(this.#opt, "fit's lossAndGrad");
    try {
      return this.#lossAndGrad(idx, params, grads);
    } finally {
      markBusy(this.#opt, outer);
    }
  }

  /** Runs epochs until the run ends; returns the result. */
  run(): FitResult {
    while (!this.#done) this.epoch();
    return this.#result;
  }
}

/** The most examples fit indexes (the order is one Uint32Array). */
const MAX_EXAMPLES = 2 ** 32 - 1;

/** The loss lossAndGrad returned, which must be a number (NaN and Infinity mean divergence). */
function checkLoss(v: unknown): number {
  if (typeof v !== 'number') {
    throw new TypeError(`fit: lossAndGrad must return the batch's mean loss as a number, got ${describe(v)}`);
  }
  return v;
}

/**
 * Trains with `opt` over `data` (its example count, or a dataset `{ n }`):
 * every epoch draws a seeded permutation of the examples, cuts it into
 * batches of `batchSize`, asks `lossAndGrad` for each batch's mean loss and
 * gradient (written straight into `opt.grads`), and calls `opt.step()`.
 *
 * batchSize = n is full-batch gradient descent, 1 is stochastic gradient
 * descent, anything between mini-batch gradient descent. With an LBFGS,
 * every epoch is one `step(closure)` over the full batch (batchSize must be
 * omitted or >= n; no accumulate, no schedule), the closure calling
 * `lossAndGrad` over all examples; the step's loss is its first evaluation.
 */
export function fit(opt: Trainable, data: number | { readonly n: number }, lossAndGrad: LossAndGrad, options: FitOptions = {}): FitResult {
  return new Trainer(opt, data, lossAndGrad, options).run();
}
