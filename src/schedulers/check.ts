// Argument checking for the learning-rate schedulers, built on src/validate.ts:
// every message names the argument, what was expected and what was given; a
// wrong type is a TypeError, a value out of range a RangeError.
import { checkRule, describe, type Rule } from '../validate.js';

/** Checks one value and returns it normalised (e.g. a number made a per-group list). */
export type Check<T = unknown> = (owner: string, name: string, value: unknown) => T;

/** One option of a scheduler: its check and, when it may be left out, its default. */
export interface OptionSpec {
  check: Check;
  /** the default when omitted; undefined means the option is required */
  default?: unknown;
  /** an optional option whose absence is `null` (e.g. OneCycleLR's epochs) */
  optional?: boolean;
}

export type OptionSpecs = Record<string, OptionSpec>;

export const integerAtLeast = (min: number): Rule => ({
  expected: `an integer >= ${min}`,
  type: 'number',
  test: (v: number) => Number.isSafeInteger(v) && v >= min,
});

export const positiveInteger = integerAtLeast(1);
export const nonNegativeInteger = integerAtLeast(0);

export const positiveNumber: Rule = {
  expected: 'a finite number > 0',
  type: 'number',
  test: (v: number) => Number.isFinite(v) && v > 0,
};

/** (0, 1]: a factor that is divided by, or that a chainable form divides by. */
export const unitOpenClosed: Rule = {
  expected: 'a number in (0, 1]',
  type: 'number',
  test: (v: number) => v > 0 && v <= 1,
};

/** Any number, including NaN and +-Infinity (a monitored metric, a saved best). */
export const anyNumber: Rule = { expected: 'a number', type: 'number', test: () => true };

/** A check for a single number or boolean following `rule`. */
export const value =
  (rule: Rule): Check =>
  (owner, name, v) => {
    checkRule(owner, name, rule, v);
    return v;
  };

/** One of a few strings, e.g. 'min' | 'max'. */
export function oneOf<T extends string>(values: readonly T[]): Check<T> {
  return (owner, name, v) => {
    const expected = `one of ${values.map((x) => JSON.stringify(x)).join(', ')}`;
    if (typeof v !== 'string') throw new TypeError(`${owner}: invalid ${name}: expected ${expected}, got ${describe(v)}`);
    if (!values.includes(v as T)) throw new RangeError(`${owner}: invalid ${name}: expected ${expected}, got ${describe(v)}`);
    return v as T;
  };
}

/** A list of numbers following `rule`, of exactly `length` elements when given. */
export function numberList(rule: Rule, length?: number, what = 'numbers'): Check<number[]> {
  return (owner, name, v) => {
    if (!Array.isArray(v)) {
      throw new TypeError(`${owner}: invalid ${name}: expected an array of ${what} (each ${rule.expected}), got ${describe(v)}`);
    }
    if (length !== undefined && v.length !== length) {
      throw new RangeError(`${owner}: invalid ${name}: expected ${length} value(s), one per param group, got an array of length ${v.length}`);
    }
    v.forEach((x, i) => checkRule(owner, `${name}[${i}]`, rule, x));
    return [...(v as number[])];
  };
}

/** A number for every param group, or a list with one per group; normalised to the list. */
export function perGroup(rule: Rule, groups: number): Check<number[]> {
  const list = numberList(rule, groups);
  return (owner, name, v) => {
    if (Array.isArray(v)) return list(owner, name, v);
    if (typeof v !== 'number') {
      throw new TypeError(`${owner}: invalid ${name}: expected ${rule.expected} or an array of ${groups} such numbers (one per param group), got ${describe(v)}`);
    }
    checkRule(owner, name, rule, v);
    return new Array<number>(groups).fill(v);
  };
}

/** Accepts null or undefined (normalised to null), else applies `check`. */
export const nullable =
  <T>(check: Check<T>): Check<T | null> =>
  (owner, name, v) =>
    v === null || v === undefined ? null : check(owner, name, v);

