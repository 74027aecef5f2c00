import { boolean, nonNegative, unitClosed } from '../validate.js';
import { oneOf, perGroup, positiveInteger, positiveNumber, value } from './check.js';
import {
  LRScheduler,
  momentumTarget,
  setInitialLrs,
  type MomentumTarget,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from './scheduler.js';

export interface OneCycleLROptions {
  /** peak learning rate: one number, or one per param group */
  maxLr: number | number[];
  /** steps in the cycle (an integer >= 1); or give epochs and stepsPerEpoch */
  totalSteps?: number | null;
  /** with stepsPerEpoch, gives totalSteps = epochs * stepsPerEpoch */
  epochs?: number | null;
  stepsPerEpoch?: number | null;
  /** fraction of the cycle spent increasing the rate, in [0, 1], default 0.3 */
  pctStart?: number;
  /** 'cos' (default) or 'linear' */
  annealStrategy?: 'cos' | 'linear';
  /** cycle momentum (or Adam's beta1) inversely to the learning rate, default true */
  cycleMomentum?: boolean;
  /** momentum at the peak learning rate: one number, or one per group, default 0.85 */
  baseMomentum?: number | number[];
  /** momentum at the start and end: one number, or one per group, default 0.95 */
  maxMomentum?: number | number[];
  /** initialLr = maxLr / divFactor, default 25 */
  divFactor?: number;
  /** minLr = initialLr / finalDivFactor, default 1e4 */
  finalDivFactor?: number;
  /** a third phase (the paper's schedule) instead of annealing straight to minLr, default false */
  threePhase?: boolean;
}

interface OneCycleLRResolved {
  maxLr: number[];
  totalSteps: number | null;
  epochs: number | null;
  stepsPerEpoch: number | null;
  pctStart: number;
  annealStrategy: 'cos' | 'linear';
  cycleMomentum: boolean;
  baseMomentum: number[];
  maxMomentum: number[];
  divFactor: number;
  finalDivFactor: number;
  threePhase: boolean;
}

type Point = 'initial' | 'max' | 'min';
interface Phase {
  end: number;
  lr: [Point, Point];
  momentum: ['max' | 'base', 'max' | 'base'];
}

/** PyTorch's phases: (end step, start -> end learning rate, start -> end momentum). */
function phases(o: OneCycleLRResolved, total: number): Phase[] {
  const p = o.pctStart;
  if (o.threePhase) {
    return [
      { end: p * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
      { end: 2 * p * total - 2, lr: ['max', 'initial'], momentum: ['base', 'max'] },
      { end: total - 1, lr: ['initial', 'min'], momentum: ['max', 'max'] },
    ];
  }
  return [
    { end: p * total - 1, lr: ['initial', 'max'], momentum: ['max', 'base'] },
    { end: total - 1, lr: ['max', 'min'], momentum: ['base', 'max'] },
  ];
}

/** What is wrong with the cycle's length options, or undefined. */
function checkCycle(o: OneCycleLRResolved): string | undefined {
  const total = o.totalSteps;
  if (total === null) return 'missing options.totalSteps: give totalSteps, or both epochs and stepsPerEpoch, e.g. { maxLr: 0.1, totalSteps: 1000 }';
  const ph = phases(o, total);
  // PyTorch divides by a phase's length; only these two can be hit at a step in [0, totalSteps].
  if (ph[0]!.end === 0) {
    return `pctStart * totalSteps = ${o.pctStart} * ${total} = 1 makes the first phase empty (PyTorch divides by zero at the first step); change pctStart or totalSteps`;
  }
  if (ph[ph.length - 2]!.end === total - 1) {
    return `pctStart = ${o.pctStart} with totalSteps = ${total}${o.threePhase ? ' and threePhase' : ''} makes the last phase empty (PyTorch divides by zero at the last step); lower pctStart`;
  }
  return undefined;
}

/**
 * PyTorch's `OneCycleLR` (Smith and Topin, "Super-Convergence", 2018; the
 * two-phase default follows fastai). With initialLr = maxLr/divFactor and
 * minLr = initialLr/finalDivFactor, the rate goes from initialLr to maxLr
 * over the first pctStart*totalSteps steps, then to minLr (threePhase: back
 * to initialLr symmetrically, then to minLr). Within a phase from a to b, at
 * fraction p of it:
 *
 *     cos:    b + (a - b)/2 * (1 + cos(pi*p))
 *     linear: (b - a)*p + a
 *
 * Momentum (or Adam's beta1) moves inversely between maxMomentum and
 * baseMomentum. Stepping more than totalSteps times is an error, as in PyTorch.
 */
export class OneCycleLR extends LRScheduler<OneCycleLRResolved> {
  #target: MomentumTarget | undefined;
  /** the phase end values of the current step, when it lies past the last phase's end */
  #ends: { lr: number; momentum: number }[] | undefined;

  constructor(optimizer: SchedulableOptimizer, options: OneCycleLROptions) {
    super(
      'OneCycleLR',
      optimizer,
      (n) => ({
        maxLr: { check: perGroup(nonNegative, n) },
        totalSteps: { check: value(positiveInteger), optional: true },
        epochs: { check: value(positiveInteger), optional: true },
        stepsPerEpoch: { check: value(positiveInteger), optional: true },
        pctStart: { check: value(unitClosed), default: 0.3 },
        annealStrategy: { check: oneOf(['cos', 'linear'] as const), default: 'cos' },
        cycleMomentum: { check: value(boolean), default: true },
        baseMomentum: { check: perGroup(nonNegative, n), default: 0.85 },
        maxMomentum: { check: perGroup(nonNegative, n), default: 0.95 },
        divFactor: { check: value(positiveNumber), default: 25 },
        finalDivFactor: { check: value(positiveNumber), default: 1e4 },
        threePhase: { check: value(boolean), default: false },
      }),
      options,
      '{ maxLr: 0.1, totalSteps: 1000 }',
    );
    const o = this.o;
    if (o.totalSteps === null && o.epochs !== null && o.stepsPerEpoch !== null) o.totalSteps = o.epochs * o.stepsPerEpoch;
    const problem = checkCycle(o);
    if (problem) throw (o.totalSteps === null ? new TypeError(`OneCycleLR: ${problem}`) : new RangeError(`OneCycleLR: invalid options: ${problem}`));
    this.#target = o.cycleMomentum ? momentumTarget(this.kind, optimizer) : undefined;
    const target = this.#target;
    this.start(() => {
      setInitialLrs(optimizer, o.maxLr.map((m) => m / o.divFactor));
      if (target) o.maxMomentum.forEach((m, i) => this.writeMomentum(i, target, m));
    });
  }

  /** The number of steps in the cycle. */
  get totalSteps(): number {
    return this.o.totalSteps!;
  }

  protected getLr(): number[] {
    const o = this.o;
    const total = o.totalSteps!;
    const k = this.st.lastEpoch;
    if (k > total) {
      throw new RangeError(
        `OneCycleLR.step: tried to step ${k} times, but the cycle has totalSteps = ${total} steps; ` +
          `create the scheduler with a larger totalSteps (or epochs * stepsPerEpoch)`,
      );
    }
    const ph = phases(o, total);
    const anneal =
      o.annealStrategy === 'cos'
        ? (a: number, b: number, p: number) => b + ((a - b) / 2.0) * (Math.cos(Math.PI * p) + 1)
        : (a: number, b: number, p: number) => (b - a) * p + a;
    const target = this.#target;
    this.#ends = k > ph[ph.length - 1]!.end ? [] : undefined;
    return o.maxLr.map((max, i) => {
      const initial = max / o.divFactor;
      const lrAt = { initial, max, min: initial / o.finalDivFactor };
      const mAt = { max: o.maxMomentum[i]!, base: o.baseMomentum[i]! };
      let start = 0;
      for (let j = 0; j < ph.length; j++) {
        const p = ph[j]!;
        if (k <= p.end || j === ph.length - 1) {
          const pct = (k - start) / (p.end - start);
          const lr = anneal(lrAt[p.lr[0]], lrAt[p.lr[1]], pct);
          const m = anneal(mAt[p.momentum[0]], mAt[p.momentum[1]], pct);
          this.#ends?.push({ lr: lrAt[p.lr[1]], momentum: mAt[p.momentum[1]] });
          if (o.cycleMomentum && target) {
            try {
              this.writeMomentum(i, target, m);
            } catch (e) {
              if (!this.#ends) throw e;
              this.writeMomentum(i, target, this.#ends[i]!.momentum);
            }
          }
          return lr;
        }
        start = p.end;
      }
      throw new Error('unreachable');
    });
  }

  /**
   * At step totalSteps PyTorch evaluates the last phase one step past its end
   * (pct > 1), which with linear annealing gives a learning rate below minLr,
   * negative when minLr is small. PyTorch stores it; wasm-optim's optimizers
   * refuse a negative lr (and a momentum or beta1 out of range). Where the
   * optimizer refuses such a value, it gets the phase's end value instead
   * (minLr, maxMomentum); getLastLr() still reports PyTorch's numbers.
   */
  protected override applyLrs(values: readonly number[]): void {
    const ends = this.#ends;
    values.forEach((v, i) => {
      try {
        this.writeLr(i, v);
      } catch (e) {
        if (!ends) throw e;
        this.writeLr(i, ends[i]!.lr);
      }
    });
    this.st.lastLr = [...values];
  }

  protected override checkLoaded(o: OneCycleLRResolved): string | undefined {
    if (o.totalSteps === null && o.epochs !== null && o.stepsPerEpoch !== null) o.totalSteps = o.epochs * o.stepsPerEpoch;
    return checkCycle(o);
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    if (sd !== null && typeof sd === 'object' && sd.kind === this.kind && sd.cycleMomentum === true && !this.#target) {
      this.#target = momentumTarget(`${this.kind}.loadStateDict`, this.optimizer);
    }
    super.loadStateDict(sd);
  }
}
