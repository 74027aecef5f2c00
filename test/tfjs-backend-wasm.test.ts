// train.* on TF.js's wasm backend (@tensorflow/tfjs-backend-wasm 4.22): the
// adapter works on any backend (on this one it reads gradients straight from
// the backend's heap, src/tfjs/transfer.ts, with dataSync() as the fallback);
// here its numbers are compared with
// tf.train's on the same backend, for every factory, with the fixture
// tolerance |x - ref| <= 1e-5 * max(1, max |ref|). (The cpu backend's
// recorded fixtures are replayed in tfjs-train.test.ts.) Its own file: the
// backend is process-wide.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/index.js';
import { train } from '../src/tfjs/index.js';

beforeAll(async () => {
  await ready();
  expect(await tf.setBackend('wasm')).toBe(true);
});

const CONFIGS: [keyof typeof train, (number | boolean | null)[]][] = [
  ['sgd', [0.1]],
  ['momentum', [0.05, 0.9, true]],
  ['adagrad', [0.05]],
  ['adadelta', [1, 0.9]],
  ['adam', [0.01]],
  ['adamax', [0.01, 0.9, 0.999, null, 0.01]],
  ['rmsprop', [0.01, 0.9, 0.5]],
  ['rmsprop', [0.01, 0.9, 0.5, 1e-6, true]],
];

describe('train.* on the wasm backend', () => {
  for (const [name, args] of CONFIGS) {
    it(`${name}(${args.map(String).join(', ')}) gives tf.train's numbers over 25 steps`, () => {
      expect(tf.getBackend()).toBe('wasm');
      const [ref, got] = [tf.train, train].map((ns) => {
        const before = tf.memory().numTensors;
        const opt = (ns[name] as (...a: unknown[]) => tf.Optimizer)(...args);
        const w = tf.tidy(() => tf.variable(tf.randomUniform([37], -1, 1, 'float32', 7)));
        const b = tf.tidy(() => tf.variable(tf.randomUniform([4, 3], -1, 1, 'float32', 8)));
        for (let t = 0; t < 25; t++) {
          const g = tf.tidy(() => [tf.sin(tf.mul(w, 3 + t)), tf.cos(tf.mul(b, 2 + t))]);
          opt.applyGradients([{ name: w.name, tensor: g[0]! }, { name: b.name, tensor: g[1]! }]);
          tf.dispose(g);
        }
        const out = [...w.dataSync(), ...b.dataSync()];
        tf.dispose([w, b]);
        opt.dispose();
        if (ns === train) expect(tf.memory().numTensors, 'train.* leaks no tensor').toBe(before); // (tf.train does: tfjs #4647)
        return out;
      }) as [number[], number[]];
      expect(ref.every(Number.isFinite)).toBe(true);
      const tol = 1e-5 * Math.max(1, ...ref.map(Math.abs));
      ref.forEach((r, i) => expect(Math.abs(got[i]! - r), `element ${i}`).toBeLessThanOrEqual(tol));
      expect(got).not.toEqual(ref.map(() => 0));
    });
  }
});
