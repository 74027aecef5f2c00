import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions, gradScale } from '../optimizer.js';
import { boolean, etasRule, nonNegative, stepSizesRule } from '../validate.js';

/** Hyperparameters of Rprop (PyTorch `torch.optim.Rprop`, camelCase). */
export interface RpropOptions {
  /** initial step size of every element, taken at the group's first step, default 1e-2 */
  lr: number;
  /** [etaminus, etaplus]: step size factors after a sign change / no change, 0 < etaminus < 1 < etaplus, default [0.5, 1.2] */
  etas: readonly [number, number];
  /** [min, max] bounds of the step sizes, 0 <= min <= max, default [1e-6, 50] */
  stepSizes: readonly [number, number];
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

export const rpropSpec: MethodSpec<RpropOptions> = {
  name: 'Rprop',
  torch: { class: 'torch.optim.Rprop', state: { prev: 'prev', stepSize: 'step_size' }, options: { lr: 'lr', etas: 'etas', stepSizes: 'step_sizes', maximize: 'maximize' }, step: true },
  defaults: {
    lr: 1e-2,
    etas: Object.freeze([0.5, 1.2]) as readonly [number, number],
    stepSizes: Object.freeze([1e-6, 50]) as readonly [number, number],
    maximize: false,
  },
  rules: { lr: nonNegative, etas: etasRule, stepSizes: stepSizesRule, maximize: boolean },
  lazy: true,
  buffers: () => ['prev', 'stepSize'],
  run(k, a, o, ctx) {
    const { started } = ctx;
    const [etaminus, etaplus] = o.etas;
    const [smin, smax] = o.stepSizes;
    const gs = gradScale(o.maximize, ctx);
    const { prev, stepSize } = a.state as Record<string, number>;
    // PyTorch fills the step sizes with the learning rate when the state is
    // created, at the first step; later changes of lr do not affect them.
    if (!started.has('stepSize')) k.rpropFirst(a.p, a.g, prev!, stepSize!, a.n, o.lr, etaminus, etaplus, smin, smax, gs);
    else k.rprop(a.p, a.g, prev!, stepSize!, a.n, etaminus, etaplus, smin, smax, gs);
  },
};

/**
 * Rprop, as PyTorch (Riedmiller & Braun 1993, "A Direct Adaptive Method for
 * Faster Backpropagation Learning: The RPROP Algorithm"):
 *
 *     d    = maximize ? -g : g
 *     f    = etaplus if d*prev > 0, etaminus if d*prev < 0, else 1
 *     s    = clamp(s*f, stepSizes[0], stepSizes[1])      (s starts at lr, at the first step)
 *     d    = 0 where d*prev < 0
 *     p    = p - sign(d)*s
 *     prev = d
 *
 * As in PyTorch, `lr` only sets the initial step sizes: changing it after the
 * first step has no effect. sign(NaN) is 0, as torch.sign.
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: Param[] | ParamGroupInput<RpropOptions>[], options?: Partial<RpropOptions> & StepOptions) {
    super(rpropSpec, params, options);
  }
}
