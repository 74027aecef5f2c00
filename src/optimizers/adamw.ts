import { makeAdamSpec, type AdamOptions } from './adam.js';
import { Optimizer, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';

export const adamwSpec = makeAdamSpec('AdamW', true);

/** Hyperparameters of AdamW: Adam's, with `weightDecay` decoupled and 1e-2 by default. */
export type AdamWOptions = AdamOptions;

/**
 * AdamW, as PyTorch: Adam with decoupled weight decay (default 1e-2), applied
 * to the parameters before the moments:
 *
 *     p = p*(1 - lr*weightDecay)
 *     then Adam's update with d = (maximize ? -g : g)
 */
export class AdamW extends Optimizer<AdamWOptions> {
  constructor(params: Param[] | ParamGroupInput<AdamWOptions>[], options?: Partial<AdamWOptions> & StepOptions) {
    super(adamwSpec, params, options);
  }
}
