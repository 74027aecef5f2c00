import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { boolean, nonNegative, unitHalfOpen } from '../validate.js';

/** Hyperparameters of Momentum (the moving-average form). */
export interface MomentumOptions {
  /** learning rate, default 1e-2 */
  lr: number;
  /** averaging coefficient, in [0, 1), default 0.9 */
  beta: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const momentumSpec: MethodSpec<MomentumOptions> = {
  name: 'Momentum',
  torch: { class: 'wasm_optim.Momentum', note: 'no torch.optim twin: wasm-optim names, snake_case', state: { velocity: 'velocity' }, options: { lr: 'lr', beta: 'beta', weightDecay: 'weight_decay', maximize: 'maximize' }, step: true },
  defaults: { lr: 1e-2, beta: 0.9, weightDecay: 0, maximize: false },
  rules: { lr: nonNegative, beta: unitHalfOpen, weightDecay: nonNegative, maximize: boolean },
  buffers: () => ['velocity'],
  run(k, a, o, ctx) {
    k.momentum(a.p, a.g, a.state.velocity!, a.n, o.lr, o.beta, o.weightDecay, gradScale(o.maximize, ctx));
  },
};

/**
 * Momentum as an exponential moving average of gradients, exactly:
 *
 *     d = (maximize ? -g : g) + weightDecay*p
 *     v = beta*v + (1 - beta)*d        (v starts at 0, on the first step too)
 *     p = p - lr*v
 *
 * Unlike PyTorch's SGD(momentum, dampening = beta), whose buffer starts as a
 * copy of the first gradient, v starts at zero: the first step moves by
 * lr*(1 - beta)*g. For the classical form v = beta*v + g use SGD({ momentum }).
 */
export class Momentum extends Optimizer<MomentumOptions> {
  constructor(params: Param[] | ParamGroupInput<MomentumOptions>[], options?: Partial<MomentumOptions> & StepOptions) {
    super(momentumSpec, params, options);
  }
}
