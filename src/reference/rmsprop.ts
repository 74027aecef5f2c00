import { rmspropSpec, type RMSpropOptions } from '../optimizers/rmsprop.js';
import type { ReferenceMethod } from './types.js';

export interface RMSpropReferenceState {
  step: number;
  squareAvg: Float32Array;
  momentumBuffer: Float32Array;
  gradAvg: Float32Array;
}

/** Plain-JS RMSprop (see the RMSprop class for the formula). */
export const rmsprop: ReferenceMethod<RMSpropOptions, RMSpropReferenceState> = {
  init: (n) => ({ step: 0, squareAvg: new Float32Array(n), momentumBuffer: new Float32Array(n), gradAvg: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, alpha, eps, weightDecay: wd, momentum, centered, maximize } = { ...rmspropSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    s.step++;
    const { squareAvg: sq, momentumBuffer: buf, gradAvg: ga } = s;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const si = alpha * sq[i]! + (1 - alpha) * d * d;
      sq[i] = si;
      let avg: number;
      if (centered) {
        const gi = alpha * ga[i]! + (1 - alpha) * d;
        ga[i] = gi;
        avg = Math.sqrt(si - gi * gi) + eps;
      } else {
        avg = Math.sqrt(si) + eps;
      }
      if (momentum > 0) {
        const b = momentum * buf[i]! + d / avg;
        buf[i] = b;
        p[i] = p[i]! - lr * b;
      } else {
        p[i] = p[i]! - (lr * d) / avg;
      }
    }
  },
};
