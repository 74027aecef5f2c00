// A synthetic 2-D classification set: interleaved noisy spirals, one per
// class (the classic toy problem a linear model cannot solve but a
// one-hidden-layer network can).
import { mulberry32, normal } from '../train/random.js';
import { describe } from '../validate.js';
import { makeDataset, type Dataset } from './dataset.js';

export interface SpiralOptions {
  /** examples per class, default 100 */
  perClass?: number;
  /** number of classes (arms), default 3 */
  classes?: number;
  /** standard deviation of the angle noise, in radians; default 0.2 */
  noise?: number;
  /** seed; default 0 */
  seed?: number;
}

/**
 * Class c's example i (t = i/perClass): radius r = t, angle
 * a = 4t + 2*pi*c/classes + noise*N(0, 1); features (r*sin a, r*cos a).
 */
export function spiral(options: SpiralOptions = {}): Dataset {
  const { perClass = 100, classes = 3, noise = 0.2, seed = 0 } = options;
  if (!Number.isSafeInteger(perClass) || perClass < 1) throw new RangeError(`spiral: perClass must be an integer >= 1, got ${describe(perClass)}`);
  if (!Number.isSafeInteger(classes) || classes < 2 || classes > 256) throw new RangeError(`spiral: classes must be an integer in 2..256, got ${describe(classes)}`);
  if (typeof noise !== 'number' || !(noise >= 0) || !Number.isFinite(noise)) throw new RangeError(`spiral: noise must be a finite number >= 0, got ${describe(noise)}`);
  const random = mulberry32(seed);
  const n = perClass * classes;
  const x = new Float32Array(2 * n);
  const y = new Uint8Array(n);
  for (let c = 0; c < classes; c++) {
    for (let i = 0; i < perClass; i++) {
      const k = c * perClass + i;
      const t = i / perClass;
      const a = 4 * t + (2 * Math.PI * c) / classes + noise * normal(random);
      x[2 * k] = t * Math.sin(a);
      x[2 * k + 1] = t * Math.cos(a);
      y[k] = c;
    }
  }
  return makeDataset(`spiral(${perClass}x${classes}, seed ${seed})`, x, y, 2, classes);
}
