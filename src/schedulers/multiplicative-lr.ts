import { functions } from './check.js';
import { callFactor, LRScheduler, type SchedulableOptimizer } from './scheduler.js';
import type { LrLambda } from './lambda-lr.js';

export interface MultiplicativeLROptions {
  /** one function for every group, or one per param group */
  lrLambda: LrLambda | LrLambda[];
}

/**
 * PyTorch's `MultiplicativeLR`: each step multiplies the current learning rate
 * by the factor for the new epoch t:
 *
 *     lr_i(0) = lr_i,   lr_i(t) = lr_i(t-1) * lrLambda_i(t)   (t >= 1)
 *
 * The functions are not part of `stateDict()`.
 */
export class MultiplicativeLR extends LRScheduler {
  readonly #lambdas: ((epoch: number) => unknown)[];

  constructor(optimizer: SchedulableOptimizer, options: MultiplicativeLROptions) {
    super('MultiplicativeLR', optimizer, () => ({}), options, '{ lrLambda: () => 0.95 }', ['lrLambda']);
    const f = (options as { lrLambda?: unknown }).lrLambda;
    if (f === undefined) throw new TypeError(`MultiplicativeLR: missing options.lrLambda (it has no default); e.g. { lrLambda: () => 0.95 }`);
    this.#lambdas = functions(this._groups, '(epoch) => factor')(this.kind, 'options.lrLambda', f);
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    const lrs = this.currentLrs();
    if (e <= 0) return lrs;
    return lrs.map((lr, i) => lr * callFactor(this.kind, 'lrLambda', this.#lambdas[i]!, e, ` for paramGroups[${i}]`));
  }
}
