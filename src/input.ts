// Reading hostile input: every argument is read exactly once, into the
// library's own plain copy, and only that copy is checked and applied.
//
// - Typed arrays are recognised, measured and copied through the intrinsic
//   %TypedArray%.prototype getters and `set` (the internal slots), captured
//   here at module load, never through the object's own properties: a
//   look-alike made from Float32Array.prototype, a subclass whose `length`
//   lies, or a Proxy around a Float32Array (which has no slots) is not a
//   Float32Array.
// - Arrays and plain objects are copied element by element, each property
//   read once (a getter runs once, a Proxy trap answers once); holes, depth
//   beyond MAX_DEPTH and other objects are reported, never guessed at.
// - While user code can run (during that reading), the library refuses any
//   re-entrant call (step, load, dispose, a constructor, ...) with a clear
//   error, so a getter cannot interleave with the call that triggered it.
import { article } from './words.js';

const TypedArrayPrototype = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (o: object, key: PropertyKey): ((this: unknown) => unknown) => Object.getOwnPropertyDescriptor(o, key)!.get! as (this: unknown) => unknown;

const taTag = getter(TypedArrayPrototype, Symbol.toStringTag);
const taLength = getter(TypedArrayPrototype, 'length');
const taByteOffset = getter(TypedArrayPrototype, 'byteOffset');
const taBuffer = getter(TypedArrayPrototype, 'buffer');
const taSet = (TypedArrayPrototype as { set: (this: unknown, src: unknown, offset?: number) => void }).set;
const isArray = Array.isArray;
const getOwn = Object.getOwnPropertyDescriptor;
const ownKeys = Reflect.ownKeys;
const getProto = Object.getPrototypeOf;
const defineProperty = Object.defineProperty;
const objectToString = Object.prototype.toString;
const freeze = Object.freeze;
const fround = Math.fround;
const F32 = Float32Array;
const U8 = Uint8Array;

/** The typed-array type of `v` from its internal slot ("Float32Array", ...), or undefined for anything else (a Proxy included). */
export function typedArrayTag(v: unknown): string | undefined {
  return taTag.call(v) as string | undefined;
}
/** Element count of a genuine typed array, from its internal slot. */
export function lengthOf(v: ArrayBufferView): number {
  return taLength.call(v) as number;
}
/** Byte offset of a genuine typed array, from its internal slot. */
export function byteOffsetOf(v: ArrayBufferView): number {
  return taByteOffset.call(v) as number;
}
/** The ArrayBuffer of a genuine typed array, from its internal slot. */
export function bufferOf(v: ArrayBufferView): ArrayBufferLike {
  return taBuffer.call(v) as ArrayBufferLike;
}
/** `dst.set(src, offset)` through the intrinsic (a genuine typed array `src` is read through its slots). */
export function setInto(dst: ArrayBufferView, src: ArrayLike<number> | ArrayBufferView, offset = 0): void {
  taSet.call(dst, src, offset);
}

/**
 * True when the typed array cannot be read: its buffer was transferred or
 * otherwise detached, or (a resizable buffer) shrunk below the view.
 */
export function isDetachedView(v: ArrayBufferView): boolean {
  if (lengthOf(v) !== 0) return false;
  try {
    taSet.call(EMPTY, v); // throws for a detached or out-of-bounds view, reads nothing otherwise
    return false;
  } catch {
    return true;
  }
}
const EMPTY = new U8(0);

/** A value that is not plain data, kept only as its description for the error message. */
export class Foreign {
  constructor(readonly text: string) {}
}

/** How deep options, state dicts and checkpoint headers may nest (theirs need 4). */
export const MAX_DEPTH = 32;

/** Thrown when a getter, Proxy trap or callback calls into the library while it reads its arguments. */
export class ReentrantCallError extends Error {
  override name = 'ReentrantCallError';
}

let reading: string | undefined;

/** Throws if user code is running on behalf of another library call (see `enterReading`). */
export function checkNotReading(owner: string): void {
  if (reading !== undefined) {
    throw ourError(new ReentrantCallError(
      `${owner}: called from a getter, Proxy trap or callback while ${reading} was reading its arguments; ` +
        `re-entrant calls are refused (nothing was changed by this call, and ${reading} goes on with what it had read)`,
    ));
  }
}
/** Marks the start of a phase in which user code (getters, traps) may run; pair with leaveReading in finally. */
export function enterReading(owner: string): void {
  checkNotReading(owner);
  reading = owner;
}
export function leaveReading(): void {
  reading = undefined;
}
/**
 * The error to throw when user code (a getter or Proxy trap) threw while
 * `name` was read: a TypeError naming the argument, with the original as
 * `cause`. The library's own errors pass through unchanged.
 */
export function readError(owner: string, name: string, e: unknown): unknown {
  if (ours.has(e as object)) return e;
  let what: string;
  try {
    what = e instanceof Error ? `${String(e.name)}: ${String(e.message)}` : typeof e === 'string' ? JSON.stringify(e) : String(e);
  } catch {
    what = 'a value that cannot be described';
  }
  const err = new TypeError(`${owner}: reading ${name} threw (${what}); nothing was changed`, { cause: e });
  ours.add(err);
  return err;
}
const ours = new WeakSet<object>();
/** Marks `e` as the library's own (readError passes it through). */
export function ourError(e: Error): Error {
  ours.add(e);
  return e;
}

