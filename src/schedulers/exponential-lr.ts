import { nonNegative } from '../validate.js';
import { value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface ExponentialLROptions {
  /** multiplicative factor per epoch */
  gamma: number;
}

/**
 * PyTorch's `ExponentialLR`: every epoch multiplies the learning rate by gamma.
 *
 *     lr_i(t) = initialLr_i * gamma^t
 */
export class ExponentialLR extends LRScheduler<{ gamma: number }> {
  constructor(optimizer: SchedulableOptimizer, options: ExponentialLROptions) {
    super('ExponentialLR', optimizer, () => ({ gamma: { check: value(nonNegative) } }), options, '{ gamma: 0.95 }');
    this.start();
  }

  protected getLr(): number[] {
    const lrs = this.currentLrs();
    if (this.st.lastEpoch === 0) return lrs;
    return lrs.map((lr) => lr * this.o.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.st.baseLrs.map((base) => base * this.o.gamma ** this.st.lastEpoch);
  }
}
