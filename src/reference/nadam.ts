import { nadamSpec, type NAdamOptions } from '../optimizers/nadam.js';
import type { ReferenceMethod } from './types.js';

export interface NAdamReferenceState {
  step: number;
  muProduct: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** Plain-JS NAdam, PyTorch >= 2.0 (see the NAdam class for the formula). */
export const nadam: ReferenceMethod<NAdamOptions, NAdamReferenceState> = {
  init: (n) => ({ step: 0, muProduct: 1, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, eps, weightDecay, momentumDecay, decoupledWeightDecay, maximize } = { ...nadamSpec.defaults, ...options };
    const [b1, b2] = betas;
    const sign = maximize ? -1 : 1;
    const t = ++s.step;
    const mu = b1 * (1 - 0.5 * Math.pow(0.96, t * momentumDecay));
    const muNext = b1 * (1 - 0.5 * Math.pow(0.96, (t + 1) * momentumDecay));
    s.muProduct *= mu;
    const bc2 = 1 - b2 ** t;
    const { expAvg: m, expAvgSq: v } = s;
    for (let i = 0; i < p.length; i++) {
      let pi = p[i]!;
      let d = sign * g[i]!;
      if (decoupledWeightDecay) pi *= 1 - lr * weightDecay;
      else d += weightDecay * pi;
      const mi = b1 * m[i]! + (1 - b1) * d;
      const vi = b2 * v[i]! + (1 - b2) * d * d;
      m[i] = mi;
      v[i] = vi;
      const denom = Math.sqrt(vi / bc2) + eps;
      pi -= ((lr * (1 - mu)) / (1 - s.muProduct)) * (d / denom);
      pi -= ((lr * muNext) / (1 - s.muProduct * muNext)) * (mi / denom);
      p[i] = pi;
    }
  },
};
