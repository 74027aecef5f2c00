import { adamSpec, type AdamOptions } from '../optimizers/adam.js';
import { adamwSpec } from '../optimizers/adamw.js';
import type { ReferenceMethod } from './types.js';

export interface AdamReferenceState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  maxExpAvgSq: Float32Array;
}

function makeAdam(decoupled: boolean): ReferenceMethod<AdamOptions, AdamReferenceState> {
  const defaults = decoupled ? adamwSpec.defaults : adamSpec.defaults;
  return {
    init: (n) => ({ step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n), maxExpAvgSq: new Float32Array(n) }),
    step(p, g, s, options) {
      const { lr, betas, eps, weightDecay, amsgrad, maximize } = { ...defaults, ...options };
      const [b1, b2] = betas;
      const sign = maximize ? -1 : 1;
      const t = ++s.step;
      const stepSize = lr / (1 - b1 ** t);
      const bc2Sqrt = Math.sqrt(1 - b2 ** t);
      const wd = decoupled ? 0 : weightDecay;
      const decay = decoupled ? 1 - lr * weightDecay : 1;
      const { expAvg: m, expAvgSq: v, maxExpAvgSq: vmax } = s;
      for (let i = 0; i < p.length; i++) {
        const pi = p[i]! * decay;
        const d = sign * g[i]! + wd * p[i]!;
        const mi = b1 * m[i]! + (1 - b1) * d;
        let vi = b2 * v[i]! + (1 - b2) * d * d;
        m[i] = mi;
        v[i] = vi;
        if (amsgrad) {
          vi = Math.max(vmax[i]!, vi);
          vmax[i] = vi;
        }
        p[i] = pi - (stepSize * mi) / (Math.sqrt(vi) / bc2Sqrt + eps);
      }
    },
  };
}

/** Plain-JS Adam (see the Adam class for the formula). */
export const adam = makeAdam(false);
/** Plain-JS AdamW (see the AdamW class for the formula). */
export const adamw = makeAdam(true);
