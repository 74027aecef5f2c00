import { lionSpec, type LionOptions } from '../optimizers/lion.js';
import type { ReferenceMethod } from './types.js';

export interface LionReferenceState {
  step: number;
  expAvg: Float32Array;
}

const f = Math.fround;

/**
 * Plain-JS Lion (see the Lion class for the formula). Unlike the other
 * references, c and m are computed in float32 arithmetic (Math.fround after
 * every operation, as the kernel does): the update is sign(c), so a rounding
 * difference near c = 0 would flip a whole step of lr.
 */
export const lion: ReferenceMethod<LionOptions, LionReferenceState> = {
  init: (n) => ({ step: 0, expAvg: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, betas, weightDecay: wd } = { ...lionSpec.defaults, ...options };
    const [b1, b2] = betas;
    const [fb1, fomb1, fb2, fomb2] = [f(b1), f(1 - b1), f(b2), f(1 - b2)];
    s.step++;
    const m = s.expAvg;
    for (let i = 0; i < p.length; i++) {
      const c = f(f(m[i]! * fb1) + f(fomb1 * g[i]!));
      const sign = c > 0 ? 1 : c < 0 ? -1 : c === 0 ? 0 : NaN;
      p[i] = p[i]! - lr * (sign + wd * p[i]!);
      m[i] = f(m[i]! * fb2) + f(fomb2 * g[i]!);
    }
  },
};
