import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, FLUSH_MIN_EPS } from '../optimizer.js';
import { boolean, nonNegative, unitClosed } from '../validate.js';

/** Hyperparameters of RMSprop (PyTorch `torch.optim.RMSprop`, camelCase). */
export interface RMSpropOptions {
  /** learning rate, default 1e-2 */
  lr: number;
  /** smoothing constant, in [0, 1], default 0.99 */
  alpha: number;
  /** added to the denominator, default 1e-8 */
  eps: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** momentum factor, default 0 */
  momentum: number;
  /** normalize by an estimate of the gradient's variance, default false */
  centered: boolean;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const rmspropSpec: MethodSpec<RMSpropOptions> = {
  name: 'RMSprop',
  torch: { class: 'torch.optim.RMSprop', state: { squareAvg: 'square_avg', momentumBuffer: 'momentum_buffer', gradAvg: 'grad_avg' }, options: { lr: 'lr', alpha: 'alpha', eps: 'eps', weightDecay: 'weight_decay', momentum: 'momentum', centered: 'centered', maximize: 'maximize' }, step: true },
  defaults: { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false },
  rules: {
    lr: nonNegative,
    alpha: unitClosed,
    eps: nonNegative,
    weightDecay: nonNegative,
    momentum: nonNegative,
    centered: boolean,
    maximize: boolean,
  },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: (o) => ['squareAvg', ...(o.momentum > 0 ? ['momentumBuffer'] : []), ...(o.centered ? ['gradAvg'] : [])],
  run(k, a, o, ctx) {
    const gs = gradScale(o.maximize, ctx);
    const { squareAvg: sq, momentumBuffer: buf, gradAvg: ga } = a.state as Record<string, number>;
    if (o.centered) {
      if (o.momentum > 0) k.rmspropCenteredMomentum(a.p, a.g, sq!, ga!, buf!, a.n, o.lr, o.alpha, o.momentum, o.eps, o.weightDecay, gs);
      else k.rmspropCentered(a.p, a.g, sq!, ga!, a.n, o.lr, o.alpha, o.eps, o.weightDecay, gs);
    } else if (o.momentum > 0) {
      k.rmspropMomentum(a.p, a.g, sq!, buf!, a.n, o.lr, o.alpha, o.momentum, o.eps, o.weightDecay, gs);
    } else {
      k.rmsprop(a.p, a.g, sq!, a.n, o.lr, o.alpha, o.eps, o.weightDecay, gs);
    }
  },
};

/**
 * RMSprop, as PyTorch:
 *
 *     d   = (maximize ? -g : g) + weightDecay*p
 *     sq  = alpha*sq + (1 - alpha)*d*d
 *     ga  = alpha*ga + (1 - alpha)*d                       (centered)
 *     avg = sqrt(sq - ga*ga) + eps  (centered)  or  sqrt(sq) + eps
 *     b   = momentum*b + d/avg;  p = p - lr*b              (momentum > 0)
 *     p   = p - lr*d/avg                                   (momentum = 0)
 *
 * alpha must lie in [0, 1] (PyTorch only asks alpha >= 0; above 1 the average
 * turns negative). `centered` and a non-zero `momentum` need state buffers,
 * which are allocated at construction: a group created without them cannot
 * switch them on later.
 */
export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Param[] | ParamGroupInput<RMSpropOptions>[], options?: Partial<RMSpropOptions> & StepOptions) {
    super(rmspropSpec, params, options);
  }
}
