import { asgdSpec, type ASGDOptions } from '../optimizers/asgd.js';
import type { ReferenceMethod } from './types.js';

export interface ASGDReferenceState {
  step: number;
  /** null until the first step sets it to lr */
  eta: number | null;
  mu: number;
  ax: Float32Array;
}

/** Plain-JS ASGD (see the ASGD class for the formula). */
export const asgd: ReferenceMethod<ASGDOptions, ASGDReferenceState> = {
  init: (n) => ({ step: 0, eta: null, mu: 1, ax: new Float32Array(n) }),
  step(p, g, s, options) {
    const { lr, lambd, alpha, t0, weightDecay: wd, maximize } = { ...asgdSpec.defaults, ...options };
    const sign = maximize ? -1 : 1;
    const t = ++s.step;
    const eta = (s.eta ??= lr);
    const ax = s.ax;
    for (let i = 0; i < p.length; i++) {
      const d = sign * g[i]! + wd * p[i]!;
      const pi = p[i]! * (1 - lambd * eta) - eta * d;
      p[i] = pi;
      ax[i] = s.mu === 1 ? pi : ax[i]! + (pi - ax[i]!) * s.mu;
    }
    s.eta = lr / Math.pow(1 + lambd * lr * t, alpha);
    s.mu = 1 / Math.max(1, t - t0);
  },
};
