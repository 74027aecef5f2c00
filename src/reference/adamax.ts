import { adamaxSpec, type AdamaxOptions } from '../optimizers/adamax.js';
import type { ReferenceMethod } from './types.js';

export interface AdamaxReferenceState {
  step: number;
  expAvg: Float32Array;
  expInf: Float32Array;
}

/** Plain-JS Adamax (see the Adamax class for the formula). */
export const adamax: ReferenceMethod<AdamaxOptions, AdamaxReferenceState> = {
  init: (n) => ({ step: 0, expAvg: new Float32Array(n), expInf: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, eps, weightDecay: wd, maximize } = { ...adamaxSpec.defaults, ...options };
    const [b1, b2] = betas;
    const sign = maximize ? -1 : 1;
    const t = ++s.step;
    const clr = lr / (1 - b1 ** t);
    const { expAvg: m, expInf: u } = s;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const mi = b1 * m[i]! + (1 - b1) * d;
      const ui = Math.max(b2 * u[i]!, Math.abs(d) + eps);
      m[i] = mi;
      u[i] = ui;
      p[i] = p[i]! - (clr * mi) / ui;
    }
  },
};
