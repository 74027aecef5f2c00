// Argument checking shared by every optimizer. Every message names the
// argument, what was expected and what was given; a wrong type is a
// TypeError, a value out of range a RangeError.
import { Foreign, isDetachedView, lengthOf, typedArrayTag } from './input.js';
import { article } from './words.js';

export { article, plural } from './words.js';

/** A rule for one hyperparameter: what it must be, in words and as a test. */
export interface Rule {
  /** e.g. "a finite number >= 0" */
  expected: string;
  /** The JS type the value must have; a value of another type is a TypeError. */
  type: 'number' | 'boolean' | 'pair' | 'triple' | 'string';
  /** a pair whose first element may be null (Adafactor's eps: [null, 1e-3]) */
  firstMayBeNull?: boolean;
  test(value: never): boolean;
}

const isNum = (v: unknown): v is number => typeof v === 'number';

export const nonNegative: Rule = {
  expected: 'a finite number >= 0',
  type: 'number',
  test: (v: number) => Number.isFinite(v) && v >= 0,
};

export const finiteNumber: Rule = {
  expected: 'a finite number',
  type: 'number',
  test: (v: number) => Number.isFinite(v),
};

export const unitClosed: Rule = {
  expected: 'a number in [0, 1]',
  type: 'number',
  test: (v: number) => v >= 0 && v <= 1,
};

export const unitHalfOpen: Rule = {
  expected: 'a number in [0, 1)',
  type: 'number',
  test: (v: number) => v >= 0 && v < 1,
};

export const boolean: Rule = {
  expected: 'true or false',
  type: 'boolean',
  test: () => true,
};

export const betasRule: Rule = {
  expected: 'a pair [beta1, beta2] of numbers in [0, 1)',
  type: 'pair',
  test: (v: readonly number[]) => unitHalfOpen.test(v[0] as never) && unitHalfOpen.test(v[1] as never),
};

/** Muon's Newton-Schulz coefficients [a, b, c]: finite numbers. */
export const tripleRule: Rule = {
  expected: 'three finite numbers [a, b, c]',
  type: 'triple',
  test: (v: readonly number[]) => v.every((x) => Number.isFinite(x)),
};

/** A rule for a string option that takes one of `choices`. */
export function oneOf(...choices: string[]): Rule {
  return {
    expected: `one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`,
    type: 'string',
    test: (v: string) => choices.includes(v),
  };
}

function typeOk(rule: Rule, v: unknown): boolean {
  if (rule.type === 'pair') return Array.isArray(v) && v.length === 2 && v.every((x, i) => isNum(x) || (i === 0 && rule.firstMayBeNull === true && x === null));
  if (rule.type === 'triple') return Array.isArray(v) && v.length === 3 && v.every(isNum);
  return typeof v === rule.type;
}

/** Throws the TypeError or RangeError that names `name`, the rule and the value. */
export function checkRule(owner: string, name: string, rule: Rule, value: unknown): void {
  if (!typeOk(rule, value)) {
    throw new TypeError(`${owner}: invalid ${name}: expected ${rule.expected}, got ${describe(value)}`);
  }
  if (!rule.test(value as never)) {
    throw new RangeError(`${owner}: invalid ${name}: expected ${rule.expected}, got ${describe(value)}`);
  }
}

/** A short, faithful rendering of any value for an error message (it reads no user-defined property). */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v !== 'object') return String(v);
  const tag = typedArrayTag(v);
  if (tag !== undefined) return isDetachedView(v as ArrayBufferView) ? `a detached ${tag}` : `${article(tag)} ${tag} of length ${lengthOf(v as ArrayBufferView)}`;
  try {
    if (v instanceof Foreign) return v.text;
    if (Array.isArray(v)) {
      const len = Object.getOwnPropertyDescriptor(v, 'length')?.value as number;
      if (len > 6 || Object.getPrototypeOf(v) !== Array.prototype) return `an array of length ${len}`;
      return `[${Array.from({ length: len }, (_, i) => describe(Object.getOwnPropertyDescriptor(v, i)?.value)).join(', ')}]`;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    if (proto === null || proto === Object.prototype) return 'an object';
    const ctor = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as { name?: unknown } | undefined;
    const name = typeof ctor === 'function' ? Object.getOwnPropertyDescriptor(ctor, 'name')?.value : undefined;
    return typeof name === 'string' && name ? `${article(name)} ${name}` : 'an object';
  } catch {
    return 'an object (a revoked Proxy?)';
  }
}

/** True for a genuine Float32Array (its internal slot says so), from this realm or another; never a look-alike or a Proxy. */
export function isFloat32Array(v: unknown): v is Float32Array {
  return typedArrayTag(v) === 'Float32Array';
}

/** True when the view's ArrayBuffer was transferred or otherwise detached (read through the internal slots). */
export function isDetached(v: ArrayBufferView): boolean {
  return isDetachedView(v);
}

/**
 * Checks that `v` is a usable Float32Array, named `name` in messages, of
 * `length` elements when a length is given.
 */
export function checkFloat32Array(owner: string, name: string, v: unknown, length?: number): Float32Array {
  if (!isFloat32Array(v)) {
    throw new TypeError(`${owner}: ${name} must be a Float32Array, got ${describe(v)}`);
  }
  if (isDetached(v)) {
    throw new TypeError(
      `${owner}: ${name} is a detached Float32Array (its ArrayBuffer was transferred or freed, or resized below the view); pass a live array`,
    );
  }
  if (length !== undefined && lengthOf(v) !== length) {
    throw new RangeError(`${owner}: ${name} must have ${length} elements, got a Float32Array of length ${lengthOf(v)}`);
  }
  return v;
}

/** Adafactor's eps: [eps1, eps2], eps1 null (float32's machine epsilon) or >= 0, eps2 >= 0, both finite. */
export const adafactorEpsRule: Rule = {
  expected: 'a pair [eps1, eps2] of finite numbers >= 0 (eps1 may be null: float32 machine epsilon)',
  type: 'pair',
  firstMayBeNull: true,
  test: (v: readonly (number | null)[]) => (v[0] === null || nonNegative.test(v[0] as never)) && nonNegative.test(v[1] as never),
};

/** Rprop's etas: multiplicative decrease and increase of the step sizes. */
export const etasRule: Rule = {
  expected: 'a pair [etaminus, etaplus] of finite numbers with 0 < etaminus < 1 < etaplus',
  type: 'pair',
  test: (v: readonly number[]) => v[0]! > 0 && v[0]! < 1 && v[1]! > 1 && Number.isFinite(v[1]!),
};

/** Rprop's stepSizes: bounds of the per-element step sizes. */
export const stepSizesRule: Rule = {
  expected: 'a pair [min, max] of finite numbers with 0 <= min <= max',
  type: 'pair',
  test: (v: readonly number[]) => v[0]! >= 0 && v[0]! <= v[1]! && Number.isFinite(v[1]!),
};
