import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, FLUSH_MIN_EPS } from '../optimizer.js';
import { boolean, nonNegative } from '../validate.js';

/** Hyperparameters of Adagrad (PyTorch `torch.optim.Adagrad`, camelCase). */
export interface AdagradOptions {
  /** learning rate, default 1e-2 */
  lr: number;
  /** learning-rate decay, default 0 */
  lrDecay: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** initial value of the sum of squares, default 0 */
  initialAccumulatorValue: number;
  /** added to the denominator, default 1e-10 */
  eps: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const adagradSpec: MethodSpec<AdagradOptions> = {
  name: 'Adagrad',
  torch: { class: 'torch.optim.Adagrad', state: { sum: 'sum' }, options: { lr: 'lr', lrDecay: 'lr_decay', weightDecay: 'weight_decay', initialAccumulatorValue: 'initial_accumulator_value', eps: 'eps', maximize: 'maximize' }, step: true },
  defaults: { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false },
  rules: {
    lr: nonNegative,
    lrDecay: nonNegative,
    weightDecay: nonNegative,
    initialAccumulatorValue: nonNegative,
    eps: nonNegative,
    maximize: boolean,
  },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['sum'],
  // As PyTorch: the accumulator starts from the constructor's value; a
  // per-group initialAccumulatorValue is reported but not used.
  initial: (_b, _o, base) => base.initialAccumulatorValue,
  eager: true,
  run(k, a, o, ctx) {
    const { t } = ctx;
    const clr = o.lr / (1 + (t - 1) * o.lrDecay);
    k.adagrad(a.p, a.g, a.state.sum!, a.n, clr, o.eps, o.weightDecay, gradScale(o.maximize, ctx));
  },
};

/**
 * Adagrad, as PyTorch (state exists from construction):
 *
 *     d   = (maximize ? -g : g) + weightDecay*p
 *     clr = lr / (1 + (t - 1)*lrDecay)
 *     sum = sum + d*d                   (sum starts at initialAccumulatorValue)
 *
 * As in PyTorch, `sum` starts from the constructor-level
 * initialAccumulatorValue for every group; a per-group value is kept in
 * `paramGroups[i]` but does not change the accumulator.
 *     p   = p - clr*d / (sqrt(sum) + eps)
 */
export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Param[] | ParamGroupInput<AdagradOptions>[], options?: Partial<AdagradOptions> & StepOptions) {
    super(adagradSpec, params, options);
  }
}
