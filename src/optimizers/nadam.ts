import { Optimizer, gradScale, FLUSH_MIN_EPS, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, boolean, nonNegative } from '../validate.js';

/** Hyperparameters of NAdam (PyTorch 2.x `torch.optim.NAdam`, camelCase). */
export interface NAdamOptions {
  /** learning rate, default 2e-3 */
  lr: number;
  /** coefficients of the running averages of g and g*g, each in [0, 1), default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to the denominator, default 1e-8 */
  eps: number;
  /** weight decay: an L2 term added to the gradient, or decoupled (see decoupledWeightDecay), default 0 */
  weightDecay: number;
  /** psi of the momentum schedule mu_t = b1*(1 - 0.5*0.96^(t*psi)), default 4e-3 */
  momentumDecay: number;
  /** decay the parameters as AdamW does (p *= 1 - lr*weightDecay) instead of adding an L2 term (PyTorch >= 2.1), default false */
  decoupledWeightDecay: boolean;
  /** maximize the objective instead of minimizing it (PyTorch >= 2.2), default false */
  maximize: boolean;
}

/** NAdam's running scalar, kept per group: the product of the momentum schedule so far. */
export interface NAdamScalars extends Record<string, number> {
  muProduct: number;
}

export const nadamSpec: MethodSpec<NAdamOptions, NAdamScalars> = {
  name: 'NAdam',
  torch: { class: 'torch.optim.NAdam', state: { muProduct: 'mu_product', expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' }, options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', momentumDecay: 'momentum_decay', decoupledWeightDecay: 'decoupled_weight_decay', maximize: 'maximize' }, step: true },
  defaults: {
    lr: 2e-3,
    betas: Object.freeze([0.9, 0.999]) as readonly [number, number],
    eps: 1e-8,
    weightDecay: 0,
    momentumDecay: 4e-3,
    decoupledWeightDecay: false,
    maximize: false,
  },
  rules: {
    lr: nonNegative,
    betas: betasRule,
    eps: nonNegative,
    weightDecay: nonNegative,
    momentumDecay: nonNegative,
    decoupledWeightDecay: boolean,
    maximize: boolean,
  },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['expAvg', 'expAvgSq'],
  scalarNames: ['muProduct'],
  initScalars: () => ({ muProduct: 1 }),
  run(k, a, o, ctx) {
    const { t, scalars } = ctx;
    const [b1, b2] = o.betas;
    const mu = b1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
    const muNext = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
    const muProduct = scalars.muProduct * mu;
    const cg = (o.lr * (1 - mu)) / (1 - muProduct);
    const cm = (o.lr * muNext) / (1 - muProduct * muNext);
    const rsqrtBc2 = 1 / Math.sqrt(1 - b2 ** t);
    const wd = o.decoupledWeightDecay ? 0 : o.weightDecay;
    const decay = o.decoupledWeightDecay ? 1 - o.lr * o.weightDecay : 1;
    const { expAvg: m, expAvgSq: v } = a.state as Record<string, number>;
    k.nadam(a.p, a.g, m!, v!, a.n, cg, cm, rsqrtBc2, b1, b2, o.eps, wd, decay, gradScale(o.maximize, ctx));
    scalars.muProduct = muProduct;
  },
};

/**
 * NAdam, as PyTorch >= 2.0 (Dozat 2016, "Incorporating Nesterov Momentum into Adam"):
 *
 *     d     = (maximize ? -g : g) + weightDecay*p        (decoupledWeightDecay: d = ±g, p *= 1 - lr*weightDecay)
 *     mu_t  = b1*(1 - 0.5*0.96^(t*momentumDecay))
 *     P_t   = mu_1*mu_2*...*mu_t                          (state: muProduct)
 *     m     = b1*m + (1 - b1)*d
 *     v     = b2*v + (1 - b2)*d*d
 *     denom = sqrt(v)/sqrt(1 - b2^t) + eps
 *     p     = p - lr*(1 - mu_t)/(1 - P_t) * d/denom - lr*mu_{t+1}/(1 - P_t*mu_{t+1}) * m/denom
 *
 * muProduct is a running product (it follows betas[0] and momentumDecay as
 * they change between steps) and is part of the state dict, as in PyTorch.
 * torch 1.13's single-tensor code multiplied one extra mu_t into the second
 * denominator; 2.x (and 1.13's foreach code) do not, and neither does this.
 */
export class NAdam extends Optimizer<NAdamOptions, NAdamScalars> {
  constructor(params: Param[] | ParamGroupInput<NAdamOptions>[], options?: Partial<NAdamOptions> & StepOptions) {
    super(nadamSpec, params, options);
  }
}
