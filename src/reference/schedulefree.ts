// Schedule-Free AdamW and SGD in plain JS: a transcription of the per-tensor
// loops of facebookresearch/schedule_free at commit
// 70785b53e778d0e872c0bbb75ff4ee54ee10c291, schedulefree/adamw_schedulefree.py
// (AdamWScheduleFree.step/train/eval, inner_momentum = 0) and
// schedulefree/sgd_schedulefree.py (SGDScheduleFree.step/train/eval), one
// tensor at a time. Generic over the array type: with Float64Array state and
// parameters it is the float64 transcription the tests replay; with
// Float32Array (`adamwScheduleFree`, `sgdScheduleFree`) it is the plain-JS
// baseline, computing in double and storing float32.
import { adamwScheduleFreeSpec, type AdamWScheduleFreeOptions } from '../optimizers/adamw-schedule-free.js';
import { sgdScheduleFreeSpec, type SGDScheduleFreeOptions } from '../optimizers/sgd-schedule-free.js';
import type { ReferenceMethod } from './types.js';

type Arr = Float32Array | Float64Array;

/** One tensor's state: upstream's group scalars (k, weight_sum, lr_max) and its buffers (z from the first step). */
export interface ScheduleFreeReferenceState<A extends Arr = Float32Array> {
  k: number;
  weightSum: number;
  lrMax: number;
  z: A | null;
  expAvgSq: A;
}

/** torch.lerp(a, b, w) on one element, as torch's CPU kernel. */
export function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** p.lerp_(z, w) in place: train() with w = 1 - b1, opt.eval() with w = 1 - 1/b1 (a tensor without z is left alone, as upstream). */
export function scheduleFreeInterp(p: Arr, z: Arr | null, w: number): void {
  if (z === null) return;
  for (let i = 0; i < p.length; i++) p[i] = lerp(p[i]!, z[i]!, w);
}

interface Common {
  lr: number;
  weightDecay: number;
  warmupSteps: number;
  r: number;
  weightLrPower: number;
}

/** The group part of upstream's step: sched, lr, lr_max, weight, weight_sum, ckp1 (then k += 1 at the end). */
function groupStep(s: ScheduleFreeReferenceState<Arr>, o: Common): { lr: number; ckp1: number; k: number } {
  const k = s.k;
  const sched = k < o.warmupSteps ? (k + 1) / o.warmupSteps : 1.0;
  const lr = o.lr * sched;
  s.lrMax = Math.max(lr, s.lrMax);
  const weight = (k + 1) ** o.r * s.lrMax ** o.weightLrPower;
  s.weightSum = s.weightSum + weight;
  const ckp1 = s.weightSum === 0 ? 0 : weight / s.weightSum; // ZeroDivisionError -> 0
  return { lr, ckp1, k };
}

/** AdamWScheduleFree.step on one tensor y (= p) with gradient g. */
export function adamwScheduleFreeStep<A extends Arr>(y: A, g: ArrayLike<number>, s: ScheduleFreeReferenceState<A>, options?: Partial<AdamWScheduleFreeOptions>): void {
  const o = { ...adamwScheduleFreeSpec.defaults, ...options };
  const [beta1, beta2] = o.betas;
  const { lr, ckp1, k } = groupStep(s as ScheduleFreeReferenceState<Arr>, o);
  const biasCorrection2 = 1 - beta2 ** (k + 1);
  const z = (s.z ??= y.slice() as A); // torch.clone(p)
  const v = s.expAvgSq;
  const decay = o.weightDecay;
  for (let i = 0; i < y.length; i++) {
    const gi = g[i]!;
    v[i] = v[i]! * beta2 + (1 - beta2) * gi * gi;
    const denom = Math.sqrt(v[i]! / biasCorrection2) + o.eps;
    let gn = gi / denom;
    if (decay !== 0) gn = gn + decay * y[i]!;
    const yi = lerp(y[i]!, z[i]!, ckp1);
    y[i] = yi + gn * (lr * (beta1 * (1 - ckp1) - 1));
    z[i] = z[i]! - gn * lr;
  }
  s.k = k + 1;
}

/** SGDScheduleFree.step on one tensor y (= p) with gradient g. */
export function sgdScheduleFreeStep<A extends Arr>(y: A, g: ArrayLike<number>, s: ScheduleFreeReferenceState<A>, options?: Partial<SGDScheduleFreeOptions>): void {
  const o = { ...sgdScheduleFreeSpec.defaults, ...options };
  const { lr, ckp1, k } = groupStep(s as ScheduleFreeReferenceState<Arr>, o);
  const z = (s.z ??= y.slice() as A);
  const wd = o.weightDecay;
  for (let i = 0; i < y.length; i++) {
    let gi = g[i]!;
    if (wd !== 0) gi = gi + wd * y[i]!;
    const yi = lerp(y[i]!, z[i]!, ckp1);
    y[i] = yi + gi * (lr * (o.momentum * (1 - ckp1) - 1));
    z[i] = z[i]! - gi * lr;
  }
  s.k = k + 1;
}

/** Fresh state for n elements, Float32Array (the baseline) or Float64Array (the transcription). */
export function scheduleFreeInit(n: number, f64 = false): ScheduleFreeReferenceState<Arr> {
  return { k: 0, weightSum: 0, lrMax: -1, z: null, expAvgSq: f64 ? new Float64Array(n) : new Float32Array(n) };
}

/** Plain-JS Schedule-Free AdamW (train mode; see AdamWScheduleFree for the formula). */
export const adamwScheduleFree: ReferenceMethod<AdamWScheduleFreeOptions, ScheduleFreeReferenceState> = {
  init: (n) => scheduleFreeInit(n) as ScheduleFreeReferenceState,
  step: (p, g, s, options) => adamwScheduleFreeStep(p, g, s, options),
};

/** Plain-JS Schedule-Free SGD (train mode; see SGDScheduleFree for the formula). */
export const sgdScheduleFree: ReferenceMethod<SGDScheduleFreeOptions, ScheduleFreeReferenceState> = {
  init: (n) => scheduleFreeInit(n) as ScheduleFreeReferenceState,
  step: (p, g, s, options) => sgdScheduleFreeStep(p, g, s, options),
};
