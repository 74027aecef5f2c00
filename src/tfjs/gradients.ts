// What both TF.js adapters (train.* and toTfjs) read from an applyGradients
// call: the map or NamedTensor[] form, each gradient checked against its
// registered variable and against the shape the optimizer's state was made
// for. Everything is checked before the caller changes anything.
import { Tensor, engine, type NamedTensorMap, type Variable } from '@tensorflow/tfjs-core';

/** `{ name, tensor }`: the array form of applyGradients (tf.train's NamedTensor). */
export interface NamedTensor {
  name: string;
  tensor: Tensor;
}

/** One variable with a gradient in an applyGradients call. */
export interface GradientOf {
  name: string;
  v: Variable;
  g: Tensor;
}

export const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** A short rendering of any value for an error message. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (v instanceof Tensor) return `a ${v.dtype} tensor of shape [${v.shape.join(', ')}]`;
  return typeof v === 'object' ? `an object (${Object.prototype.toString.call(v)})` : `a ${typeof v}`;
}

/**
 * The variables with a gradient in one applyGradients call, in call order
 * (a null or undefined gradient means no update, as tf.train). `stateShape`
 * gives the shape the optimizer's state for a variable was made for, if any:
 * a variable whose shape changed since is an error.
 */
export function readGradients(
  owner: string,
  variableGradients: NamedTensorMap | NamedTensor[],
  stateShape: (name: string) => readonly number[] | undefined,
): GradientOf[] {
  if (variableGradients === null || typeof variableGradients !== 'object') {
    throw new TypeError(`${owner}: expected a map { name: gradient } or an array of { name, tensor }, got ${describe(variableGradients)}`);
  }
  const pairs: [string, unknown][] = Array.isArray(variableGradients)
    ? variableGradients.map((e, i) => {
        if (e === null || typeof e !== 'object' || typeof (e as NamedTensor).name !== 'string') {
          throw new TypeError(`${owner}: expected element ${i} to be { name: string, tensor }, got ${describe(e)}`);
        }
        return [(e as NamedTensor).name, (e as NamedTensor).tensor];
      })
    : Object.entries(variableGradients);
  const out: GradientOf[] = [];
  const seen = new Set<string>();
  const registered = engine().registeredVariables;
  for (const [name, g] of pairs) {
    if (seen.has(name)) throw new Error(`${owner}: variable ${JSON.stringify(name)} is given twice in one call`);
    seen.add(name);
    if (g === null || g === undefined) continue; // as tf.train: no gradient, no update
    const v = Object.prototype.hasOwnProperty.call(registered, name) ? registered[name] : undefined;
    if (!v) throw new Error(`${owner}: no variable named ${JSON.stringify(name)} is registered (tf.variable); got a gradient for it`);
    if (!(g instanceof Tensor)) throw new TypeError(`${owner}: expected the gradient of ${JSON.stringify(name)} to be a tf.Tensor, got ${describe(g)}`);
    if (g.isDisposed) throw new Error(`${owner}: the gradient of ${JSON.stringify(name)} is disposed`);
    if (v.dtype !== 'float32') throw new TypeError(`${owner}: variable ${JSON.stringify(name)} must be float32, got ${v.dtype}`);
    if (g.dtype !== 'float32') throw new TypeError(`${owner}: expected the gradient of ${JSON.stringify(name)} to be float32, got ${g.dtype}`);
    if (!sameShape(g.shape, v.shape)) {
      throw new RangeError(`${owner}: expected the gradient of ${JSON.stringify(name)} to have the variable's shape [${v.shape.join(', ')}], got [${g.shape.join(', ')}]`);
    }
    const shape = stateShape(name);
    if (shape && !sameShape(shape, v.shape)) {
      throw new RangeError(
        `${owner}: variable ${JSON.stringify(name)} changed shape from [${shape.join(', ')}] to [${v.shape.join(', ')}]; ` +
          'its optimizer state no longer fits (use a new optimizer, or a new variable name)',
      );
    }
    out.push({ name, v, g });
  }
  return out;
}