/** Optimizers inside a callback of a call on them (fit's lossAndGrad), and that call's name. */
const busy = new WeakMap<object, string>();
let busyCount = 0;
/** What `target` is inside of (see markBusy), if anything. */
export function busyWith(target: object): string | undefined {
  return busyCount === 0 ? undefined : busy.get(target);
}
/** Marks `target` as inside `what` (a callback that must not step, load or dispose it); undefined unmarks. */
export function markBusy(target: object, what: string | undefined): void {
  if (what !== undefined) {
    if (!busy.has(target)) busyCount++;
    busy.set(target, what);
  } else if (busy.delete(target)) busyCount--;
}
/** Throws if `target` is inside such a callback (see markBusy). */
export function checkNotBusy(target: object, owner: string): void {
  if (busyCount === 0) return;
  const what = busy.get(target);
  if (what !== undefined) {
    throw ourError(
      new ReentrantCallError(`${owner}: called from ${what}, which runs in the middle of a step of this optimizer; re-entrant calls are refused, and nothing was changed`),
    );
  }
}

/** Runs `read` as a reading phase. */
export function readInput<T>(owner: string, read: () => T): T {
  enterReading(owner);
  try {
    return read();
  } finally {
    leaveReading();
  }
}

export interface ReadOptions {
  /** keep genuine Float32Arrays by reference (the constructor's params) instead of copying them */
  keepFloat32?: boolean;
  /** keep objects of these kinds by reference (library objects such as schedulers) */
  keep?: (o: object) => boolean;
}

function describeTyped(tag: string, v: ArrayBufferView): string {
  return isDetachedView(v) ? `a detached ${tag}` : `${article(tag)} ${tag} of length ${lengthOf(v)}`;
}

/** A copy of a genuine Float32Array (a Foreign if detached). */
export function copyFloat32(v: Float32Array): Float32Array | Foreign {
  if (isDetachedView(v)) return new Foreign('a detached Float32Array');
  const out = new F32(lengthOf(v));
  taSet.call(out, v);
  return out;
}

/** A copy of a genuine Uint8Array (a Foreign if detached). */
export function copyUint8(v: Uint8Array): Uint8Array | Foreign {
  if (isDetachedView(v)) return new Foreign('a detached Uint8Array');
  const out = new U8(lengthOf(v));
  taSet.call(out, v);
  return out;
}

/**
 * The plain copy of `v`: primitives as they are; genuine Float32Arrays copied
 * (or kept, see ReadOptions); arrays as frozen arrays of copies (a hole is an
 * error); plain objects (prototype Object.prototype or null) as
 * null-prototype objects of their own enumerable string-keyed properties;
 * anything else as a Foreign. Each property is read once. `name` names the
 * value in errors.
 */
export function readPlain(owner: string, name: string, v: unknown, how: ReadOptions = {}): unknown {
  return readValue(owner, name, v, how, 0);
}

/** readValueOnce, with whatever user code throws reported as a TypeError naming the value being read. */
function readValue(owner: string, name: string, v: unknown, how: ReadOptions, depth: number): unknown {
  try {
    return readValueOnce(owner, name, v, how, depth);
  } catch (e) {
    throw readError(owner, name, e);
  }
}

function callGetter(owner: string, name: string, get: (() => unknown) | undefined, v: object): unknown {
  if (!get) return undefined;
  try {
    return get.call(v);
  } catch (e) {
    throw readError(owner, name, e);
  }
}

function readValueOnce(owner: string, name: string, v: unknown, how: ReadOptions, depth: number): unknown {
  if (typeof v === 'function') return how.keep?.(v) ? v : new Foreign('a function');
  if (v === null || typeof v !== 'object') return v;
  if (depth > MAX_DEPTH) {
    throw ourError(new RangeError(`${owner}: ${name} is nested more than ${MAX_DEPTH} levels deep; expected flat data (options, state dicts and their arrays nest at most 4 deep)`));
  }
  const tag = typedArrayTag(v);
  if (tag !== undefined) {
    if (tag === 'Float32Array') return how.keepFloat32 ? v : copyFloat32(v as Float32Array);
    return new Foreign(describeTyped(tag, v as ArrayBufferView));
  }
  if (isArray(v)) {
    const len = getOwn(v, 'length')?.value as number;
    const out: unknown[] = [];
    for (let i = 0; i < len; i++) {
      const d = getOwn(v, i);
      if (d === undefined) {
        throw ourError(new TypeError(`${owner}: ${name} is a sparse array (index ${i} of ${len} is empty); give every element`));
      }
      const item = 'value' in d ? d.value : callGetter(owner, `${name}[${i}]`, d.get, v);
      out.push(readValue(owner, `${name}[${i}]`, item, how, depth + 1));
    }
    return freeze(out);
  }
  if (how.keep?.(v)) return v;
  const proto = getProto(v) as object | null;
  if (proto !== Object.prototype && proto !== null) {
    if (TypedArrayPrototype.isPrototypeOf(v)) {
      return new Foreign('an object that looks like a typed array but is not one (a Proxy, or an object made from a typed array prototype)');
    }
    const kind = (objectToString.call(v) as string).slice(8, -1);
    return new Foreign(kind && kind !== 'Object' ? `${article(kind)} ${kind}` : 'an object of another class');
  }
  const out = Object.create(null) as Record<string, unknown>;
  for (const key of ownKeys(v)) {
    if (typeof key !== 'string') continue;
    const d = getOwn(v, key);
    if (d === undefined || !d.enumerable) continue;
    const item = 'value' in d ? d.value : callGetter(owner, `${name}.${key}`, d.get, v);
    defineProperty(out, key, { value: readValue(owner, `${name}.${key}`, item, how, depth + 1), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Own-property lookup that never reaches a prototype (an option named `toString` is not Object.prototype.toString). */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** True when every element is exactly representable in a Float32Array (NaN included). */
export function float32Exact(values: readonly number[]): number {
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (fround(x) !== x && x === x) return i;
  }
  return -1;
}
