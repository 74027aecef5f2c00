import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { boolean, nonNegative } from '../validate.js';

/** Hyperparameters of ASGD (PyTorch `torch.optim.ASGD`, camelCase). */
export interface ASGDOptions {
  /** learning rate, default 1e-2 */
  lr: number;
  /** decay term, default 1e-4 */
  lambd: number;
  /** power of the eta schedule, default 0.75 */
  alpha: number;
  /** step after which averaging starts, default 1e6 */
  t0: number;
  /** L2 penalty added to the gradient, default 0 */
  weightDecay: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

/** ASGD's running scalars, kept per group: the step size and the averaging rate for the next step. */
export interface ASGDScalars extends Record<string, number> {
  eta: number;
  mu: number;
}

export const asgdSpec: MethodSpec<ASGDOptions, ASGDScalars> = {
  name: 'ASGD',
  torch: { class: 'torch.optim.ASGD', state: { eta: 'eta', mu: 'mu', ax: 'ax' }, options: { lr: 'lr', lambd: 'lambd', alpha: 'alpha', t0: 't0', weightDecay: 'weight_decay', maximize: 'maximize' }, step: true },
  defaults: { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false },
  rules: { lr: nonNegative, lambd: nonNegative, alpha: nonNegative, t0: nonNegative, weightDecay: nonNegative, maximize: boolean },
  buffers: () => ['ax'],
  scalarNames: ['eta', 'mu'],
  initScalars: (o) => ({ eta: o.lr, mu: 1 }),
  run(k, a, o, ctx) {
    const { t, scalars } = ctx;
    const { eta, mu } = scalars;
    const decay = 1 - o.lambd * eta;
    const gs = gradScale(o.maximize, ctx);
    const ax = a.state.ax!;
    // The kernel applies mu in float32; at float32 1 the average is a copy, as PyTorch's `mu != 1` test.
    if (Math.fround(mu) === 1) k.asgd(a.p, a.g, ax, a.n, eta, o.weightDecay, decay, gs);
    else k.asgdAverage(a.p, a.g, ax, a.n, eta, mu, o.weightDecay, decay, gs);
    scalars.eta = o.lr / (1 + o.lambd * o.lr * t) ** o.alpha;
    scalars.mu = 1 / Math.max(1, t - o.t0);
  },
};

/**
 * Averaged SGD, as PyTorch (Polyak & Juditsky 1992, "Acceleration of
 * Stochastic Approximation by Averaging"):
 *
 *     d   = (maximize ? -g : g) + weightDecay*p
 *     p   = p*(1 - lambd*eta) - eta*d
 *     ax  = p if mu = 1, else ax + (p - ax)*mu
 *     eta = lr / (1 + lambd*lr*t)^alpha,   mu = 1 / max(1, t - t0)    (for the next step)
 *
 * eta starts at lr and mu at 1 on the group's first step. eta and mu are
 * running scalars (a change of lr shows from the following step, as in
 * PyTorch) and are part of the state dict. The averaged parameters `ax` are
 * in the state dict (`stateDict().state[i].ax`); the parameters themselves
 * follow plain SGD with the eta schedule.
 */
export class ASGD extends Optimizer<ASGDOptions, ASGDScalars> {
  constructor(params: Param[] | ParamGroupInput<ASGDOptions>[], options?: Partial<ASGDOptions> & StepOptions) {
    super(asgdSpec, params, options);
  }
}
