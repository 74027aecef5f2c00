import { unitClosed } from '../validate.js';
import { positiveInteger, unitOpenClosed, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface LinearLROptions {
  /** factor at epoch 0, in (0, 1], default 1/3 */
  startFactor?: number;
  /** factor from totalIters on, in [0, 1], default 1 */
  endFactor?: number;
  /** epochs over which the factor moves (an integer >= 1), default 5 */
  totalIters?: number;
}

/**
 * PyTorch's `LinearLR`: the factor moves linearly from startFactor to endFactor
 * over totalIters epochs.
 *
 *     lr_i(t) = initialLr_i * (startFactor + (endFactor - startFactor) * min(t, totalIters) / totalIters)
 *
 * computed, as PyTorch, by the chainable form
 * lr(t) = lr(t-1) * (1 + (end - start) / (totalIters*start + (t-1)*(end - start))).
 */
export class LinearLR extends LRScheduler<{ startFactor: number; endFactor: number; totalIters: number }> {
  constructor(optimizer: SchedulableOptimizer, options?: LinearLROptions) {
    super(
      'LinearLR',
      optimizer,
      () => ({
        startFactor: { check: value(unitOpenClosed), default: 1 / 3 },
        endFactor: { check: value(unitClosed), default: 1.0 },
        totalIters: { check: value(positiveInteger), default: 5 },
      }),
      options,
      '{ startFactor: 0.1, totalIters: 5 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const { startFactor: s, endFactor: f, totalIters: n } = this.o;
    const lrs = this.currentLrs();
    if (e === 0) return lrs.map((lr) => lr * s);
    if (e > n) return lrs;
    return lrs.map((lr) => lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s))));
  }

  protected override closedFormLr(): number[] {
    const { startFactor: s, endFactor: f, totalIters: n } = this.o;
    return this.st.baseLrs.map((base) => base * (s + ((f - s) * Math.min(n, this.st.lastEpoch)) / n));
  }
}
