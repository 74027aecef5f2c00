// What both TF.js adapters share for serialization: reading the
// `getWeights()` list that `setWeights()` is given (tf.train's layout:
// `iter` first, then named state tensors), matching saved state to variables
// by name, keeping the tensors `getWeights()` hands out owned (so saving a
// model does not leak them), and configs that survive tfjs-layers'
// snake_case-to-camelCase conversion on load.
import { Tensor, scalar, tensor } from '@tensorflow/tfjs-core';
import { describe, type NamedTensor } from './gradients.js';

/** One saved state tensor, read out of a setWeights list. */
export interface SavedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array | Int32Array | string[];
}

/**
 * Reads a setWeights list completely (awaiting every tensor's data) and
 * checks its form: an array of { name, tensor }, `iter` (a scalar) first.
 * Nothing is changed here; the caller checks the rest, then writes.
 */
export async function readWeights(owner: string, weightValues: unknown): Promise<{ iterations: number; entries: SavedTensor[] }> {
  if (!Array.isArray(weightValues)) throw new TypeError(`${owner}: expected an array of { name, tensor } (from getWeights()), got ${describe(weightValues)}`);
  const list = [...(weightValues as unknown[])];
  if (list.length === 0) throw new RangeError(`${owner}: expected at least the 'iter' entry, got an empty array`);
  const read: SavedTensor[] = [];
  for (const [i, e] of list.entries()) {
    if (e === null || typeof e !== 'object' || typeof (e as NamedTensor).name !== 'string') {
      throw new TypeError(`${owner}: expected element ${i} to be { name: string, tensor }, got ${describe(e)}`);
    }
    const { name, tensor: t } = e as NamedTensor;
    if (!(t instanceof Tensor)) throw new TypeError(`${owner}: expected the tensor of ${JSON.stringify(name)} to be a tf.Tensor, got ${describe(t)}`);
    if (t.isDisposed) throw new Error(`${owner}: the tensor of ${JSON.stringify(name)} is disposed`);
    const data = await t.data();
    read.push({ name, shape: [...t.shape], values: data instanceof Uint8Array ? Float32Array.from(data) : (data as Float32Array | Int32Array | string[]) });
  }
  const [iter, ...entries] = read;
  if (iter!.name !== 'iter' || iter!.shape.length !== 0) {
    throw new RangeError(`${owner}: expected element 0 to be the scalar 'iter' (the iteration count), got ${JSON.stringify(iter!.name)} of shape [${iter!.shape.join(', ')}]`);
  }
  const iterations = Number(iter!.values[0]);
  if (!Number.isSafeInteger(iterations) || iterations < 0) throw new RangeError(`${owner}: expected 'iter' to be a whole number >= 0, got ${iter!.values[0]}`);
  return { iterations, entries };
}

/** Checks that a saved tensor is float32 data (not int32 or strings). */
export function floatsOf(owner: string, e: SavedTensor): Float32Array {
  if (!(e.values instanceof Float32Array)) throw new TypeError(`${owner}: expected ${JSON.stringify(e.name)} to be a float32 tensor`);
  return e.values;
}

/**
 * The saved state for a variable, by name: the same name, or the name with
 * the `_1`, `_2`, ... suffix tfjs-layers gives a variable that is created
 * while one of the same name exists (tf.loadLayersModel in the process that
 * saved the model). tf.train matches saved state by position instead; by name
 * is what lets a call name any subset of variables in any order.
 */
export function savedFor<T>(pending: ReadonlyMap<string, T>, name: string): [string, T] | undefined {
  const exact = pending.get(name);
  if (exact !== undefined) return [name, exact];
  const m = /^(.*)_\d+$/.exec(name);
  if (m) {
    const base = pending.get(m[1]!);
    if (base !== undefined) return [m[1]!, base];
  }
  return undefined;
}

/**
 * Tensors handed out by getWeights(). tf.train returns its live state
 * variables (and a fresh `iter` scalar that nobody disposes); here the state
 * lives in WebAssembly memory, so getWeights makes tensors: they stay valid
 * until the next getWeights() or dispose(), which dispose them, so saving a
 * model any number of times leaves tf.memory() flat.
 */
export class OwnedWeights {
  #held: Tensor[] = [];

  /** Disposes the previous set and returns a list made of new tensors that this object owns. */
  make(iterations: number, items: readonly { name: string; values: Float32Array | string; shape: readonly number[] }[]): NamedTensor[] {
    this.release();
    const out: NamedTensor[] = [{ name: 'iter', tensor: scalar(iterations, 'int32') }];
    for (const it of items) {
      out.push({ name: it.name, tensor: typeof it.values === 'string' ? scalar(it.values, 'string') : tensor(it.values, it.shape as number[], 'float32') });
    }
    this.#held = out.map((e) => e.tensor);
    return out;
  }

  release(): void {
    for (const t of this.#held) if (!t.isDisposed) t.dispose();
    this.#held = [];
  }
}

// tfjs-layers converts every string in a saved optimizer config with
// toCamelCase on load (`match_rms_adamw` -> `matchRmsAdamw`, a RegExp source
// `^dense_1/` -> `^dense1/`). toCamelCase only touches strings with an
// underscore, so configs store strings with `_` written as `%5F` (and `%` as
// `%25`): readable, and unchanged by the conversion.

/** A config value with every string escaped so tfjs-layers' load leaves it as it was. */
export function protect(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/%/g, '%25').replace(/_/g, '%5F');
  if (Array.isArray(v)) return v.map(protect);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, protect(x)]));
  return v;
}

/** The inverse of protect (also given an unescaped config, it returns it as is unless it holds `%25`/`%5F`). */
export function unprotect(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(/%(25|5F)/g, (_, c: string) => (c === '25' ? '%' : '_'));
  if (Array.isArray(v)) return v.map(unprotect);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unprotect(x)]));
  return v;
}

/** A config without the `customObjects` key tfjs-layers adds before calling fromConfig. */
export function ownConfig(config: unknown): Record<string, unknown> {
  if (config === null || typeof config !== 'object') throw new TypeError(`fromConfig: expected a config object, got ${describe(config)}`);
  const { customObjects: _, ...rest } = config as Record<string, unknown>;
  return rest;
}
