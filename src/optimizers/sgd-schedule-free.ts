import { gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { finiteNumber, nonNegative } from '../validate.js';
import {
  ScheduleFreeOptimizer, checkScheduleFreeScalars, initScheduleFreeScalars, openUnit, scheduleFreeScalarNames, scheduleFreeStep, wholeNumber,
  type ScheduleFreeCommon, type ScheduleFreeScalars,
} from './schedule-free.js';

/** Hyperparameters of Schedule-Free SGD (upstream `SGDScheduleFree`, camelCase). */
export interface SGDScheduleFreeOptions extends ScheduleFreeCommon {
  /** learning rate, default 1.0 */
  lr: number;
  /** interpolation of y between z and x, in (0, 1), default 0.9 */
  momentum: number;
  /** L2 penalty evaluated at y, added to the gradient, default 0 */
  weightDecay: number;
  /** linear warmup steps, default 0 */
  warmupSteps: number;
  /** polynomial weighting power of the average, default 0 */
  r: number;
  /** the average weighs steps by lrMax^weightLrPower, default 2 */
  weightLrPower: number;
}

export const sgdScheduleFreeSpec: MethodSpec<SGDScheduleFreeOptions, ScheduleFreeScalars> = {
  name: 'SGDScheduleFree',
  splitFrom: 262144, // 2 threads win from 256K (README, threads)
  torch: {
    class: 'schedulefree.SGDScheduleFree',
    note: 'no torch.optim twin: the names of facebookresearch/schedule_free, which keeps k (our step), weight_sum, lr_max and train_mode in the param group; here they are per-parameter state, as NAdam\'s mu_product',
    state: { z: 'z', weightSum: 'weight_sum', lrMax: 'lr_max', trainMode: 'train_mode' },
    options: { lr: 'lr', momentum: 'momentum', weightDecay: 'weight_decay', warmupSteps: 'warmup_steps', r: 'r', weightLrPower: 'weight_lr_power' },
    step: true,
  },
  defaults: { lr: 1.0, momentum: 0.9, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 },
  rules: { lr: nonNegative, momentum: openUnit, weightDecay: nonNegative, warmupSteps: wholeNumber, r: finiteNumber, weightLrPower: nonNegative },
  buffers: () => ['z'],
  scalarNames: scheduleFreeScalarNames,
  initScalars: initScheduleFreeScalars,
  checkScalars: checkScheduleFreeScalars,
  run(k, a, o, ctx) {
    const { lr, ckp1 } = scheduleFreeStep(o, ctx.t, ctx.scalars);
    const first = ctx.started.has('z') ? 0 : 1;
    k.scheduleFreeSgd(a.p, a.g, a.state.z!, a.n, lr, lr * (o.momentum * (1 - ckp1) - 1), ckp1, o.weightDecay, gradScale(false, ctx), first);
  },
};

/**
 * Schedule-Free SGD (Defazio et al. 2024, "The Road Less Scheduled";
 * upstream schedulefree/sgd_schedulefree.py): no learning-rate schedule.
 * In train mode the parameters hold y; opt.eval() turns them into the average x.
 * Step t, with z = y at the first step and lr, ckp1 as AdamWScheduleFree's:
 *
 *     u = g + weightDecay*y
 *     y = lerp(y, z, ckp1) + lr*(momentum*(1 - ckp1) - 1)*u
 *     z = z - lr*u
 *     x = lerp(y, z, 1 - 1/momentum)   (opt.eval()),   y = lerp(x, z, 1 - momentum)   (train())
 */
export class SGDScheduleFree extends ScheduleFreeOptimizer<SGDScheduleFreeOptions> {
  constructor(params: Param[] | ParamGroupInput<SGDScheduleFreeOptions>[], options?: Partial<SGDScheduleFreeOptions> & StepOptions) {
    super(sgdScheduleFreeSpec, params, options);
  }

  protected beta1(o: Readonly<SGDScheduleFreeOptions>): number {
    return o.momentum;
  }
}
