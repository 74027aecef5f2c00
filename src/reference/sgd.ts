import { sgdSpec, type SGDOptions } from '../optimizers/sgd.js';
import type { ReferenceMethod } from './types.js';

export interface SGDReferenceState {
  step: number;
  momentumBuffer: Float32Array | null;
}

/** Plain-JS SGD (see the SGD class for the formula). */
export const sgd: ReferenceMethod<SGDOptions, SGDReferenceState> = {
  init: () => ({ step: 0, momentumBuffer: null }),
  step(p, g, s, options) {
    const { lr, momentum, dampening, weightDecay: wd, nesterov, maximize } = { ...sgdSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    s.step++;
    const n = p.length;
    if (momentum === 0) {
      for (let i = 0; i < n; i++) p[i] = p[i]! - lr * (sign * g[i]! + wd * p[i]!);
      return;
    }
    const first = s.momentumBuffer === null;
    const buf = (s.momentumBuffer ??= new Float32Array(n));
    for (let i = 0; i < n; i++) {
      let d = sign * g[i]! + wd * p[i]!;
      const b = first ? d : momentum * buf[i]! + (1 - dampening) * d;
      buf[i] = b;
      d = nesterov ? d + momentum * b : b;
      p[i] = p[i]! - lr * d;
    }
  },
};
