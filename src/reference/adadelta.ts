import { adadeltaSpec, type AdadeltaOptions } from '../optimizers/adadelta.js';
import type { ReferenceMethod } from './types.js';

export interface AdadeltaReferenceState {
  step: number;
  squareAvg: Float32Array;
  accDelta: Float32Array;
}

/** Plain-JS Adadelta (see the Adadelta class for the formula). */
export const adadelta: ReferenceMethod<AdadeltaOptions, AdadeltaReferenceState> = {
  init: (n) => ({ step: 0, squareAvg: new Float32Array(n), accDelta: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, rho, eps, weightDecay: wd, maximize } = { ...adadeltaSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    s.step++;
    const { squareAvg: sq, accDelta: acc } = s;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const si = rho * sq[i]! + (1 - rho) * d * d;
      sq[i] = si;
      const delta = (Math.sqrt(acc[i]! + eps) / Math.sqrt(si + eps)) * d;
      acc[i] = rho * acc[i]! + (1 - rho) * delta * delta;
      p[i] = p[i]! - lr * delta;
    }
  },
};
