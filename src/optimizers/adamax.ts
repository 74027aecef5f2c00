import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, gradScale, FLUSH_MIN_EPS } from '../optimizer.js';
import { betasRule, boolean, nonNegative } from '../validate.js';

/** Hyperparameters of Adamax (PyTorch `torch.optim.Adamax`, camelCase). */
export interface AdamaxOptions {
  /** learning rate, default 2e-3 */
  lr: number;
  /** coefficients of the running average of g and of the infinity norm, each in [0, 1), default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to |g| inside the maximum, default 1e-8 */
  eps: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const adamaxSpec: MethodSpec<AdamaxOptions> = {
  name: 'Adamax',
  torch: { class: 'torch.optim.Adamax', state: { expAvg: 'exp_avg', expInf: 'exp_inf' }, options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', maximize: 'maximize' }, step: true },
  defaults: { lr: 2e-3, betas: Object.freeze([0.9, 0.999]) as readonly [number, number], eps: 1e-8, weightDecay: 0, maximize: false },
  rules: { lr: nonNegative, betas: betasRule, eps: nonNegative, weightDecay: nonNegative, maximize: boolean },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['expAvg', 'expInf'],
  run(k, a, o, ctx) {
    const { t } = ctx;
    const [b1, b2] = o.betas;
    const clr = o.lr / (1 - b1 ** t);
    const { expAvg: m, expInf: u } = a.state as Record<string, number>;
    k.adamax(a.p, a.g, m!, u!, a.n, clr, b1, b2, o.eps, o.weightDecay, gradScale(o.maximize, ctx));
  },
};

/**
 * Adamax, as PyTorch (Kingma & Ba 2015, "Adam: A Method for Stochastic
 * Optimization", section 7.1), with eps inside the maximum:
 *
 *     d = (maximize ? -g : g) + weightDecay*p
 *     m = b1*m + (1 - b1)*d
 *     u = max(b2*u, |d| + eps)
 *     p = p - lr/(1 - b1^t) * m/u
 */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Param[] | ParamGroupInput<AdamaxOptions>[], options?: Partial<AdamaxOptions> & StepOptions) {
    super(adamaxSpec, params, options);
  }
}
