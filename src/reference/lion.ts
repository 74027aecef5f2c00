import { lionSpec, type LionOptions } from '../lion.js';
import type { ReferenceMethod } from './types.js';

export interface LionReferenceState {
  step: number;
  expAvg: Float32Array;
}

/** Plain-JS Lion (see the Lion class for the formula). */
export const lion: ReferenceMethod<LionOptions, LionReferenceState> = {
  init: (n) => ({ step: 0, expAvg: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, weightDecay: wd } = { ...lionSpec.defaults, ...options };
    const [b1, b2] = betas;
    s.step++;
    const m = s.expAvg;
    for (let i = 0; i < p.length; i++) {
      const c = b1 * m[i]! + (1 - b1) * g[i]!;
      p[i] = p[i]! - lr * (Math.sign(c) + wd * p[i]!);
      m[i] = b2 * m[i]! + (1 - b2) * g[i]!;
    }
  },
};
