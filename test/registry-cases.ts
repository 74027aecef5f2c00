// The generic tests' table of optimizers, read from the registry: every
// registered optimizer, constructed with the options under which a step uses
// every state buffer it can have (`allState`). A test that covers "every
// optimizer" takes its list from here, so a new optimizer is covered as soon
// as it is registered.
import { createOptimizer, registry, type Optimizer, type OptimizerEntry, type OptimizerName } from '../src/index.js';

export type AnyOpt = Optimizer<object>;
export type Make = (params: Float32Array[], extra?: Record<string, unknown>) => AnyOpt;

export interface OptimizerCase {
  name: OptimizerName;
  entry: OptimizerEntry;
  /** the optimizer over `params` with `allState` and `extra` */
  make: Make;
  /** the same, over two param groups: the first two tensors, then the rest at half the learning rate */
  makeGroups: Make;
}

export const everyOptimizer: readonly OptimizerCase[] = registry.map((entry) => {
  const name = entry.name as OptimizerName;
  const options = (extra?: Record<string, unknown>) => ({ ...entry.allState, ...extra }) as never;
  return {
    name,
    entry,
    make: (params, extra) => createOptimizer(name, params, options(extra)) as AnyOpt,
    makeGroups: (params, extra) => {
      const o = options(extra) as Record<string, unknown>;
      const lr = (o.lr as number | undefined) ?? (entry.defaults as { lr: number }).lr;
      return createOptimizer(name, [{ params: params.slice(0, 2) }, { params: params.slice(2), lr: lr / 2 }] as never, o as never) as AnyOpt;
    },
  };
});

/** `[name, case]` rows for `it.each` / `describe.each`. */
export const everyOptimizerRows: [string, OptimizerCase][] = everyOptimizer.map((c) => [c.name, c]);
