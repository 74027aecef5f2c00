// A driver for tests against formulas evaluated in float64: runs an optimizer
// and a float64 step function side by side over the same data and reports the
// worst deviation under the conformance rule after every step.
import type { Optimizer } from '../src/index.js';
import { conformance, randn, rng } from './helpers.js';

/** One float64 step of one tensor: x, g, the tensor's float64 state, 1-based t, the group's current options. */
export type Step64<O, S> = (x: Float64Array, g: Float32Array, state: S, t: number, o: O) => void;

export interface TrajectoryCase<O> {
  /** options per group and the tensor indices of each group (into sizes) */
  groups: { options: Partial<O>; tensors: number[] }[];
  sizes: readonly number[];
  steps: number;
  seed: number;
  scale?: number;
  /** fraction of gradient elements set to 0 */
  sparse?: number;
  /** option changes before 1-based step t, per group */
  changes?: (t: number, gi: number) => Partial<O> | undefined;
}

/**
 * Runs `make` (the optimizer under test) and `step64` over the same random
 * data; returns the worst |error| / tolerance over all steps (<= 1 passes) and
 * where it happened.
 */
export function trajectory<O extends object, S>(
  make: (groups: ({ params: Float32Array[] } & Partial<O>)[]) => Optimizer<O>,
  defaults: O,
  init64: (n: number) => S,
  step64: Step64<O, S>,
  c: TrajectoryCase<O>,
): { ratio: number; where: string } {
  const next = rng(c.seed);
  const params = c.sizes.map((n) => randn(next, n));
  const opt = make(c.groups.map((g) => ({ params: g.tensors.map((i) => params[i]!.slice()), ...g.options })));
  const order = c.groups.flatMap((g) => g.tensors);
  const current = c.groups.map((g) => ({ ...defaults, ...g.options }) as O);
  const x = params.map((p) => Float64Array.from(p));
  const state = c.sizes.map((n) => init64(n));
  let worst = { ratio: 0, where: 'nowhere' };
  try {
    for (let t = 1; t <= c.steps; t++) {
      c.groups.forEach((_, gi) => {
        const change = c.changes?.(t, gi);
        if (!change) return;
        Object.assign(current[gi]!, change);
        Object.assign(opt.paramGroups[gi]!, change);
      });
      const grads = c.sizes.map((n) => {
        const g = randn(next, n, c.scale ?? 1);
        if (c.sparse) for (let i = 0; i < n; i++) if (next() < c.sparse) g[i] = 0;
        return g;
      });
      opt.step(order.map((i) => grads[i]!));
      c.groups.forEach((g, gi) => g.tensors.forEach((i) => step64(x[i]!, grads[i]!, state[i]!, t, current[gi]!)));
      const r = conformance([...opt.params], order.map((i) => Float32Array.from(x[i]!)));
      if (r.ratio > worst.ratio) worst = { ratio: r.ratio, where: `step ${t}: ${r.where}` };
    }
  } finally {
    opt.dispose();
  }
  return worst;
}
