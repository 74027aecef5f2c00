import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, gradScale, FLUSH_MIN_EPS } from '../optimizer.js';
import { betasRule, boolean, nonNegative } from '../validate.js';

/** Hyperparameters of RAdam (PyTorch 2.x `torch.optim.RAdam`, camelCase). */
export interface RAdamOptions {
  /** learning rate, default 1e-3 */
  lr: number;
  /** coefficients of the running averages of g and g*g, each in [0, 1), default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to sqrt(v) before the bias correction, default 1e-8 */
  eps: number;
  /** weight decay: an L2 term added to the gradient, or decoupled (see decoupledWeightDecay), default 0 */
  weightDecay: number;
  /** decay the parameters as AdamW does (p *= 1 - lr*weightDecay) instead of adding an L2 term (PyTorch >= 2.1), default false */
  decoupledWeightDecay: boolean;
  /** maximize the objective instead of minimizing it (PyTorch >= 2.2), default false */
  maximize: boolean;
}

/** rho_t and the rectification term r_t of step t (r_t undefined when rho_t <= 5), in double. */
export function radamRectification(beta2: number, t: number): { rhoT: number; rect: number | undefined } {
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * t * beta2 ** t) / (1 - beta2 ** t);
  if (!(rhoT > 5)) return { rhoT, rect: undefined };
  return { rhoT, rect: Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) };
}

export const radamSpec: MethodSpec<RAdamOptions> = {
  name: 'RAdam',
  torch: { class: 'torch.optim.RAdam', state: { expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' }, options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', decoupledWeightDecay: 'decoupled_weight_decay', maximize: 'maximize' }, step: true },
  defaults: {
    lr: 1e-3,
    betas: Object.freeze([0.9, 0.999]) as readonly [number, number],
    eps: 1e-8,
    weightDecay: 0,
    decoupledWeightDecay: false,
    maximize: false,
  },
  rules: {
    lr: nonNegative,
    betas: betasRule,
    eps: nonNegative,
    weightDecay: nonNegative,
    decoupledWeightDecay: boolean,
    maximize: boolean,
  },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['expAvg', 'expAvgSq'],
  run(k, a, o, ctx) {
    const { t } = ctx;
    const [b1, b2] = o.betas;
    const bc1 = 1 - b1 ** t;
    const { rect } = radamRectification(b2, t);
    const wd = o.decoupledWeightDecay ? 0 : o.weightDecay;
    const decay = o.decoupledWeightDecay ? 1 - o.lr * o.weightDecay : 1;
    const gs = gradScale(o.maximize, ctx);
    const { expAvg: m, expAvgSq: v } = a.state as Record<string, number>;
    if (rect !== undefined) {
      const step = (o.lr * rect * Math.sqrt(1 - b2 ** t)) / bc1;
      k.radam(a.p, a.g, m!, v!, a.n, step, b1, b2, o.eps, wd, decay, gs);
    } else {
      k.radamUnrectified(a.p, a.g, m!, v!, a.n, o.lr / bc1, b1, b2, wd, decay, gs);
    }
  },
};

/**
 * RAdam, as PyTorch (Liu et al. 2020, "On the Variance of the Adaptive
 * Learning Rate and Beyond"):
 *
 *     d     = (maximize ? -g : g) + weightDecay*p        (decoupledWeightDecay: d = ±g, p *= 1 - lr*weightDecay)
 *     m     = b1*m + (1 - b1)*d
 *     v     = b2*v + (1 - b2)*d*d
 *     rhoInf = 2/(1 - b2) - 1,  rho_t = rhoInf - 2t*b2^t/(1 - b2^t)
 *     rho_t > 5:  r_t = sqrt((rho_t - 4)(rho_t - 2)rhoInf / ((rhoInf - 4)(rhoInf - 2)rho_t))
 *                 p = p - lr * m/(1 - b1^t) * r_t * sqrt(1 - b2^t)/(sqrt(v) + eps)
 *     otherwise:  p = p - lr * m/(1 - b1^t)
 *
 * eps is added to sqrt(v) before the bias correction, as in PyTorch.
 */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Param[] | ParamGroupInput<RAdamOptions>[], options?: Partial<RAdamOptions> & StepOptions) {
    super(radamSpec, params, options);
  }
}
