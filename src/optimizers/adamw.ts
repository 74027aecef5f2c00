import { makeAdamSpec, type AdamOptions } from './adam.js';
import { Optimizer, type ParamGroupInput, type StepOptions } from '../optimizer.js';

export const adamwSpec = makeAdamSpec('AdamW', true);

/**
 * AdamW, as PyTorch: Adam with decoupled weight decay (default 1e-2), applied
 * to the parameters before the moments:
 *
 *     p = p*(1 - lr*weightDecay)
 *     then Adam's update with d = (maximize ? -g : g)
 */
export class AdamW extends Optimizer<AdamOptions> {
  constructor(params: Float32Array[] | ParamGroupInput<AdamOptions>[], options?: Partial<AdamOptions> & StepOptions) {
    super(adamwSpec, params, options);
  }
}
