// A multilayer perceptron with one hidden layer, backpropagation derived by hand.
import type { Dataset } from '../data/dataset.js';
import type { LossAndGrad } from '../train/fit.js';
import { mulberry32 } from '../train/random.js';
import { describe } from '../validate.js';
import {
  argmax,
  fractionCorrect, checkData, checkSize, checkVecs, normalInit, softmaxCrossEntropy, uniformInit, type Classifier, type Vec,
} from './model.js';

export type Activation = 'tanh' | 'relu';

export interface MLPOptions {
  /** features per example */
  inputs: number;
  /** hidden units */
  hidden: number;
  /** number of classes */
  classes: number;
  /** hidden activation, default 'tanh' */
  activation?: Activation;
}

/**
 * Parameters W1 (hidden x inputs), b1 (hidden), W2 (classes x hidden), b2
 * (classes), row-major.
 *
 *     a = W1 x + b1,  h = act(a),  z = W2 h + b2
 *     L = mean over the batch of  log(sum_c exp z_c) - z_y
 * Backward, per example (then divided by the batch size B):
 *     dz = softmax(z) - onehot(y);  dW2 += dz h^T;  db2 += dz
 *     dh = W2^T dz;  da = dh * act'(a)  (tanh: 1 - h^2; relu: [a > 0])
 *     dW1 += da x^T;  db1 += da
 */
export class MLP implements Classifier {
  readonly inputs: number;
  readonly hidden: number;
  readonly classes: number;
  readonly activation: Activation;
  readonly name: string;
  readonly paramShapes: readonly { name: string; length: number }[];
  readonly #a: Float64Array;
  readonly #h: Float64Array;
  readonly #da: Float64Array;
  readonly #z: Float64Array;
  readonly #dz: Float64Array;
  readonly #g: Float64Array[];

  constructor(options: MLPOptions) {
    const owner = 'MLP';
    if (options === null || typeof options !== 'object') throw new TypeError(`${owner}: options must be { inputs, hidden, classes }`);
    this.inputs = checkSize(owner, 'options.inputs', options.inputs, 1);
    this.hidden = checkSize(owner, 'options.hidden', options.hidden, 1);
    this.classes = checkSize(owner, 'options.classes', options.classes, 2);
    const act = options.activation ?? 'tanh';
    if (act !== 'tanh' && act !== 'relu') throw new RangeError(`${owner}: options.activation must be 'tanh' or 'relu', got ${describe(act)}`);
    this.activation = act;
    this.name = `mlp ${this.inputs}-${this.hidden}-${this.classes} ${act}`;
    const { inputs: D, hidden: H, classes: C } = this;
    this.paramShapes = Object.freeze([
      { name: 'W1', length: H * D },
      { name: 'b1', length: H },
      { name: 'W2', length: C * H },
      { name: 'b2', length: C },
    ]);
    this.#a = new Float64Array(H);
    this.#h = new Float64Array(H);
    this.#da = new Float64Array(H);
    this.#z = new Float64Array(C);
    this.#dz = new Float64Array(C);
    this.#g = this.paramShapes.map((s) => new Float64Array(s.length));
  }

  /** tanh: Glorot-uniform weights; relu: He-normal weights; biases 0. */
  init(seed = 0): Float32Array[] {
    const random = mulberry32(seed);
    const { inputs: D, hidden: H, classes: C } = this;
    const W1 = new Float32Array(H * D);
    const W2 = new Float32Array(C * H);
    if (this.activation === 'tanh') {
      uniformInit(W1, Math.sqrt(6 / (D + H)), random);
      uniformInit(W2, Math.sqrt(6 / (H + C)), random);
    } else {
      normalInit(W1, Math.sqrt(2 / D), random);
      normalInit(W2, Math.sqrt(2 / H), random);
    }
    return [W1, new Float32Array(H), W2, new Float32Array(C)];
  }

  compute(params: readonly Vec[], data: Dataset, indices?: ArrayLike<number>, grads?: readonly Vec[]): number {
    const owner = 'MLP.compute';
    checkVecs(owner, 'params', params, this.paramShapes);
    if (grads !== undefined) checkVecs(owner, 'grads', grads, this.paramShapes);
    checkData(owner, data, this.inputs, this.classes);
    return this.#run(params, data, indices, grads);
  }

