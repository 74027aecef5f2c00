import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, gradScale, FLUSH_MIN_EPS } from '../optimizer.js';
import { boolean, nonNegative, unitClosed } from '../validate.js';

/** Hyperparameters of Adadelta (PyTorch `torch.optim.Adadelta`, camelCase). */
export interface AdadeltaOptions {
  /** coefficient that scales delta before it is applied, default 1.0 */
  lr: number;
  /** coefficient of the running averages, in [0, 1], default 0.9 */
  rho: number;
  /** added inside both square roots, default 1e-6 */
  eps: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const adadeltaSpec: MethodSpec<AdadeltaOptions> = {
  name: 'Adadelta',
  torch: { class: 'torch.optim.Adadelta', state: { squareAvg: 'square_avg', accDelta: 'acc_delta' }, options: { lr: 'lr', rho: 'rho', eps: 'eps', weightDecay: 'weight_decay', maximize: 'maximize' }, step: true },
  defaults: { lr: 1.0, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false },
  rules: { lr: nonNegative, rho: unitClosed, eps: nonNegative, weightDecay: nonNegative, maximize: boolean },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['squareAvg', 'accDelta'],
  run(k, a, o, ctx) {
    const { squareAvg: sq, accDelta: acc } = a.state as Record<string, number>;
    k.adadelta(a.p, a.g, sq!, acc!, a.n, o.lr, o.rho, o.eps, o.weightDecay, gradScale(o.maximize, ctx));
  },
};

/**
 * Adadelta, as PyTorch (Zeiler 2012, "ADADELTA: An Adaptive Learning Rate Method"):
 *
 *     d     = (maximize ? -g : g) + weightDecay*p
 *     sq    = rho*sq + (1 - rho)*d*d
 *     delta = sqrt(acc + eps) / sqrt(sq + eps) * d
 *     acc   = rho*acc + (1 - rho)*delta*delta
 *     p     = p - lr*delta
 */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Param[] | ParamGroupInput<AdadeltaOptions>[], options?: Partial<AdadeltaOptions> & StepOptions) {
    super(adadeltaSpec, params, options);
  }
}
