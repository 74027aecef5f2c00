// Softmax regression (multinomial logistic regression) with its gradient
// derived by hand.
import type { Dataset } from '../data/dataset.js';
import type { LossAndGrad } from '../train/fit.js';
import { mulberry32 } from '../train/random.js';
import { argmax,
  fractionCorrect, checkData, checkSize, checkVecs, normalInit, softmaxCrossEntropy, type Classifier, type Vec } from './model.js';

export interface SoftmaxRegressionOptions {
  /** features per example */
  inputs: number;
  /** number of classes */
  classes: number;
}

/**
 * Parameters W (classes x inputs, row-major) and b (classes).
 *
 *     z = W x + b,  L = mean over the batch of  log(sum_c exp z_c) - z_y
 *     dL/dz = (softmax(z) - onehot(y)) / B,  dL/dW = dL/dz x^T,  dL/db = dL/dz
 */
export class SoftmaxRegression implements Classifier {
  readonly inputs: number;
  readonly classes: number;
  readonly name: string;
  readonly paramShapes: readonly { name: string; length: number }[];
  readonly #z: Float64Array;
  readonly #dz: Float64Array;
  #gW: Float64Array;
  #gb: Float64Array;

  constructor(options: SoftmaxRegressionOptions) {
    const owner = 'SoftmaxRegression';
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be { inputs, classes }`);
    this.inputs = checkSize(owner, 'options.inputs', options.inputs, 1);
    this.classes = checkSize(owner, 'options.classes', options.classes, 2);
    this.name = `softmax regression ${this.inputs}-${this.classes}`;
    this.paramShapes = Object.freeze([
      { name: 'W', length: this.classes * this.inputs },
      { name: 'b', length: this.classes },
    ]);
    this.#z = new Float64Array(this.classes);
    this.#dz = new Float64Array(this.classes);
    this.#gW = new Float64Array(this.classes * this.inputs);
    this.#gb = new Float64Array(this.classes);
  }

  /** W ~ N(0, 0.01^2), b = 0. */
  init(seed = 0): Float32Array[] {
    const random = mulberry32(seed);
    return [normalInit(new Float32Array(this.classes * this.inputs), 0.01, random), new Float32Array(this.classes)];
  }

  compute(params: readonly Vec[], data: Dataset, indices?: ArrayLike<number>, grads?: readonly Vec[]): number {
    const owner = 'SoftmaxRegression.compute';
    checkVecs(owner, 'params', params, this.paramShapes);
    if (grads !== undefined) checkVecs(owner, 'grads', grads, this.paramShapes);
    checkData(owner, data, this.inputs, this.classes);
    return this.#run(params, data, indices, grads);
  }

  #run(params: readonly Vec[], data: Dataset, indices: ArrayLike<number> | undefined, grads: readonly Vec[] | undefined): number {
    const D = this.inputs;
    const C = this.classes;
    const W = params[0]!;
    const b = params[1]!;
    const z = this.#z;
    const dz = grads ? this.#dz : undefined;
    const gW = this.#gW;
    const gb = this.#gb;
    if (grads) {
      gW.fill(0);
      gb.fill(0);
    }
    const { x, y } = data;
    const count = indices ? indices.length : data.n;
    let loss = 0;
    for (let k = 0; k < count; k++) {
      const i = indices ? indices[k]! : k;
      const xo = i * D;
      for (let c = 0; c < C; c++) {
        let s = b[c]!;
        const wo = c * D;
        for (let d = 0; d < D; d++) s += W[wo + d]! * x[xo + d]!;
        z[c] = s;
      }
      loss += softmaxCrossEntropy(z, y[i]!, dz);
      if (dz) {
        for (let c = 0; c < C; c++) {
          const g = dz[c]!;
          gb[c] = gb[c]! + g;
          if (g === 0) continue;
          const wo = c * D;
          for (let d = 0; d < D; d++) gW[wo + d] = gW[wo + d]! + g * x[xo + d]!;
        }
      }
    }
    const inv = count > 0 ? 1 / count : 0;
    if (grads) {
      const oW = grads[0]!;
      const ob = grads[1]!;
      for (let j = 0; j < gW.length; j++) oW[j] = gW[j]! * inv;
      for (let c = 0; c < C; c++) ob[c] = gb[c]! * inv;
    }
    return loss * inv;
  }

  lossAndGrad(data: Dataset): LossAndGrad {
    checkData('SoftmaxRegression.lossAndGrad', data, this.inputs, this.classes);
    return (batch, params, grads) => this.#run(params, data, batch, grads);
  }

  loss(params: readonly Vec[], data: Dataset): number {
    return this.compute(params, data);
  }

  predict(params: readonly Vec[], data: Dataset): Uint8Array {
    checkVecs('SoftmaxRegression.predict', 'params', params, this.paramShapes);
    checkData('SoftmaxRegression.predict', data, this.inputs, this.classes);
    const D = this.inputs;
    const W = params[0]!;
    const b = params[1]!;
    const z = this.#z;
    const out = new Uint8Array(data.n);
    for (let i = 0; i < data.n; i++) {
      for (let c = 0; c < this.classes; c++) {
        let s = b[c]!;
        for (let d = 0; d < D; d++) s += W[c * D + d]! * data.x[i * D + d]!;
        z[c] = s;
      }
      out[i] = argmax(z);
    }
    return out;
  }

  accuracy(params: readonly Vec[], data: Dataset): number {
    return fractionCorrect(this.predict(params, data), data);
  }
}
