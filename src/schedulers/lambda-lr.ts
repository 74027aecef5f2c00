import { functions } from './check.js';
import { callFactor, LRScheduler, type SchedulableOptimizer } from './scheduler.js';

/** A factor as a function of the epoch index (0, 1, 2, ...). */
export type LrLambda = (epoch: number) => number;

export interface LambdaLROptions {
  /** one function for every group, or one per param group */
  lrLambda: LrLambda | LrLambda[];
}

/**
 * PyTorch's `LambdaLR`: the learning rate of group i at epoch t is
 *
 *     lr_i(t) = initialLr_i * lrLambda_i(t)
 *
 * The functions are not part of `stateDict()` (PyTorch saves only callable
 * objects' attributes, which JavaScript functions do not have).
 */
export class LambdaLR extends LRScheduler {
  readonly #lambdas: ((epoch: number) => unknown)[];

  constructor(optimizer: SchedulableOptimizer, options: LambdaLROptions) {
    super('LambdaLR', optimizer, () => ({}), options, '{ lrLambda: (epoch) => 0.95 ** epoch }', ['lrLambda']);
    const f = (options as { lrLambda?: unknown }).lrLambda;
    if (f === undefined) throw new TypeError(`LambdaLR: missing options.lrLambda (it has no default); e.g. { lrLambda: (epoch) => 0.95 ** epoch }`);
    this.#lambdas = functions(this._groups, '(epoch) => factor')(this.kind, 'options.lrLambda', f);
    this.start();
  }

  protected getLr(): number[] {
    const e = this.st.lastEpoch;
    return this.st.baseLrs.map((base, i) => base * callFactor(this.kind, 'lrLambda', this.#lambdas[i]!, e, ` for paramGroups[${i}]`));
  }
}
