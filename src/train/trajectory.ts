// Runs an optimizer on a 2-D test function and records the path it takes.
import type { TestFunction } from '../data/functions.js';
import { Optimizer } from '../optimizer.js';
import { LBFGS } from '../optimizers/lbfgs.js';
import { describe } from '../validate.js';
import { mulberry32, normal } from './random.js';

/** The most steps a trajectory records (three Float64Arrays of steps + 1 points: 240 MB at this bound). */
const MAX_STEPS = 10_000_000;

export interface TrajectoryOptions {
  /** optimizer steps, an integer >= 0 */
  steps: number;
  /**
   * standard deviation of Gaussian noise added to each gradient component,
   * to mimic a stochastic gradient (default 0: the exact gradient)
   */
  noise?: number;
  /** seed of the noise; default 0 */
  seed?: number;
  /** stop (and mark the path diverged) once |x| or |y| exceeds this; default 1e3 */
  bound?: number;
}

export interface Trajectory {
  /** x of the start and of every point after a step */
  x: Float64Array;
  /** y, likewise */
  y: Float64Array;
  /** f(x, y) at each point */
  value: Float64Array;
  /** steps taken (fewer than asked when it diverged) */
  steps: number;
  diverged: boolean;
}

/**
 * Steps `opt`, whose single parameter is the point (x, y) (create it as
 * `new Adam([Float32Array.from(fn.start)], ...)`), down `fn`. Each step writes
 * the gradient (plus noise) into `opt.grads[0]` and calls `opt.step()`; an
 * LBFGS (noise 0) takes one `step(closure)` per point, the closure writing
 * the gradient and returning f (create it with `maxIter: 1` to record every
 * iteration).
 */
export function trajectory(opt: Optimizer<object> | LBFGS, fn: TestFunction, options: TrajectoryOptions): Trajectory {
  if (!(opt instanceof Optimizer) && !(opt instanceof LBFGS)) throw new TypeError(`trajectory: opt must be an optimizer, got ${describe(opt)}`);
  const params = opt.params;
  if (params.length !== 1 || params[0]!.length !== 2) {
    throw new RangeError(`trajectory: opt must have exactly one parameter of length 2 (the point x, y), got ${params.length} parameter(s) of lengths ${params.map((p) => p.length).join(', ')}`);
  }
  const { steps, noise = 0, seed = 0, bound = 1e3 } = options ?? ({} as TrajectoryOptions);
  if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`trajectory: options.steps must be an integer >= 0, got ${describe(steps)}`);
  if (typeof noise !== 'number' || !Number.isFinite(noise) || noise < 0) throw new RangeError(`trajectory: options.noise must be a finite number >= 0, got ${describe(noise)}`);
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw new TypeError(`trajectory: options.seed must be an integer, got ${describe(seed)}`);
  if (typeof bound !== 'number' || !(bound > 0)) throw new RangeError(`trajectory: options.bound must be a number > 0, got ${describe(bound)}`);
  if (steps > MAX_STEPS) {
    throw new RangeError(`trajectory: options.steps must be at most ${MAX_STEPS} (the path is recorded point by point), got ${steps}`);
  }
  if (opt instanceof LBFGS && noise > 0) {
    throw new RangeError(`trajectory: LBFGS follows the exact gradient (its line search re-evaluates f), so options.noise must be 0, got ${noise}`);
  }
  const p = params[0]!;
  const g = opt.grads[0]!;
  const random = mulberry32(seed);
  let x: Float64Array, y: Float64Array, value: Float64Array;
  try {
    x = new Float64Array(steps + 1);
    y = new Float64Array(steps + 1);
    value = new Float64Array(steps + 1);
  } catch (e) {
    throw new RangeError(`trajectory: options.steps ${steps} is too many to record (${(e as Error).message}); ask for fewer steps`);
  }
  x[0] = p[0]!;
  y[0] = p[1]!;
  value[0] = fn.value(x[0]!, y[0]!);
  let t = 0;
  let diverged = false;
  while (t < steps && opt instanceof LBFGS) {
    // one step(closure) per recorded point; the closure evaluates f and its gradient where LBFGS asks
    let bad = false;
    try {
      opt.step(() => {
        fn.gradient(p[0]!, p[1]!, g);
        const v = fn.value(p[0]!, p[1]!);
        if (!Number.isFinite(g[0]!) || !Number.isFinite(g[1]!) || !Number.isFinite(v)) {
          bad = true;
          throw new Error('diverged');
        }
        return v;
      });
    } catch (e) {
      if (!bad) throw e;
      diverged = true;
      break;
    }
    t++;
    x[t] = p[0]!;
    y[t] = p[1]!;
    value[t] = fn.value(x[t]!, y[t]!);
    if (!(Math.abs(x[t]!) <= bound && Math.abs(y[t]!) <= bound)) {
      diverged = true;
      break;
    }
  }
  while (t < steps && opt instanceof Optimizer) {
    fn.gradient(p[0]!, p[1]!, g);
    if (noise > 0) {
      g[0] = g[0]! + noise * normal(random);
      g[1] = g[1]! + noise * normal(random);
    }
    if (!Number.isFinite(g[0]!) || !Number.isFinite(g[1]!)) {
      diverged = true;
      break;
    }
    opt.step();
    t++;
    x[t] = p[0]!;
    y[t] = p[1]!;
    value[t] = fn.value(x[t]!, y[t]!);
    if (!(Math.abs(x[t]!) <= bound && Math.abs(y[t]!) <= bound)) {
      diverged = true;
      break;
    }
  }
  return { x: x.subarray(0, t + 1), y: y.subarray(0, t + 1), value: value.subarray(0, t + 1), steps: t, diverged };
}
