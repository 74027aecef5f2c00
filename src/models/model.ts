// What the demo models share: the interface the training loop and the CLI
// use, argument checks, seeded initialisation and the softmax cross-entropy.
import type { Dataset } from '../data/dataset.js';
import type { LossAndGrad } from '../train/fit.js';
import { normal } from '../train/random.js';
import { describe } from '../validate.js';

/** Parameters or gradients: float32 for training, float64 for gradient checks. */
export type Vec = Float32Array | Float64Array;

/** A classifier with hand-derived gradients whose parameters live outside it (in the optimizer). */
export interface Classifier {
  /** e.g. "mlp 64-32-10 tanh" */
  readonly name: string;
  /** names and lengths of the parameters, in order */
  readonly paramShapes: readonly { name: string; length: number }[];
  /** fresh parameters, the same for the same seed */
  init(seed?: number): Float32Array[];
  /**
   * The mean cross-entropy over the examples `indices` of `data` (all of them
   * when omitted) at `params`; when `grads` is given, overwrites it with the
   * gradient of that mean. Computes in double.
   */
  compute(params: readonly Vec[], data: Dataset, indices?: ArrayLike<number>, grads?: readonly Vec[]): number;
  /** The loss-and-gradient function for `fit`, bound to `data`. */
  lossAndGrad(data: Dataset): LossAndGrad;
  /** Mean cross-entropy over all of `data`. */
  loss(params: readonly Vec[], data: Dataset): number;
  /** The most probable class of every example. */
  predict(params: readonly Vec[], data: Dataset): Uint8Array;
  /** Fraction of `data` classified correctly. */
  accuracy(params: readonly Vec[], data: Dataset): number;
}

export function checkSize(owner: string, name: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
    throw new RangeError(`${owner}: ${name} must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

/** Checks params (or grads) against the shapes; the message names the model and the argument. */
export function checkVecs(owner: string, what: string, vs: unknown, shapes: readonly { name: string; length: number }[]): readonly Vec[] {
  if (!Array.isArray(vs) || vs.length !== shapes.length) {
    throw new TypeError(`${owner}: ${what} must be an array of ${shapes.length} arrays (${shapes.map((s) => s.name).join(', ')}), got ${describe(vs)}`);
  }
  shapes.forEach((s, i) => {
    const v = vs[i] as unknown;
    if (!(v instanceof Float32Array) && !(v instanceof Float64Array)) {
      throw new TypeError(`${owner}: ${what}[${i}] (${s.name}) must be a Float32Array or Float64Array, got ${describe(v)}`);
    }
    if (v.length !== s.length) throw new RangeError(`${owner}: ${what}[${i}] (${s.name}) must have ${s.length} elements, got ${v.length}`);
  });
  return vs as readonly Vec[];
}

export function checkData(owner: string, data: unknown, dim: number, classes: number): Dataset {
  const d = data as Dataset | null;
  if (d === null || typeof d !== 'object' || !(d.x instanceof Float32Array) || !(d.y instanceof Uint8Array)) {
    throw new TypeError(`${owner}: data must be a dataset { x: Float32Array, y: Uint8Array, n, dim, classes }, got ${describe(data)}`);
  }
  if (d.dim !== dim) throw new RangeError(`${owner}: data.dim must be ${dim} (the model's inputs), got ${describe(d.dim)}`);
  if (d.classes > classes) throw new RangeError(`${owner}: data has ${d.classes} classes, the model only ${classes}`);
  return d;
}

/** Uniform in [-limit, limit] (Glorot/Xavier with limit = sqrt(6/(fanIn + fanOut))). */
export function uniformInit(out: Float32Array, limit: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (2 * random() - 1) * limit;
  return out;
}

/** Normal with standard deviation `std` (He init: std = sqrt(2/fanIn)). */
export function normalInit(out: Float32Array, std: number, random: () => number): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = std * normal(random);
  return out;
}

/**
 * Softmax cross-entropy of logits z (length C) for label y: returns
 * log(sum exp z) - z[y]; when dz is given, writes dL/dz = softmax(z) - onehot(y).
 */
export function softmaxCrossEntropy(z: Float64Array, y: number, dz?: Float64Array): number {
  const C = z.length;
  let m = -Infinity;
  for (let c = 0; c < C; c++) if (z[c]! > m) m = z[c]!;
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(z[c]! - m);
  if (dz) {
    for (let c = 0; c < C; c++) dz[c] = Math.exp(z[c]! - m) / s;
    dz[y] = dz[y]! - 1;
  }
  return m + Math.log(s) - z[y]!;
}

export function argmax(z: Float64Array): number {
  let best = 0;
  for (let c = 1; c < z.length; c++) if (z[c]! > z[best]!) best = c;
  return best;
}

/** The fraction of examples whose predicted class equals the label. */
export function fractionCorrect(predictions: Uint8Array, data: Dataset): number {
  let ok = 0;
  for (let i = 0; i < data.n; i++) if (predictions[i] === data.y[i]) ok++;
  return ok / data.n;
}
