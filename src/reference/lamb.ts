import { lambSpec, type LambOptions } from '../optimizers/lamb.js';
import type { ReferenceMethod } from './types.js';

export interface LambReferenceState {
  step: number;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
}

/** Plain-JS LAMB on one tensor (one layer; see the Lamb class for the formula). */
export const lamb: ReferenceMethod<LambOptions, LambReferenceState> = {
  init: (n) => ({ step: 0, expAvg: new Float32Array(n), expAvgSq: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, eps, weightDecay: wd } = { ...lambSpec.defaults, ...options };
    const [b1, b2] = betas;
    const t = ++s.step;
    const bc1 = 1 - b1 ** t;
    const bc2 = 1 - b2 ** t;
    const { expAvg: m, expAvgSq: v } = s;
    const u = new Float64Array(p.length);
    let pp = 0;
    let uu = 0;
    for (let i = 0; i < p.length; i++) {
      const mi = b1 * m[i]! + (1 - b1) * g[i]!;
      const vi = b2 * v[i]! + (1 - b2) * g[i]! * g[i]!;
      m[i] = mi;
      v[i] = vi;
      u[i] = mi / bc1 / (Math.sqrt(vi / bc2) + eps) + wd * p[i]!;
      pp += p[i]! * p[i]!;
      uu += u[i]! * u[i]!;
    }
    const pn = Math.sqrt(pp);
    const un = Math.sqrt(uu);
    const ratio = pn > 0 && un > 0 ? pn / un : 1;
    for (let i = 0; i < p.length; i++) p[i] = p[i]! - lr * ratio * u[i]!;
  },
};
