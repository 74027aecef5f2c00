// A small multilayer perceptron in plain JS, for the end-to-end figure: one
// training step = forward + backward over a batch, then the optimizer.
//
//   h = relu(x W1 + b1)        x: batch x I, W1: I x H (row-major), b1: H
//   z = h W2 + b2              W2: H x O, b2: O
//   loss = mean over the batch of (logsumexp(z) - z[label])
//
// The loops are written for contiguous inner loops (i-k-j order), the way a
// careful hand-written JS model would be; they work on any typed array type
// (the test checks the gradients in Float64Array against finite differences).
import { randomArray } from './lib/common.mjs';

/** @typedef {[number, number, number]} Sizes layer sizes [I, H, O] */

/**
 * Shapes of [W1, b1, W2, b2] for layer sizes [I, H, O].
 * @param {Sizes} sizes
 */
export function paramShapes([I, H, O]) {
  return [I * H, H, H * O, O];
}

/** He-uniform initial parameters (deterministic), as Float32Arrays. */
export function initParams([I, H, O], seed = 11) {
  const [w1, b1, w2, b2] = paramShapes([I, H, O]).map((len, i) => randomArray(len, seed + i));
  const s1 = 2 * Math.sqrt(6 / I);
  const s2 = 2 * Math.sqrt(6 / H);
  for (let i = 0; i < w1.length; i++) w1[i] *= s1;
  for (let i = 0; i < w2.length; i++) w2[i] *= s2;
  b1.fill(0);
  b2.fill(0);
  return [w1, b1, w2, b2];
}

/** A random batch: pixels in [0, 1) and labels in 0..O-1. */
export function randomBatch([I, , O], batch, seed = 5) {
  const x = randomArray(batch * I, seed).map((v) => v + 0.5);
  const labels = Array.from(randomArray(batch, seed + 1), (v) => Math.min(O - 1, Math.floor((v + 0.5) * O)));
  return { x, labels };
}

/**
 * Scratch buffers for `forwardBackward`, of the same array type as `like`.
 * @template {Float32Array | Float64Array} T
 * @param {Sizes} sizes
 * @param {number} batch
 * @param {T} like
 * @returns {{ h: T, z: T, dz: T, dh: T }}
 */
export function scratch([, H, O], batch, like) {
  const A = /** @type {any} */ (like.constructor);
  return { h: new A(batch * H), z: new A(batch * O), dz: new A(batch * O), dh: new A(batch * H) };
}

/**
 * Forward and backward pass: writes dLoss/dParam into `grads` (same shapes
 * as `params`) and returns the loss.
 * @template {Float32Array | Float64Array} T
 * @param {Sizes} sizes
 * @param {T[]} params [W1, b1, W2, b2]
 * @param {T[]} grads same shapes as params
 * @param {ArrayLike<number>} x batch x I inputs
 * @param {ArrayLike<number>} labels one class index per example
 * @param {{ h: T, z: T, dz: T, dh: T }} s from `scratch`
 * @returns {number}
 */
export function forwardBackward(sizes, params, grads, x, labels, s) {
  const [I, H, O] = sizes;
  const [w1, b1, w2, b2] = params;
  const [gw1, gb1, gw2, gb2] = grads;
  const B = labels.length;
  const { h, z, dz, dh } = s;
  // h = relu(x W1 + b1)
  for (let b = 0; b < B; b++) {
    const ho = b * H;
    for (let j = 0; j < H; j++) h[ho + j] = b1[j];
    for (let i = 0; i < I; i++) {
      const xi = x[b * I + i];
      const wo = i * H;
      for (let j = 0; j < H; j++) h[ho + j] += xi * w1[wo + j];
    }
    for (let j = 0; j < H; j++) if (h[ho + j] < 0) h[ho + j] = 0;
  }
  // z = h W2 + b2; softmax cross-entropy; dz = (softmax - onehot) / B
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const zo = b * O;
    for (let k = 0; k < O; k++) z[zo + k] = b2[k];
    for (let j = 0; j < H; j++) {
      const hj = h[b * H + j];
      const wo = j * O;
      for (let k = 0; k < O; k++) z[zo + k] += hj * w2[wo + k];
    }
    let max = -Infinity;
    for (let k = 0; k < O; k++) if (z[zo + k] > max) max = z[zo + k];
    let sum = 0;
    for (let k = 0; k < O; k++) sum += Math.exp(z[zo + k] - max);
    const lse = max + Math.log(sum);
    loss += lse - z[zo + labels[b]];
    for (let k = 0; k < O; k++) dz[zo + k] = (Math.exp(z[zo + k] - lse) - (k === labels[b] ? 1 : 0)) / B;
  }
  // dW2 = h^T dz, db2 = sum dz, dh = (dz W2^T) * (h > 0)
  gw2.fill(0);
  gb2.fill(0);
  for (let b = 0; b < B; b++) {
    const zo = b * O;
    for (let k = 0; k < O; k++) gb2[k] += dz[zo + k];
    for (let j = 0; j < H; j++) {
      const hj = h[b * H + j];
      const wo = j * O;
      let acc = 0;
      for (let k = 0; k < O; k++) {
        gw2[wo + k] += hj * dz[zo + k];
        acc += dz[zo + k] * w2[wo + k];
      }
      dh[b * H + j] = hj > 0 ? acc : 0;
    }
  }
  // dW1 = x^T dh, db1 = sum dh
  gw1.fill(0);
  gb1.fill(0);
  for (let b = 0; b < B; b++) {
    const ho = b * H;
    for (let j = 0; j < H; j++) gb1[j] += dh[ho + j];
    for (let i = 0; i < I; i++) {
      const xi = x[b * I + i];
      const wo = i * H;
      for (let j = 0; j < H; j++) gw1[wo + j] += xi * dh[ho + j];
    }
  }
  return loss / B;
}
