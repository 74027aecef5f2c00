import { FLUSH_MIN_EPS, Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, boolean, nonNegative } from '../validate.js';

/** Hyperparameters of Adam and AdamW (PyTorch `torch.optim.Adam`/`AdamW`, camelCase). */
export interface AdamOptions {
  /** learning rate, default 1e-3 */
  lr: number;
  /** coefficients of the running averages of g and g*g, each in [0, 1), default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to the denominator, default 1e-8 */
  eps: number;
  /** Adam: L2 penalty added to the gradient (default 0); AdamW: decoupled decay (default 1e-2) */
  weightDecay: number;
  /** use the maximum of past second moments (AMSGrad), default false */
  amsgrad: boolean;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

/** Adam's method spec; `decoupled` gives AdamW. */
export function makeAdamSpec(name: string, decoupled: boolean): MethodSpec<AdamOptions> {
  return {
    name,
    torch: {
      class: `torch.optim.${name}`,
      state: { expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq', maxExpAvgSq: 'max_exp_avg_sq' },
      options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', amsgrad: 'amsgrad', maximize: 'maximize' },
      step: true,
    },
    defaults: { lr: 1e-3, betas: Object.freeze([0.9, 0.999]) as readonly [number, number], eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0, amsgrad: false, maximize: false },
    rules: { lr: nonNegative, betas: betasRule, eps: nonNegative, weightDecay: nonNegative, amsgrad: boolean, maximize: boolean },
    flushes: (o) => o.eps >= FLUSH_MIN_EPS,
    buffers: (o) => (o.amsgrad ? ['expAvg', 'expAvgSq', 'maxExpAvgSq'] : ['expAvg', 'expAvgSq']),
    run(k, a, o, ctx) {
      const { t } = ctx;
      const [b1, b2] = o.betas;
      const stepSize = o.lr / (1 - b1 ** t);
      const rsqrtBc2 = 1 / Math.sqrt(1 - b2 ** t);
      const wd = decoupled ? 0 : o.weightDecay;
      const decay = decoupled ? 1 - o.lr * o.weightDecay : 1;
      const gs = gradScale(o.maximize, ctx);
      const { expAvg: m, expAvgSq: v, maxExpAvgSq: vmax } = a.state as Record<string, number>;
      if (o.amsgrad) k.adamAmsgrad(a.p, a.g, m!, v!, vmax!, a.n, stepSize, rsqrtBc2, b1, b2, o.eps, wd, decay, gs);
      else k.adam(a.p, a.g, m!, v!, a.n, stepSize, rsqrtBc2, b1, b2, o.eps, wd, decay, gs);
    },
  };
}

export const adamSpec = makeAdamSpec('Adam', false);

/**
 * Adam, as PyTorch (weight decay coupled as an L2 term):
 *
 *     d    = (maximize ? -g : g) + weightDecay*p
 *     m    = b1*m + (1 - b1)*d
 *     v    = b2*v + (1 - b2)*d*d
 *     vmax = max(vmax, v), used below in place of v           (amsgrad)
 *     p    = p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
 */
export class Adam extends Optimizer<AdamOptions> {
  constructor(params: Param[] | ParamGroupInput<AdamOptions>[], options?: Partial<AdamOptions> & StepOptions) {
    super(adamSpec, params, options);
  }
}
