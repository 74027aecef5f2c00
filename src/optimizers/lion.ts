import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, nonNegative } from '../validate.js';

/** Hyperparameters of Lion (Chen et al. 2023; names as Optax and lion-pytorch, camelCase). */
export interface LionOptions {
  /** learning rate, default 1e-4 */
  lr: number;
  /** [b1, b2]: interpolation for the update direction, and momentum of the moving average; each in [0, 1), default [0.9, 0.99] */
  betas: readonly [number, number];
  /** decoupled weight decay (p *= 1 - lr*weightDecay), default 0 */
  weightDecay: number;
}

export const lionSpec: MethodSpec<LionOptions> = {
  name: 'Lion',
  torch: { class: 'lion_pytorch.Lion', note: 'no torch.optim twin: the names of github.com/lucidrains/lion-pytorch', state: { expAvg: 'exp_avg' }, options: { lr: 'lr', betas: 'betas', weightDecay: 'weight_decay' }, step: false },
  defaults: { lr: 1e-4, betas: Object.freeze([0.9, 0.99]) as readonly [number, number], weightDecay: 0 },
  rules: { lr: nonNegative, betas: betasRule, weightDecay: nonNegative },
  // sign(b1*m + (1-b1)*g) of a subnormal m is still +-1: flushing m would stop a
  // parameter that PyTorch-style Lion keeps moving, so Lion keeps subnormals.
  flushes: () => false,
  buffers: () => ['expAvg'],
  run(k, a, o, ctx) {
    const [b1, b2] = o.betas;
    k.lion(a.p, a.g, a.state.expAvg!, a.n, o.lr, b1, b2, 1 - o.lr * o.weightDecay, ctx.gradScale);
  },
};

/**
 * Lion (EvoLved Sign Momentum): Chen et al. 2023, "Symbolic Discovery of
 * Optimization Algorithms", arXiv:2302.06675, Algorithm 2:
 *
 *     c = b1*m + (1 - b1)*g
 *     p = p - lr*(sign(c) + weightDecay*p)
 *     m = b2*m + (1 - b2)*g
 *
 * sign(0) = 0. Every element moves by exactly lr (plus decay), so Lion wants
 * a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger
 * (the paper's advice).
 */
export class Lion extends Optimizer<LionOptions> {
  constructor(params: Param[] | ParamGroupInput<LionOptions>[], options?: Partial<LionOptions> & StepOptions) {
    super(lionSpec, params, options);
  }
}
