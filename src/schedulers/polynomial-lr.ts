import { nonNegative } from '../validate.js';
import { positiveInteger, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface PolynomialLROptions {
  /** epochs until the rate reaches 0 (an integer >= 1), default 5 */
  totalIters?: number;
  /** power of the polynomial (>= 0), default 1 */
  power?: number;
}

/**
 * PyTorch's `PolynomialLR`: the learning rate decays to 0 at totalIters.
 *
 *     lr_i(t) = initialLr_i * (1 - min(t, totalIters) / totalIters)^power
 *
 * computed, as PyTorch, by the chainable form
 * lr(t) = lr(t-1) * ((1 - t/totalIters) / (1 - (t-1)/totalIters))^power.
 */
export class PolynomialLR extends LRScheduler<{ totalIters: number; power: number }> {
  constructor(optimizer: SchedulableOptimizer, options?: PolynomialLROptions) {
    super(
      'PolynomialLR',
      optimizer,
      () => ({ totalIters: { check: value(positiveInteger), default: 5 }, power: { check: value(nonNegative), default: 1.0 } }),
      options,
      '{ totalIters: 50, power: 0.9 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const { totalIters: n, power } = this.o;
    const lrs = this.currentLrs();
    if (e === 0 || e > n) return lrs;
    const decay = ((1.0 - e / n) / (1.0 - (e - 1) / n)) ** power;
    return lrs.map((lr) => lr * decay);
  }

  protected override closedFormLr(): number[] {
    const { totalIters: n, power } = this.o;
    return this.st.baseLrs.map((base) => base * (1.0 - Math.min(n, this.st.lastEpoch) / n) ** power);
  }
}
