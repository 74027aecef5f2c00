import { momentumSpec, type MomentumOptions } from '../optimizers/momentum.js';
import type { ReferenceMethod } from './types.js';

export interface MomentumReferenceState {
  step: number;
  velocity: Float32Array;
}

/** Plain-JS Momentum, moving-average form (see the Momentum class for the formula). */
export const momentum: ReferenceMethod<MomentumOptions, MomentumReferenceState> = {
  init: (n) => ({ step: 0, velocity: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, beta, weightDecay: wd, maximize } = { ...momentumSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    s.step++;
    const v = s.velocity;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const vi = beta * v[i]! + (1 - beta) * d;
      v[i] = vi;
      p[i] = p[i]! - lr * vi;
    }
  },
};
