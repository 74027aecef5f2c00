// A classification dataset: n examples of dim float32 features (row-major)
// and a label in 0..classes-1 each.
import { describe } from '../validate.js';

export interface Dataset {
  /** a short name, e.g. "digits/train" */
  readonly name: string;
  /** n*dim features, example i at [i*dim, (i+1)*dim) */
  readonly x: Float32Array;
  /** n labels, each in 0..classes-1 */
  readonly y: Uint8Array;
  /** number of examples */
  readonly n: number;
  /** features per example */
  readonly dim: number;
  /** number of classes */
  readonly classes: number;
}

/** Checks the parts of a dataset against each other and returns it. */
export function makeDataset(name: string, x: Float32Array, y: Uint8Array, dim: number, classes: number): Dataset {
  const owner = `dataset ${JSON.stringify(name)}`;
  if (!Number.isSafeInteger(dim) || dim < 1) throw new RangeError(`${owner}: dim must be an integer >= 1, got ${describe(dim)}`);
  if (!Number.isSafeInteger(classes) || classes < 2 || classes > 256) {
    throw new RangeError(`${owner}: classes must be an integer in 2..256, got ${describe(classes)}`);
  }
  if (!(x instanceof Float32Array)) throw new TypeError(`${owner}: x must be a Float32Array, got ${describe(x)}`);
  if (!(y instanceof Uint8Array)) throw new TypeError(`${owner}: y must be a Uint8Array, got ${describe(y)}`);
  if (x.length !== y.length * dim) {
    throw new RangeError(`${owner}: x must hold n*dim = ${y.length}*${dim} = ${y.length * dim} features, got ${x.length}`);
  }
  for (let i = 0; i < y.length; i++) {
    if (y[i]! >= classes) throw new RangeError(`${owner}: y[${i}] is ${y[i]}, expected a label in 0..${classes - 1}`);
  }
  return Object.freeze({ name, x, y, n: y.length, dim, classes });
}

/** The examples `indices` of `ds`, copied, in that order. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = `${ds.name}/subset`): Dataset {
  const x = new Float32Array(indices.length * ds.dim);
  const y = new Uint8Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k]!;
    if (!Number.isSafeInteger(i) || i < 0 || i >= ds.n) {
      throw new RangeError(`subset: indices[${k}] is ${describe(i)}, expected an integer in 0..${ds.n - 1}`);
    }
    x.set(ds.x.subarray(i * ds.dim, (i + 1) * ds.dim), k * ds.dim);
    y[k] = ds.y[i]!;
  }
  return makeDataset(name, x, y, ds.dim, ds.classes);
}
