import { radamSpec, type RAdamOptions } from '../optimizers/radam.js';
import type { ReferenceMethod } from './types.js';

export interface RAdamReferenceState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** Plain-JS RAdam (see the RAdam class for the formula). */
export const radam: ReferenceMethod<RAdamOptions, RAdamReferenceState> = {
  init: (n) => ({ step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, eps, weightDecay, decoupledWeightDecay, maximize } = { ...radamSpec.defaults, ...options };
    const [b1, b2] = betas;
    const sign = maximize ? -1 : 1;
    const t = ++s.step;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const rhoInf = 2 / (1 - b2) - 1;
    const rhoT = rhoInf - (2 * t * b2 ** t) / bc2;
    const rect = rhoT > 5 ? Math.sqrt(((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) : 0;
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
      const mhat = mi / bc1;
      p[i] = rhoT > 5 ? pi - lr * mhat * rect * (Math.sqrt(bc2) / (Math.sqrt(vi) + eps)) : pi - lr * mhat;
    }
  },
};
