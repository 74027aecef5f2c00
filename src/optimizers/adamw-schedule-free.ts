import { FLUSH_MIN_EPS, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { finiteNumber, nonNegative, unitHalfOpen, type Rule } from '../validate.js';
import {
  ScheduleFreeOptimizer, checkScheduleFreeScalars, initScheduleFreeScalars, scheduleFreeScalarNames, scheduleFreeStep, wholeNumber,
  type ScheduleFreeCommon, type ScheduleFreeScalars,
} from './schedule-free.js';

/** Hyperparameters of Schedule-Free AdamW (upstream `AdamWScheduleFree`, camelCase). */
export interface AdamWScheduleFreeOptions extends ScheduleFreeCommon {
  /** learning rate, default 0.0025 */
  lr: number;
  /** [b1, b2]: b1 interpolates y between z and x, in (0, 1); b2 averages g*g, in [0, 1); default [0.9, 0.999] */
  betas: readonly [number, number];
  /** added to the denominator, default 1e-8 */
  eps: number;
  /** L2 penalty evaluated at y, added to the normalized gradient, default 0 */
  weightDecay: number;
  /** linear warmup steps, default 0 */
  warmupSteps: number;
  /** polynomial weighting power of the average, default 0 */
  r: number;
  /** the average weighs steps by lrMax^weightLrPower, default 2 */
  weightLrPower: number;
}

const sfBetas: Rule = {
  expected: 'a pair [beta1, beta2] with beta1 in (0, 1) and beta2 in [0, 1)',
  type: 'pair',
  test: (v: readonly number[]) => (v[0] as number) > 0 && (v[0] as number) < 1 && unitHalfOpen.test(v[1] as never),
};

export const adamwScheduleFreeSpec: MethodSpec<AdamWScheduleFreeOptions, ScheduleFreeScalars> = {
  name: 'AdamWScheduleFree',
  splitFrom: 65536, // 2 threads win from 64K (README, threads)
  torch: {
    class: 'schedulefree.AdamWScheduleFree',
    note: 'no torch.optim twin: the names of facebookresearch/schedule_free, which keeps k (our step), weight_sum, lr_max and train_mode in the param group; here they are per-parameter state, as NAdam\'s mu_product',
    state: { z: 'z', expAvgSq: 'exp_avg_sq', weightSum: 'weight_sum', lrMax: 'lr_max', trainMode: 'train_mode' },
    options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', warmupSteps: 'warmup_steps', r: 'r', weightLrPower: 'weight_lr_power' },
    step: true,
  },
  defaults: { lr: 0.0025, betas: Object.freeze([0.9, 0.999]) as readonly [number, number], eps: 1e-8, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 },
  rules: { lr: nonNegative, betas: sfBetas, eps: nonNegative, weightDecay: nonNegative, warmupSteps: wholeNumber, r: finiteNumber, weightLrPower: nonNegative },
  flushes: (o) => o.eps >= FLUSH_MIN_EPS,
  buffers: () => ['z', 'expAvgSq'],
  scalarNames: scheduleFreeScalarNames,
  initScalars: initScheduleFreeScalars,
  checkScalars: checkScheduleFreeScalars,
  run(k, a, o, ctx) {
    const { t, scalars } = ctx;
    const [b1, b2] = o.betas;
    const { lr, ckp1 } = scheduleFreeStep(o, t, scalars);
    const rsqrtBc2 = 1 / Math.sqrt(1 - b2 ** t);
    const first = ctx.started.has('z') ? 0 : 1;
    k.scheduleFreeAdamW(a.p, a.g, a.state.z!, a.state.expAvgSq!, a.n, lr, lr * (b1 * (1 - ckp1) - 1), rsqrtBc2, b2, ckp1, o.eps, o.weightDecay, gradScale(false, ctx), first);
  },
};

/**
 * Schedule-Free AdamW (Defazio et al. 2024, "The Road Less Scheduled";
 * upstream schedulefree/adamw_schedulefree.py): no learning-rate schedule.
 * In train mode the parameters hold y; opt.eval() turns them into the average x.
 * Step t (k = t - 1), with z = y at the first step:
 *
 *     lr     = lr * min(1, t/warmupSteps),  lrMax = max(lrMax, lr)
 *     ckp1   = t^r*lrMax^weightLrPower / (sum of the same over steps 1..t)
 *     v      = b2*v + (1 - b2)*g*g
 *     u      = g / (sqrt(v/(1 - b2^t)) + eps) + weightDecay*y
 *     y      = lerp(y, z, ckp1) + lr*(b1*(1 - ckp1) - 1)*u
 *     z      = z - lr*u
 *     x      = lerp(y, z, 1 - 1/b1)   (opt.eval()),   y = lerp(x, z, 1 - b1)   (train())
 */
export class AdamWScheduleFree extends ScheduleFreeOptimizer<AdamWScheduleFreeOptions> {
  constructor(params: Param[] | ParamGroupInput<AdamWScheduleFreeOptions>[], options?: Partial<AdamWScheduleFreeOptions> & StepOptions) {
    super(adamwScheduleFreeSpec, params, options);
  }

  protected beta1(o: Readonly<AdamWScheduleFreeOptions>): number {
    return o.betas[0];
  }
}
