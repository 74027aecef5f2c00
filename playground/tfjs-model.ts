// The TF.js model both TF.js panels train (the CPU-backend comparison in
// ./tfjs.ts and the GPU digits run in ./gpu-digits.ts), and the digits as
// its tensors.
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { Dataset } from 'wasm-optim';

/** The dense 64-32-10 model, tanh then softmax, Glorot-uniform weights from `seed`. */
export function makeModel(inputs: number, seed: number): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.dense({ inputShape: [inputs], units: 32, activation: 'tanh', kernelInitializer: tfl.initializers.glorotUniform({ seed }) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: seed + 1 }) }),
    ],
  });
}

/** Features and one-hot labels of `ds` (or of its examples `indices`) as tensors. */
export function tensors(ds: Dataset, indices?: ArrayLike<number>): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const n = indices ? indices.length : ds.n;
  const x = new Float32Array(n * ds.dim);
  const y = new Float32Array(n * ds.classes);
  for (let i = 0; i < n; i++) {
    const k = indices ? indices[i]! : i;
    x.set(ds.x.subarray(k * ds.dim, (k + 1) * ds.dim), i * ds.dim);
    y[i * ds.classes + ds.y[k]!] = 1;
  }
  return { x: tf.tensor2d(x, [n, ds.dim]), y: tf.tensor2d(y, [n, ds.classes]) };
}
