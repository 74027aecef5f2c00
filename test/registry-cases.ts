// The generic tests' table of optimizers, read from the registry: every
// registered optimizer, constructed with the options under which a step uses
// every state buffer it can have (`allState`). A test that covers "every
// optimizer" takes its list from here, so a new optimizer is covered as soon
// as it is registered.
//
// The ONE place where closure-stepped optimizers (registry flag
// `closure: true`: LBFGS) are handled: the generic tests step with
// `step(grads)`, which such an optimizer does not have, so they are left out
// here, each with its entry's reason (`closureSkipped`), and covered by their
// own test (test/lbfgs.test.ts); test/registry.test.ts checks that every one
// of them has that test.
import { allOptimizers, createOptimizer, type Optimizer, type OptimizerEntry, type OptimizerName } from '../src/index.js';

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

/** Closure-stepped optimizers the generic tests skip: [name, why]. */
export const closureSkipped: readonly [string, string][] = allOptimizers.flatMap((e) => (e.closure ? [[e.name, e.excluded] as [string, string]] : []));

export const everyOptimizer: readonly OptimizerCase[] = allOptimizers.flatMap((entry) => (entry.closure ? [] : [entry])).map((entry) => {
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
