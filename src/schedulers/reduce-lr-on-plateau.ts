import { describe, nonNegative, unitHalfOpen } from '../validate.js';
import {
  anyNumber,
  checkStateDictHeader,
  nonNegativeInteger,
  numberList,
  oneOf,
  parseOptions,
  parseStateDict,
  perGroup,
  value,
  type Check,
  type OptionSpecs,
} from './check.js';
import { clonePlain, Scheduler, type SchedulableOptimizer, type SchedulerStateDict } from './scheduler.js';
import { finiteNumber } from '../validate.js';

export interface ReduceLROnPlateauOptions {
  /** 'min' (default): reduce when the metric stops decreasing; 'max': when it stops increasing */
  mode?: 'min' | 'max';
  /** new lr = lr * factor, in [0, 1), default 0.1 */
  factor?: number;
  /** epochs without improvement tolerated before reducing (an integer >= 0), default 10 */
  patience?: number;
  /** what counts as an improvement (>= 0), default 1e-4 */
  threshold?: number;
  /** 'rel' (default): relative to the best value; 'abs': absolute */
  thresholdMode?: 'rel' | 'abs';
  /** epochs to wait after a reduction before counting again (an integer >= 0), default 0 */
  cooldown?: number;
  /** lower bound on the learning rate: one number, or one per param group, default 0 */
  minLr?: number | number[];
  /** reductions smaller than eps are skipped (>= 0), default 1e-8 */
  eps?: number;
}

interface PlateauOptions {
  mode: 'min' | 'max';
  factor: number;
  patience: number;
  threshold: number;
  thresholdMode: 'rel' | 'abs';
  cooldown: number;
  minLr: number[];
  eps: number;
}

interface PlateauState {
  /** the best metric so far (+Infinity in 'min' mode, -Infinity in 'max' mode before any) */
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
  lastLr: number[];
}

/**
 * PyTorch's `ReduceLROnPlateau`: `step(metric)` after each evaluation. The
 * metric improves when, with t = threshold,
 *
 *     min/rel: metric < best * (1 - t)      min/abs: metric < best - t
 *     max/rel: metric > best * (1 + t)      max/abs: metric > best + t
 *
 * After more than `patience` epochs without improvement (epochs in cooldown
 * do not count), every group's rate becomes max(lr * factor, minLr_i) if
 * that lowers it by more than eps, and `cooldown` epochs follow. A NaN
 * metric counts as no improvement, as in PyTorch.
 */
export class ReduceLROnPlateau extends Scheduler {
  #o: PlateauOptions;
  #st: PlateauState;
  readonly #specs: OptionSpecs;

  constructor(optimizer: SchedulableOptimizer, options?: ReduceLROnPlateauOptions) {
    super('ReduceLROnPlateau', optimizer);
    this.#specs = {
      mode: { check: oneOf(['min', 'max'] as const), default: 'min' },
      factor: { check: value(unitHalfOpen), default: 0.1 },
      patience: { check: value(nonNegativeInteger), default: 10 },
      threshold: { check: value(nonNegative), default: 1e-4 },
      thresholdMode: { check: oneOf(['rel', 'abs'] as const), default: 'rel' },
      cooldown: { check: value(nonNegativeInteger), default: 0 },
      minLr: { check: perGroup(nonNegative, this._groups), default: 0 },
      eps: { check: value(nonNegative), default: 1e-8 },
    };
    this.#o = parseOptions(this.kind, options, this.#specs, "{ mode: 'min', factor: 0.1, patience: 10 }") as unknown as PlateauOptions;
    this.#st = { best: this.#worst(this.#o.mode), numBadEpochs: 0, cooldownCounter: 0, lastEpoch: 0, lastLr: this.currentLrs() };
  }

  #worst(mode: 'min' | 'max'): number {
    return mode === 'min' ? Infinity : -Infinity;
  }

  #isBetter(a: number, best: number): boolean {
    const { mode, threshold, thresholdMode } = this.#o;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1.0 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (threshold + 1.0);
    return a > best + threshold;
  }

  /** Records the metric of one epoch (a number; NaN counts as no improvement) and reduces the rates if it has plateaued. */
  step(metric: number): void {
    if (typeof metric !== 'number') {
      throw new TypeError(`${this.kind}.step: expected the monitored metric as a number, e.g. step(validationLoss), got ${describe(metric)}`);
    }
    this.transact(() => {
      const st = this.#st;
      const o = this.#o;
      st.lastEpoch += 1;
      if (this.#isBetter(metric, st.best)) {
        st.best = metric;
        st.numBadEpochs = 0;
      } else st.numBadEpochs += 1;
      if (st.cooldownCounter > 0) {
        st.cooldownCounter -= 1;
        st.numBadEpochs = 0; // bad epochs in cooldown are ignored
      }
      if (st.numBadEpochs > o.patience) {
        this.optimizer.paramGroups.forEach((g, i) => {
          const old = g.lr;
          const next = Math.max(old * o.factor, o.minLr[i]!);
          if (old - next > o.eps) this.writeLr(i, next);
        });
        st.cooldownCounter = o.cooldown;
        st.numBadEpochs = 0;
      }
      st.lastLr = this.currentLrs();
    });
  }

  getLastLr(): number[] {
    return [...this.#st.lastLr];
  }

  /** The best metric seen so far (+-Infinity before the first step). */
  get best(): number {
    return this.#st.best;
  }

  /** Consecutive epochs without improvement. */
  get numBadEpochs(): number {
    return this.#st.numBadEpochs;
  }

  /** Whether the scheduler is in its cooldown after a reduction. */
  get inCooldown(): boolean {
    return this.#st.cooldownCounter > 0;
  }

  /** Number of step() calls so far. */
  get lastEpoch(): number {
    return this.#st.lastEpoch;
  }

  /**
   * `best` is +-Infinity until the first improvement; JSON writes that as
   * null, which loadStateDict reads back as "no best yet".
   */
  stateDict(): SchedulerStateDict {
    return { kind: this.kind, version: 1, ...clonePlain(this.#o), ...clonePlain(this.#st) } as SchedulerStateDict;
  }

  loadStateDict(sd: SchedulerStateDict): void {
    const owner = `${this.kind}.loadStateDict`;
    const r = checkStateDictHeader(owner, sd, this.kind);
    const optionChecks: Record<string, Check> = {};
    for (const [k, spec] of Object.entries(this.#specs)) optionChecks[k] = spec.check;
    const stateChecks: Record<string, Check> = {
      best: (ow, name, v) => (v === null ? null : value(anyNumber)(ow, name, v)),
      numBadEpochs: value(nonNegativeInteger),
      cooldownCounter: value(nonNegativeInteger),
      lastEpoch: value(nonNegativeInteger),
      lastLr: numberList(finiteNumber, this._groups),
    };
    const parsed = parseStateDict(owner, r, { ...optionChecks, ...stateChecks });
    const o = {} as Record<string, unknown>;
    for (const k of Object.keys(optionChecks)) o[k] = parsed[k];
    const st = {} as Record<string, unknown>;
    for (const k of Object.keys(stateChecks)) st[k] = parsed[k];
    if (st.best === null) st.best = this.#worst(o.mode as 'min' | 'max');
    this.#o = o as unknown as PlateauOptions;
    this.#st = st as unknown as PlateauState;
  }

  /** @internal */
  _snapshot(): unknown {
    return { o: this.#o, st: clonePlain(this.#st) };
  }

  /** @internal */
  _restore(s: unknown): void {
    const snap = s as { o: PlateauOptions; st: PlateauState };
    this.#o = snap.o;
    this.#st = snap.st;
  }
}
