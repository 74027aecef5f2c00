import { adagradSpec, type AdagradOptions } from '../optimizers/adagrad.js';
import type { ReferenceMethod } from './types.js';

export interface AdagradReferenceState {
  step: number;
  sum: Float32Array;
}

/** Plain-JS Adagrad (see the Adagrad class for the formula). */
export const adagrad: ReferenceMethod<AdagradOptions, AdagradReferenceState> = {
  init: (n, options) => ({
    step: 0,
    sum: new Float32Array(n).fill(options?.initialAccumulatorValue ?? adagradSpec.defaults.initialAccumulatorValue),
  }),
  step(p, g, s, options) {
    const { lr, lrDecay, weightDecay: wd, eps, maximize } = { ...adagradSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    s.step++;
    const clr = lr / (1 + (s.step - 1) * lrDecay);
    const sum = s.sum;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const si = sum[i]! + d * d;
      sum[i] = si;
      p[i] = p[i]! - (clr * d) / (Math.sqrt(si) + eps);
    }
  },
};
