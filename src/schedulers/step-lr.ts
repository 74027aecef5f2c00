import { nonNegative } from '../validate.js';
import { positiveInteger, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface StepLROptions {
  /** period of the decay, in epochs (an integer >= 1) */
  stepSize: number;
  /** multiplicative factor of the decay, default 0.1 */
  gamma?: number;
}

/**
 * PyTorch's `StepLR`: every `stepSize` epochs the learning rate is multiplied by gamma.
 *
 *     lr_i(t) = initialLr_i * gamma^floor(t / stepSize)
 *
 * (computed, as PyTorch, by multiplying the current rate at each multiple of stepSize).
 */
export class StepLR extends LRScheduler<{ stepSize: number; gamma: number }> {
  constructor(optimizer: SchedulableOptimizer, options: StepLROptions) {
    super(
      'StepLR',
      optimizer,
      () => ({ stepSize: { check: value(positiveInteger) }, gamma: { check: value(nonNegative), default: 0.1 } }),
      options,
      '{ stepSize: 30, gamma: 0.1 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const lrs = this.currentLrs();
    if (e === 0 || e % this.o.stepSize !== 0) return lrs;
    return lrs.map((lr) => lr * this.o.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.st.baseLrs.map((base) => base * this.o.gamma ** Math.floor(this.st.lastEpoch / this.o.stepSize));
  }
}
