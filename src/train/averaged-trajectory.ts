// The path of a weight average (SWA or EMA, AveragedParams) along a recorded
// 2-D trajectory: what an AveragedParams updated after every step would have
// held at each point.
import { AveragedParams, type AveragedParamsOptions } from '../averaged-params.js';
import type { TestFunction } from '../data/functions.js';
import { describe } from '../validate.js';
import type { Trajectory } from './trajectory.js';

/**
 * Feeds the points of `path` (from `trajectory`) one by one to an
 * `AveragedParams` (its fused kernel, float32, as a training loop would after
 * each step) and records the average after each: point 0 is the start (the
 * first update copies), then, with p_k the k-th point,
 *
 *     'ema' (decay d):  avg_k = d*avg_{k-1} + (1 - d)*p_k
 *     'swa':            avg_k = (p_0 + ... + p_k)/(k + 1)
 *
 * and f at each average. `steps` and `diverged` are the path's.
 */
export function averagedTrajectory(path: Trajectory, fn: TestFunction, options: AveragedParamsOptions = { mode: 'ema' }): Trajectory {
  const owner = 'averagedTrajectory';
  if (path === null || typeof path !== 'object') throw new TypeError(`${owner}: path must be a Trajectory from trajectory(), got ${describe(path)}`);
  const { x: px, y: py, steps, diverged } = path;
  if (!Number.isSafeInteger(steps) || steps < 0) throw new RangeError(`${owner}: path.steps must be an integer >= 0, got ${describe(steps)}`);
  for (const [name, a] of [['x', px], ['y', py]] as const) {
    if (!(a instanceof Float64Array) || a.length !== steps + 1) {
      throw new RangeError(`${owner}: path.${name} must be a Float64Array of steps + 1 = ${steps + 1} points, got ${describe(a)}`);
    }
  }
  if (fn === null || typeof fn !== 'object' || typeof fn.value !== 'function') throw new TypeError(`${owner}: fn must be a test function (testFunctions.rosenbrock, ...), got ${describe(fn)}`);
  const point = new Float32Array(2);
  const avg = new AveragedParams([point], options);
  try {
    const view = avg.params[0]!;
    const x = new Float64Array(steps + 1);
    const y = new Float64Array(steps + 1);
    const value = new Float64Array(steps + 1);
    for (let k = 0; k <= steps; k++) {
      point[0] = px[k]!;
      point[1] = py[k]!;
      avg.update([point]);
      x[k] = view[0]!;
      y[k] = view[1]!;
      value[k] = fn.value(x[k]!, y[k]!);
    }
    return { x, y, value, steps, diverged };
  } finally {
    avg.dispose();
  }
}
