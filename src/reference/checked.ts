import { checkFloat32Array, describe } from '../validate.js';
import type { ReferenceMethod } from './types.js';

/**
 * Wraps a reference method with argument checks (O(1) per call, so the loops
 * stay the plain baseline): p and g are live Float32Arrays of one length, the
 * state is an object, options an object or undefined. Hyperparameters are not
 * range-checked here: the optimizer classes do that.
 */
export function checked<O, S>(name: string, m: ReferenceMethod<O, S>): ReferenceMethod<O, S> {
  const checkOptions = (owner: string, options: unknown) => {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(`${owner}: options must be an object or undefined, got ${describe(options)}`);
    }
  };
  return {
    init(n, options) {
      const owner = `reference.${name}.init`;
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${owner}: n must be an integer >= 0, got ${describe(n)}`);
      checkOptions(owner, options);
      return m.init(n, options);
    },
    step(p, g, state, options) {
      const owner = `reference.${name}.step`;
      checkFloat32Array(owner, 'p', p);
      checkFloat32Array(owner, 'g', g, p.length);
      if (state === null || typeof state !== 'object') throw new TypeError(`${owner}: state must be the object init() returned, got ${describe(state)}`);
      checkOptions(owner, options);
      m.step(p, g, state, options);
    },
  };
}
