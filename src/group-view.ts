// The objects of `opt.paramGroups`: the group's parameter views and one
// accessor per hyperparameter, whose setter validates before it assigns.
import type { Group } from './layout.js';
import type { MethodSpec, Scalars } from './method.js';
import { checkGroup, checkOption } from './options.js';
import { describe } from './validate.js';
import { checkNotReading, readInput, readPlain } from './input.js';

/** A param group as exposed on `opt.paramGroups`: options are validated when assigned. */
export type ParamGroup<O> = O & { readonly params: readonly Float32Array[] };

/**
 * The view of group `gi`. `live(what)` throws once the optimizer is disposed.
 * A rejected value leaves the group's options as they were.
 */
export function makeGroupView<O extends object, S extends Scalars>(
  spec: MethodSpec<O, S>,
  gi: number,
  group: Group<O, S>,
  views: readonly Float32Array[],
  live: (what: string) => void,
): ParamGroup<O> {
  const obj = {} as Record<string, unknown>;
  Object.defineProperty(obj, 'params', { value: views, enumerable: true });
  for (const key of Object.keys(spec.rules)) {
    Object.defineProperty(obj, key, {
      enumerable: true,
      get: () => (group.options as Record<string, unknown>)[key],
      set: (value: unknown) => {
        const name = `paramGroups[${gi}].${key}`;
        checkNotReading(`${spec.name}.${name}`);
        live(name);
        // one read of the value, into a plain copy (a pair's iterator or getters run once)
        const copy = readInput(`${spec.name}.${name}`, () => readPlain(spec.name, name, value));
        const stored = checkOption(spec, spec.name, name, key, copy);
        const next = { ...group.options, [key]: stored } as O;
        checkGroup(spec, spec.name, `paramGroups[${gi}] (setting ${key} to ${describe(copy)})`, next, group);
        group.options = next;
      },
    });
  }
  Object.preventExtensions(obj);
  const keys = Object.keys(spec.rules);
  // Assigning anything else (a misspelt hyperparameter, `params`, `toString`) is a clear error, not the engine's.
  return new Proxy(obj, {
    set(target, key, value, receiver) {
      if (typeof key === 'string' && Object.prototype.hasOwnProperty.call(spec.rules, key)) return Reflect.set(target, key, value, receiver);
      const what = typeof key === 'string' ? JSON.stringify(key) : String(key);
      throw new TypeError(
        key === 'params'
          ? `${spec.name}: paramGroups[${gi}].params is read-only (the parameters are fixed at construction)`
          : `${spec.name}: paramGroups[${gi}] has no hyperparameter ${what} (it has: ${keys.join(', ')}); nothing was changed`,
      );
    },
    defineProperty(_target, key) {
      throw new TypeError(`${spec.name}: paramGroups[${gi}].${String(key)} cannot be redefined; assign a hyperparameter instead`);
    },
    deleteProperty(_target, key) {
      throw new TypeError(`${spec.name}: paramGroups[${gi}].${String(key)} cannot be deleted`);
    },
  }) as ParamGroup<O>;
}
