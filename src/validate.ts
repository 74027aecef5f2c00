// Argument checking shared by every optimizer. Every message names the
// argument, what was expected and what was given; a wrong type is a
// TypeError, a value out of range a RangeError.

/** A rule for one hyperparameter: what it must be, in words and as a test. */
export interface Rule {
  /** e.g. "a finite number >= 0" */
  expected: string;
  /** The JS type the value must have; a value of another type is a TypeError. */
  type: 'number' | 'boolean' | 'pair';
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

function typeOk(rule: Rule, v: unknown): boolean {
  if (rule.type === 'pair') return Array.isArray(v) && v.length === 2 && v.every(isNum);
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

/** "a" or "an" before `word` by its first sound: an ArrayBuffer, an Int8Array, a Uint8Array, a Float32Array. */
export function article(word: string): 'a' | 'an' {
  return /^[aeio]/i.test(word) || /^u(?!int|ni|s[eu])/i.test(word) ? 'an' : 'a';
}

/** `n` and the noun, singular for exactly 1: "1 epoch", "2 epochs", "1,438 examples". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${Number.isFinite(n) ? n.toLocaleString('en-US') : String(n)} ${n === 1 ? one : many}`;
}

/** A short, faithful rendering of any value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v);
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'function') return 'a function';
  if (typeof v !== 'object') return String(v);
  if (Array.isArray(v)) {
    if (v.length > 6) return `an array of length ${v.length}`;
    return `[${v.map(describe).join(', ')}]`;
  }
  if (ArrayBuffer.isView(v)) {
    const name = Object.prototype.toString.call(v).slice(8, -1);
    return isDetached(v) ? `a detached ${name}` : `${article(name)} ${name} of length ${(v as unknown as { length?: number }).length ?? v.byteLength}`;
  }
  const ctor = (v as object).constructor?.name;
  return ctor && ctor !== 'Object' ? `${article(ctor)} ${ctor}` : 'an object';
}

/** The %TypedArray%.prototype[Symbol.toStringTag] getter: a brand check that cannot be spoofed. */
const typedArrayTag = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Int8Array.prototype), Symbol.toStringTag)!.get!;

/** True for a real Float32Array, from this realm or another (an iframe, a worker's transfer). */
export function isFloat32Array(v: unknown): v is Float32Array {
  return v instanceof Float32Array || typedArrayTag.call(v) === 'Float32Array';
}

/** True when the view's ArrayBuffer was transferred or otherwise detached. */
export function isDetached(v: ArrayBufferView): boolean {
  const buf = v.buffer as ArrayBuffer & { detached?: boolean };
  if (typeof buf.detached === 'boolean') return buf.detached;
  if (buf.byteLength !== 0) return false;
  try {
    new Uint8Array(buf);
    return false;
  } catch {
    return true;
  }
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
      `${owner}: ${name} is a detached Float32Array (its ArrayBuffer was transferred or freed); pass a live array`,
    );
  }
  if (length !== undefined && v.length !== length) {
    throw new RangeError(`${owner}: ${name} must have ${length} elements, got a Float32Array of length ${v.length}`);
  }
  return v;
}

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