  /** Forward pass of example i into #a, #h, #z. */
  #forward(params: readonly Vec[], x: Float32Array, i: number): void {
    const { inputs: D, hidden: H, classes: C } = this;
    const W1 = params[0]!;
    const b1 = params[1]!;
    const W2 = params[2]!;
    const b2 = params[3]!;
    const a = this.#a;
    const h = this.#h;
    const z = this.#z;
    const xo = i * D;
    const relu = this.activation === 'relu';
    for (let j = 0; j < H; j++) {
      let s = b1[j]!;
      const wo = j * D;
      for (let d = 0; d < D; d++) s += W1[wo + d]! * x[xo + d]!;
      a[j] = s;
      h[j] = relu ? (s > 0 ? s : 0) : Math.tanh(s);
    }
    for (let c = 0; c < C; c++) {
      let s = b2[c]!;
      const wo = c * H;
      for (let j = 0; j < H; j++) s += W2[wo + j]! * h[j]!;
      z[c] = s;
    }
  }

  #run(params: readonly Vec[], data: Dataset, indices: ArrayLike<number> | undefined, grads: readonly Vec[] | undefined): number {
    const { inputs: D, hidden: H, classes: C } = this;
    const W2 = params[2]!;
    const [gW1, gb1, gW2, gb2] = this.#g as [Float64Array, Float64Array, Float64Array, Float64Array];
    if (grads) for (const g of this.#g) g.fill(0);
    const a = this.#a;
    const h = this.#h;
    const da = this.#da;
    const dz = grads ? this.#dz : undefined;
    const relu = this.activation === 'relu';
    const { x, y } = data;
    const count = indices ? indices.length : data.n;
    let loss = 0;
    for (let k = 0; k < count; k++) {
      const i = indices ? indices[k]! : k;
      this.#forward(params, x, i);
      loss += softmaxCrossEntropy(this.#z, y[i]!, dz);
      if (!dz) continue;
      da.fill(0);
      for (let c = 0; c < C; c++) {
        const g = dz[c]!;
        gb2[c] = gb2[c]! + g;
        const wo = c * H;
        for (let j = 0; j < H; j++) {
          gW2[wo + j] = gW2[wo + j]! + g * h[j]!;
          da[j] = da[j]! + W2[wo + j]! * g; // dh = W2^T dz
        }
      }
      const xo = i * D;
      for (let j = 0; j < H; j++) {
        const hj = h[j]!;
        const dj = da[j]! * (relu ? (a[j]! > 0 ? 1 : 0) : 1 - hj * hj);
        if (dj === 0) continue;
        gb1[j] = gb1[j]! + dj;
        const wo = j * D;
        for (let d = 0; d < D; d++) gW1[wo + d] = gW1[wo + d]! + dj * x[xo + d]!;
      }
    }
    const inv = count > 0 ? 1 / count : 0;
    if (grads) {
      this.#g.forEach((g, t) => {
        const out = grads[t]!;
        for (let j = 0; j < g.length; j++) out[j] = g[j]! * inv;
      });
    }
    return loss * inv;
  }

  lossAndGrad(data: Dataset): LossAndGrad {
    checkData('MLP.lossAndGrad', data, this.inputs, this.classes);
    return (batch, params, grads) => this.#run(params, data, batch, grads);
  }

  loss(params: readonly Vec[], data: Dataset): number {
    return this.compute(params, data);
  }

  predict(params: readonly Vec[], data: Dataset): Uint8Array {
    checkVecs('MLP.predict', 'params', params, this.paramShapes);
    checkData('MLP.predict', data, this.inputs, this.classes);
    const out = new Uint8Array(data.n);
    for (let i = 0; i < data.n; i++) {
      this.#forward(params, data.x, i);
      out[i] = argmax(this.#z);
    }
    return out;
  }

  accuracy(params: readonly Vec[], data: Dataset): number {
    return fractionCorrect(this.predict(params, data), data);
  }
}
