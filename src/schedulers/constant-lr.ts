import { positiveInteger, unitOpenClosed, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface ConstantLROptions {
  /** the factor applied until totalIters, in (0, 1], default 1/3 */
  factor?: number;
  /** epochs with the factor applied (an integer >= 1), default 5 */
  totalIters?: number;
}

/**
 * PyTorch's `ConstantLR`: the learning rate is scaled by `factor` for the
 * first `totalIters` epochs, then restored.
 *
 *     lr_i(t) = initialLr_i * (t < totalIters ? factor : 1)
 *
 * (chainable form: times factor at t = 0, divided by factor at t = totalIters).
 */
export class ConstantLR extends LRScheduler<{ factor: number; totalIters: number }> {
  constructor(optimizer: SchedulableOptimizer, options?: ConstantLROptions) {
    super(
      'ConstantLR',
      optimizer,
      () => ({ factor: { check: value(unitOpenClosed), default: 1 / 3 }, totalIters: { check: value(positiveInteger), default: 5 } }),
      options,
      '{ factor: 0.5, totalIters: 4 }',
    );
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const lrs = this.currentLrs();
    if (e === 0) return lrs.map((lr) => lr * this.o.factor);
    if (e !== this.o.totalIters) return lrs;
    return lrs.map((lr) => lr * (1.0 / this.o.factor));
  }

  protected override closedFormLr(): number[] {
    const { factor, totalIters } = this.o;
    return this.st.baseLrs.map((base) => base * (factor + (this.st.lastEpoch >= totalIters ? 1 : 0) * (1 - factor)));
  }
}
