import { makeAdam8bitSpec, type Adam8bitOptions } from './adam8bit.js';
import { Optimizer, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';

export const adamw8bitSpec = makeAdam8bitSpec('AdamW8bit', true);

/** Hyperparameters of AdamW8bit: Adam8bit's, with `weightDecay` decoupled and 1e-2 by default. */
export type AdamW8bitOptions = Adam8bitOptions;

/**
 * AdamW with 8-bit blockwise state (bitsandbytes.optim.AdamW8bit): AdamW's
 * update (p = p*(1 - lr*weightDecay) before the step) with Adam8bit's state.
 */
export class AdamW8bit extends Optimizer<AdamW8bitOptions> {
  constructor(params: Param[] | ParamGroupInput<AdamW8bitOptions>[], options?: Partial<AdamW8bitOptions> & StepOptions) {
    super(adamw8bitSpec, params, options);
  }
}
