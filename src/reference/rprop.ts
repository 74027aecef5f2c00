import { rpropSpec, type RpropOptions } from '../optimizers/rprop.js';
import type { ReferenceMethod } from './types.js';

export interface RpropReferenceState {
  step: number;
  prev: Float32Array;
  /** null until the first step fills it with lr */
  stepSize: Float32Array | null;
}

/** Plain-JS Rprop (see the Rprop class for the formula). */
export const rprop: ReferenceMethod<RpropOptions, RpropReferenceState> = {
  init: (n) => ({ step: 0, prev: new Float32Array(n), stepSize: null }),
  step(p, g, s, options) {
    const { lr, etas, stepSizes, maximize } = { ...rpropSpec.defaults, ...options };
    const [etaminus, etaplus] = etas;
    const [smin, smax] = stepSizes;
    s.step++;
    const step = (s.stepSize ??= new Float32Array(p.length).fill(lr));
    const prev = s.prev;
    for (let i = 0; i < p.length; i++) {
      let d = maximize ? -g[i]! : g[i]!;
      const prod = d * prev[i]!;
      const f = prod > 0 ? etaplus : prod < 0 ? etaminus : 1;
      const si = Math.min(Math.max(step[i]! * f, smin), smax);
      step[i] = si;
      if (prod < 0) d = 0;
      const sign = d > 0 ? 1 : d < 0 ? -1 : 0; // torch.sign: 0 for NaN
      p[i] = p[i]! - sign * step[i]!;
      prev[i] = d;
    }
  },
};
