import { nonNegative } from '../validate.js';
import { positiveInteger, value, withAliases } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export type CosineAnnealingLROptions = (
  | {
      /** half period, in epochs (an integer >= 1); PyTorch's T_max */
      TMax: number;
      tMax?: never;
    }
  | {
      /** TMax in camelCase */
      tMax: number;
      TMax?: never;
    }
) & {
  /** minimum learning rate, default 0 */
  etaMin?: number;
};

/**
 * PyTorch's `CosineAnnealingLR` (SGDR without restarts):
 *
 *     lr_i(t) = etaMin + (initialLr_i - etaMin) * (1 + cos(pi * t / TMax)) / 2
 *
 * computed, as PyTorch, by the chainable form
 * lr(t) = etaMin + (lr(t-1) - etaMin) * (1 + cos(pi*t/TMax)) / (1 + cos(pi*(t-1)/TMax)),
 * with lr(t) = lr(t-1) + (initialLr - etaMin) * (1 - cos(pi/TMax)) / 2 when
 * (t - 1 - TMax) is a multiple of 2*TMax. Past TMax the rate rises again.
 */
export class CosineAnnealingLR extends LRScheduler<{ TMax: number; etaMin: number }> {
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingLROptions) {
    super(
      'CosineAnnealingLR',
      optimizer,
      () => ({ TMax: { check: value(positiveInteger) }, etaMin: { check: value(nonNegative), default: 0 } }),
      withAliases('CosineAnnealingLR', options, { tMax: 'TMax' }),
      '{ TMax: 100, etaMin: 0 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const { TMax, etaMin } = this.o;
    const lrs = this.currentLrs();
    if (e === 0) return lrs;
    if (this.st.stepCount === 1 && e > 0) {
      return this.st.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((e * Math.PI) / TMax))) / 2);
    }
    if ((e - 1 - TMax) % (2 * TMax) === 0) {
      return lrs.map((lr, i) => lr + ((this.st.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / TMax))) / 2);
    }
    return lrs.map(
      (lr) => ((1 + Math.cos((Math.PI * e) / TMax)) / (1 + Math.cos((Math.PI * (e - 1)) / TMax))) * (lr - etaMin) + etaMin,
    );
  }

  protected override closedFormLr(): number[] {
    const { TMax, etaMin } = this.o;
    return this.st.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * this.st.lastEpoch) / TMax))) / 2);
  }
}