/** A function, or (with `groups`) a list of one function per param group; normalised to the list. */
export function functions(groups: number, signature: string): Check<((x: number) => unknown)[]> {
  return (owner, name, v) => {
    const expected = `a function ${signature} or an array of ${groups} such functions (one per param group)`;
    if (typeof v === 'function') return new Array(groups).fill(v);
    if (!Array.isArray(v)) throw new TypeError(`${owner}: invalid ${name}: expected ${expected}, got ${describe(v)}`);
    if (v.length !== groups) throw new RangeError(`${owner}: invalid ${name}: expected ${expected}, got an array of length ${v.length}`);
    v.forEach((f, i) => {
      if (typeof f !== 'function') throw new TypeError(`${owner}: invalid ${name}[${i}]: expected a function ${signature}, got ${describe(f)}`);
    });
    return [...v];
  };
}

/** Checks that `options` is a plain object; undefined is an empty one. */
export function checkOptionsObject(owner: string, options: unknown, example: string): Record<string, unknown> {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError(`${owner}: options must be an object such as ${example}, got ${describe(options)}`);
  }
  return options as Record<string, unknown>;
}

/**
 * Accepts a camelCase spelling for PyTorch-named options (`tMax` for `TMax`,
 * `t0` for `T0`): returns options with the PyTorch name; giving both is an error.
 */
export function withAliases(owner: string, options: unknown, aliases: Readonly<Record<string, string>>): unknown {
  if (options === null || typeof options !== 'object' || Array.isArray(options)) return options;
  const o = options as Record<string, unknown>;
  const used = Object.keys(aliases).filter((a) => Object.prototype.hasOwnProperty.call(o, a));
  if (used.length === 0) return options;
  const out: Record<string, unknown> = { ...o };
  for (const alias of used) {
    const name = aliases[alias]!;
    if (Object.prototype.hasOwnProperty.call(o, name)) throw new TypeError(`${owner}: give options.${name} or options.${alias} (the same option), not both`);
    out[name] = out[alias];
    delete out[alias];
  }
  return out;
}

/**
 * Validates `options` against `specs`: unknown keys, missing required ones and
 * bad values throw; defaults fill the rest. `extra` lists keys the caller
 * handles itself (functions such as lrLambda).
 */
export function parseOptions(
  owner: string,
  options: unknown,
  specs: OptionSpecs,
  example: string,
  extra: readonly string[] = [],
): Record<string, unknown> {
  const o = checkOptionsObject(owner, options, example);
  const valid = [...Object.keys(specs), ...extra];
  for (const key of Object.keys(o)) {
    if (!valid.includes(key)) {
      throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} (valid options: ${valid.join(', ')})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(specs)) {
    const v = o[key];
    if (v === undefined) {
      if (spec.default !== undefined) out[key] = spec.check(owner, `options.${key}`, spec.default);
      else if (spec.optional) out[key] = null;
      else throw new TypeError(`${owner}: missing options.${key} (it has no default); e.g. ${example}`);
    } else {
      out[key] = spec.check(owner, `options.${key}`, v);
    }
  }
  return out;
}

/** Checks the header of a scheduler state dict and returns it as a record. */
export function checkStateDictHeader(owner: string, sd: unknown, kind: string): Record<string, unknown> {
  if (sd === null || typeof sd !== 'object' || Array.isArray(sd)) {
    throw new TypeError(`${owner}: expected a state dict object (from stateDict()), got ${describe(sd)}`);
  }
  const r = sd as Record<string, unknown>;
  if (r.kind !== kind) throw new TypeError(`${owner}: this state dict belongs to ${describe(r.kind)}, not ${kind}`);
  if (r.version !== 1) throw new RangeError(`${owner}: unsupported state dict version ${describe(r.version)} (this library reads version 1)`);
  return r;
}

/**
 * Checks every key of a state dict against `specs` (all required, none
 * unknown besides kind and version) and returns the checked values.
 */
export function parseStateDict(owner: string, sd: Record<string, unknown>, specs: Record<string, Check>): Record<string, unknown> {
  for (const key of Object.keys(sd)) {
    if (key !== 'kind' && key !== 'version' && !(key in specs)) {
      throw new RangeError(`${owner}: unknown key ${JSON.stringify(key)} in the state dict (expected: ${Object.keys(specs).join(', ')})`);
    }
  }
  const out: Record<string, unknown> = {};
  for (const [key, check] of Object.entries(specs)) {
    if (!(key in sd)) throw new RangeError(`${owner}: the state dict has no ${JSON.stringify(key)}; pass a dict from stateDict()`);
    out[key] = check(owner, `sd.${key}`, sd[key]);
  }
  return out;
}
