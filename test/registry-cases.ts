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
import { allOptimizers, asParams, createOptimizer, type Optimizer, type OptimizerEntry, type OptimizerName } from '../src/index.js';

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

/**
 * The ONE place where optimizers of matrices (registry flag `matrices: true`:
 * Muon) get their parameters: each plain Float32Array as one row, { data,
 * shape: [1, n] } (asParams); a tensor given with a shape keeps it where it is
 * 2-D, and is made a row otherwise.
 */
function rows(entry: OptimizerEntry, params: readonly unknown[]): unknown[] {
  if (!entry.matrices) return [...params];
  return params.map((p) => {
    if (p instanceof Float32Array) return asParams(entry, [p])[0];
    const { data, shape } = p as { data: Float32Array; shape: number[] };
    return shape.length === 2 ? p : { data, shape: [1, data.length] };
  });
}

/** `params` as the class of `entry` takes them: for an optimizer of matrices, each plain Float32Array (top level or in a group) as one row; anything else as given (hostile values reach the class untouched). */
export function paramsFor(entry: { readonly matrices?: boolean }, params: unknown): unknown {
  if (!entry.matrices || !Array.isArray(params)) return params;
  try {
    return params.map((p) => {
      if (p instanceof Float32Array) return { data: p, shape: [1, p.length] };
      if (p !== null && typeof p === 'object' && Object.getPrototypeOf(p) === Object.prototype && Array.isArray((p as { params?: unknown }).params)) {
        const g = p as { params: unknown[] };
        return { ...g, params: g.params.map((t) => (t instanceof Float32Array ? { data: t, shape: [1, t.length] } : t)) };
      }
      return p;
    });
  } catch {
    return params;
  }
}

/** The class of `entry` as the generic tests construct it: `new (classFor(e))(plainArrays, options)` (rows for an optimizer of matrices). */
export function classFor<C>(entry: { readonly matrices?: boolean; readonly class: C }): C {
  if (!entry.matrices) return entry.class;
  const Cls = entry.class as unknown as new (p: unknown, o?: unknown) => object;
  return function (p: unknown, o?: unknown) {
    return new Cls(paramsFor(entry, p), o);
  } as unknown as C;
}

/** Closure-stepped optimizers the generic tests skip: [name, why]. */
export const closureSkipped: readonly [string, string][] = allOptimizers.flatMap((e) => (e.closure ? [[e.name, e.excluded] as [string, string]] : []));

export const everyOptimizer: readonly OptimizerCase[] = allOptimizers.flatMap((entry) => (entry.closure ? [] : [entry])).map((entry) => {
  const name = entry.name as OptimizerName;
  const options = (extra?: Record<string, unknown>) => ({ ...entry.allState, ...extra }) as never;
  return {
    name,
    entry,
    make: (params, extra) => createOptimizer(name, rows(entry, params) as never, options(extra)) as AnyOpt,
    makeGroups: (params, extra) => {
      const o = options(extra) as Record<string, unknown>;
      const lr = (o.lr as number | undefined) ?? (entry.defaults as { lr: number }).lr;
      const ps = rows(entry, params);
      return createOptimizer(name, [{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: lr / 2 }] as never, o as never) as AnyOpt;
    },
  };
});

/** `[name, case]` rows for `it.each` / `describe.each`. */
export const everyOptimizerRows: [string, OptimizerCase][] = everyOptimizer.map((c) => [c.name, c]);
