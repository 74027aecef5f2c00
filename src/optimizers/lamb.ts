import { Optimizer, FLUSH_MIN_EPS, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, nonNegative } from '../validate.js';

/** Hyperparameters of LAMB (You et al. 2020; names as Optax, camelCase). */
export interface LambOptions {
  /** learning rate, default 1e-3 */
  lr: number;
  /** coefficients of the running averages of g and g*g, each in [0, 1), default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to the denominator, default 1e-6 */
  eps: number;
  /** decoupled weight decay, added to the update before the trust ratio, default 0 */
  weightDecay: number;
}

/** The trust ratio ||p|| / ||u|| of one tensor, 1 when either norm is 0 (NaN norms propagate). */
export function lambTrustRatio(paramNorm: number, updateNorm: number): number {
  return paramNorm === 0 || updateNorm === 0 ? 1 : paramNorm / updateNorm;
}

export const lambSpec: MethodSpec<LambOptions> = {
  name: 'Lamb',
  splitFrom: 65536, // 2 threads win from 64K (README, threads)
  torch: { class: 'pytorch_lamb.Lamb', note: 'no torch.optim twin: the names of github.com/cybertronai/pytorch-lamb', state: { expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' }, options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay' }, step: true },
  defaults: { lr: 1e-3, betas: Object.freeze([0.9, 0.999]) as readonly [number, number], eps: 1e-6, weightDecay: 0 },
  rules: { lr: nonNegative, betas: betasRule, eps: nonNegative, weightDecay: nonNegative },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['expAvg', 'expAvgSq'],
  run(k, a, o, ctx) {
    const { t, tensors } = ctx;
    const [b1, b2] = o.betas;
    const c1 = 1 / (1 - b1 ** t);
    const c2 = 1 / Math.sqrt(1 - b2 ** t);
    const { expAvg: m, expAvgSq: v } = a.state as Record<string, number>;
    // Per tensor: pass 1 (moments and both norms), the ratio in double, pass 2 (the move).
    for (const { offset, length } of tensors) {
      k.lambMoments(a.p + offset, a.g + offset, m! + offset, v! + offset, length, c1, c2, b1, b2, o.eps, o.weightDecay, ctx.gradScale);
      const ratio = lambTrustRatio(Math.sqrt(k.lambParamSumSq()), Math.sqrt(k.lambUpdateSumSq()));
      k.lambApply(a.p + offset, m! + offset, v! + offset, length, o.lr * ratio, c1, c2, o.eps, o.weightDecay);
    }
  },
};

/**
 * LAMB (Layer-wise Adaptive Moments for Batch training): You et al. 2020,
 * "Large Batch Optimization for Deep Learning: Training BERT in 76 minutes",
 * arXiv:1904.00962, Algorithm 2, with bias correction (as the paper since v3,
 * Optax and NVIDIA's apex) and the identity as scaling function phi:
 *
 *     m     = b1*m + (1 - b1)*g
 *     v     = b2*v + (1 - b2)*g*g
 *     u     = (m/(1 - b1^t)) / (sqrt(v/(1 - b2^t)) + eps) + weightDecay*p
 *     ratio = ||p|| / ||u||        per tensor (layer); 1 if ||p|| = 0 or ||u|| = 0
 *     p     = p - lr*ratio*u
 *
 * Each tensor given to the optimizer is one layer for the trust ratio.
 */
export class Lamb extends Optimizer<LambOptions> {
  constructor(params: Param[] | ParamGroupInput<LambOptions>[], options?: Partial<LambOptions> & StepOptions) {
    super(lambSpec, params, options);
  }
}
