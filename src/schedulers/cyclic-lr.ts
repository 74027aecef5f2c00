import { boolean, describe, nonNegative } from '../validate.js';
import { nullable, oneOf, perGroup, positiveNumber, value } from './check.js';
import { callFactor, LRScheduler, momentumTarget, type MomentumTarget, type SchedulableOptimizer, type SchedulerStateDict } from './scheduler.js';

export type CyclicLRMode = 'triangular' | 'triangular2' | 'exp_range';

export interface CyclicLROptions {
  /** lower learning-rate bound: one number, or one per param group */
  baseLr: number | number[];
  /** upper learning-rate bound: one number, or one per param group */
  maxLr: number | number[];
  /** iterations (steps) in the increasing half of a cycle, > 0, default 2000 */
  stepSizeUp?: number;
  /** iterations in the decreasing half, >= 0, default stepSizeUp */
  stepSizeDown?: number | null;
  /** amplitude policy, default 'triangular' (ignored when scaleFn is given) */
  mode?: CyclicLRMode;
  /** base of 'exp_range': the amplitude is scaled by gamma^iterations, default 1 */
  gamma?: number;
  /** custom amplitude scaling, replaces mode's; not part of stateDict() */
  scaleFn?: ((x: number) => number) | null;
  /** what scaleFn receives: the cycle number or the iteration, default 'cycle' (used only with scaleFn) */
  scaleMode?: 'cycle' | 'iterations';
  /** cycle momentum (or Adam's beta1) inversely to the learning rate, default true */
  cycleMomentum?: boolean;
  /** lower momentum bound, reached at maxLr: one number, or one per group, default 0.8 */
  baseMomentum?: number | number[];
  /** upper momentum bound, at baseLr: one number, or one per group, default 0.9 */
  maxMomentum?: number | number[];
}

interface CyclicLRResolved {
  baseLr: number[];
  maxLr: number[];
  stepSizeUp: number;
  stepSizeDown: number | null;
  mode: CyclicLRMode;
  gamma: number;
  scaleMode: 'cycle' | 'iterations';
  cycleMomentum: boolean;
  baseMomentum: number[];
  maxMomentum: number[];
}

/**
 * PyTorch's `CyclicLR` (Smith, "Cyclical Learning Rates for Training Neural
 * Networks", 2017). With t the iteration, S = stepSizeUp + stepSizeDown and
 * r = stepSizeUp / S:
 *
 *     cycle = floor(1 + t/S),  x = 1 + t/S - cycle
 *     s     = x <= r ? x/r : (x - 1)/(r - 1)
 *     lr_i  = baseLr_i + (maxLr_i - baseLr_i) * s * f
 *     m_i   = maxMomentum_i - (maxMomentum_i - baseMomentum_i) * s * f
 *
 * where f = 1 (triangular), 1/2^(cycle-1) (triangular2), gamma^t (exp_range)
 * or scaleFn(cycle or t). The momentum goes to `momentum` (SGD, RMSprop) or
 * to `betas[0]` (Adam-like optimizers), as in PyTorch 2.x.
 */
export class CyclicLR extends LRScheduler<CyclicLRResolved> {
  readonly #scaleFn: ((x: number) => unknown) | null;
  #target: MomentumTarget | undefined;

  constructor(optimizer: SchedulableOptimizer, options: CyclicLROptions) {
    super(
      'CyclicLR',
      optimizer,
      (n) => ({
        baseLr: { check: perGroup(nonNegative, n) },
        maxLr: { check: perGroup(nonNegative, n) },
        stepSizeUp: { check: value(positiveNumber), default: 2000 },
        stepSizeDown: { check: nullable(value(nonNegative)), optional: true },
        mode: { check: oneOf(['triangular', 'triangular2', 'exp_range'] as const), default: 'triangular' },
        gamma: { check: value(nonNegative), default: 1.0 },
        scaleMode: { check: oneOf(['cycle', 'iterations'] as const), default: 'cycle' },
        cycleMomentum: { check: value(boolean), default: true },
        baseMomentum: { check: perGroup(nonNegative, n), default: 0.8 },
        maxMomentum: { check: perGroup(nonNegative, n), default: 0.9 },
      }),
      options,
      '{ baseLr: 0.001, maxLr: 0.1, stepSizeUp: 2000 }',
      ['scaleFn'],
    );
    const fn = (options as { scaleFn?: unknown }).scaleFn;
    if (fn !== undefined && fn !== null && typeof fn !== 'function') {
      throw new TypeError(`CyclicLR: invalid options.scaleFn: expected a function (x) => scale, or null, got ${describe(fn)}`);
    }
    this.#scaleFn = (fn as ((x: number) => unknown) | null | undefined) ?? null;
    this.o.stepSizeDown ??= this.o.stepSizeUp;
    this.#fixScaleMode();
    this.#target = this.o.cycleMomentum ? momentumTarget(this.kind, optimizer) : undefined;
    const target = this.#target;
    this.start(
      () => {
        this.o.baseLr.forEach((lr, i) => this.writeLr(i, lr));
        if (target) this.o.maxMomentum.forEach((m, i) => this.writeMomentum(i, target, m));
      },
      () => {
        this.st.baseLrs = [...this.o.baseLr];
      },
    );
  }

  /** As PyTorch: without scaleFn, the mode decides what the scale function receives. */
  #fixScaleMode(): void {
    if (!this.#scaleFn) this.o.scaleMode = this.o.mode === 'exp_range' ? 'iterations' : 'cycle';
  }

  #scale(x: number): number {
    if (this.#scaleFn) return callFactor(this.kind, 'scaleFn', this.#scaleFn, x);
    if (this.o.mode === 'triangular') return 1.0;
    if (this.o.mode === 'triangular2') return 1 / 2.0 ** (x - 1);
    return this.o.gamma ** x;
  }

  protected getLr(): number[] {
    const t = this.st.lastEpoch;
    const up = this.o.stepSizeUp;
    const total = up + (this.o.stepSizeDown ?? up);
    const ratio = up / total;
    const cycle = Math.floor(1 + t / total);
    const x = 1.0 + t / total - cycle;
    const s = x <= ratio ? x / ratio : (x - 1) / (ratio - 1);
    const f = this.#scale(this.o.scaleMode === 'cycle' ? cycle : t);
    const lrs = this.st.baseLrs.map((base, i) => base + (this.o.maxLr[i]! - base) * s * f);
    const target = this.#target;
    if (this.o.cycleMomentum && target) {
      this.o.maxMomentum.forEach((max, i) => this.writeMomentum(i, target, max - (max - this.o.baseMomentum[i]!) * s * f));
    }
    return lrs;
  }

  override loadStateDict(sd: SchedulerStateDict): void {
    if (sd !== null && typeof sd === 'object' && sd.kind === this.kind && sd.cycleMomentum === true && !this.#target) {
      this.#target = momentumTarget(`${this.kind}.loadStateDict`, this.optimizer);
    }
    super.loadStateDict(sd);
    this.o.stepSizeDown ??= this.o.stepSizeUp;
    this.#fixScaleMode();
  }
}
