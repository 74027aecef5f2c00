import { nonNegative } from '../validate.js';
import { nonNegativeInteger, numberList, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface MultiStepLROptions {
  /** epoch indices at which to decay (integers >= 0; a repeated one decays that many times) */
  milestones: number[];
  /** multiplicative factor of the decay, default 0.1 */
  gamma?: number;
}

/**
 * PyTorch's `MultiStepLR`: the learning rate is multiplied by gamma at each milestone.
 *
 *     lr_i(t) = initialLr_i * gamma^(number of milestones <= t)
 */
export class MultiStepLR extends LRScheduler<{ milestones: number[]; gamma: number }> {
  constructor(optimizer: SchedulableOptimizer, options: MultiStepLROptions) {
    super(
      'MultiStepLR',
      optimizer,
      () => ({
        milestones: { check: numberList(nonNegativeInteger, undefined, 'epoch indices') },
        gamma: { check: value(nonNegative), default: 0.1 },
      }),
      options,
      '{ milestones: [30, 80], gamma: 0.1 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const count = this.o.milestones.filter((m) => m === e).length;
    const lrs = this.currentLrs();
    if (count === 0) return lrs;
    return lrs.map((lr) => lr * this.o.gamma ** count);
  }

  protected override closedFormLr(): number[] {
    const passed = this.o.milestones.filter((m) => m <= this.st.lastEpoch).length; // bisect_right on the sorted list
    return this.st.baseLrs.map((base) => base * this.o.gamma ** passed);
  }
}
