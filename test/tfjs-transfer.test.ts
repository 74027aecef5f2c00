// src/tfjs/transfer.ts: the routes values take between TF.js tensors and the
// optimizers' WebAssembly memory, on the cpu and the wasm backend (in this
// order, in this file: the backend is process-wide). The references are
// tf.train.adam on the same backend (TF.js 4.22 itself) and the tensors'
// own dataSync(); the cases are the ones a shortcut could get wrong: a
// variable assigned from outside between steps, a variable disposed and made
// again under the same name, the optimizer's memory overwritten after an
// assign.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { Adam, ready } from '../src/index.js';
import { toTfjs, train } from '../src/tfjs/index.js';
import { Assigned, firstNonFinite, valuesOf, wasmHeapView } from '../src/tfjs/transfer.js';

/** Adam through `make`, 12 steps on two variables, with outside writes between steps. */
function run(make: () => tf.Optimizer): number[] {
  const w = tf.tidy(() => tf.variable(tf.randomUniform([37], -1, 1, 'float32', 7), true, 'transfer_w'));
  let b = tf.tidy(() => tf.variable(tf.randomUniform([4, 3], -1, 1, 'float32', 8), true, 'transfer_b'));
  const opt = make();
  for (let t = 0; t < 12; t++) {
    if (t === 4) tf.tidy(() => w.assign(tf.mul(w, 0.5))); // changed from outside: must be read again
    if (t === 7) {
      // disposed and made again under the same name, with other values
      const values = tf.tidy(() => tf.add(b, 1));
      b.dispose();
      b = tf.variable(values, true, 'transfer_b');
      values.dispose();
    }
    const g = tf.tidy(() => [tf.sin(tf.mul(w, 3 + t)), tf.cos(tf.mul(b, 2 + t))]);
    opt.applyGradients({ [w.name]: g[0]!, [b.name]: g[1]! });
    tf.dispose(g);
  }
  const out = [...w.dataSync(), ...b.dataSync()];
  tf.dispose([w, b]);
  opt.dispose();
  return out;
}

for (const name of ['cpu', 'wasm'] as const) {
  describe(`on the ${name} backend`, () => {
    it('setup', async () => {
      await ready();
      expect(await tf.setBackend(name)).toBe(true);
    });

    it(`train.adam gives tf.train.adam's numbers when variables are assigned or remade from outside between steps`, () => {
      const ref = run(() => tf.train.adam(0.05));
      const got = run(() => train.adam(0.05));
      if (name === 'cpu') expect(got).toEqual(ref); // the same bits (as the recorded fixtures)
      else {
        const tol = 1e-5 * Math.max(1, ...ref.map(Math.abs));
        ref.forEach((r, i) => expect(Math.abs(got[i]! - r), `element ${i}`).toBeLessThanOrEqual(tol));
      }
      expect(ref.every(Number.isFinite)).toBe(true);
    });

    it("toTfjs(Adam) gives per-variable new Adam(...)'s bits when variables are assigned or remade from outside between steps", () => {
      const got = run(() => toTfjs(Adam, { lr: 0.05 }));
      // the replay: one Adam per variable name (toTfjs's design), the outside writes made on its parameters
      const host = (f: () => tf.Tensor) => tf.tidy(() => (f().dataSync() as Float32Array).slice());
      const optW = new Adam([host(() => tf.randomUniform([37], -1, 1, 'float32', 7))], { lr: 0.05 });
      const optB = new Adam([host(() => tf.randomUniform([12], -1, 1, 'float32', 8))], { lr: 0.05 });
      const [w, b] = [optW.params[0]!, optB.params[0]!];
      for (let t = 0; t < 12; t++) {
        if (t === 4) w.set(host(() => tf.mul(tf.tensor1d(w), 0.5)));
        if (t === 7) b.set(host(() => tf.add(tf.tensor1d(b), 1))); // same name and shape: its state is kept, as tf.train keeps it
        const gw = host(() => tf.sin(tf.mul(tf.tensor1d(w), 3 + t)));
        const gb = host(() => tf.cos(tf.mul(tf.tensor1d(b), 2 + t)));
        optW.step([gw]);
        optB.step([gb]);
      }
      expect(got).toEqual([...w, ...b]);
      optW.dispose();
      optB.dispose();
    });

    it('valuesOf reads every value of a tensor (through the wasm heap on the wasm backend)', () => {
      const t = tf.tidy(() => tf.sin(tf.range(0, 1000, 1, 'float32')));
      const view = wasmHeapView(t);
      if (name === 'wasm') {
        // @tensorflow/tfjs-backend-wasm's internals are as transfer.ts expects: the shortcut is in use
        expect(view).toBeInstanceOf(Float32Array);
      } else expect(view).toBeUndefined();
      expect([...valuesOf(t)]).toEqual([...(t.dataSync() as Float32Array)]);
      t.dispose();
    });

    it('Assigned.assign leaves the variable owning its values (overwriting the source changes nothing) and holds() follows outside writes', () => {
      const v = tf.tidy(() => tf.variable(tf.zeros([5]), true, 'transfer_v'));
      const memory = new Float32Array([1, 2, 3, 4, 5, 6]);
      const a = new Assigned();
      const slot = {};
      expect(a.holds(v, slot)).toBe(false);
      a.assign(v, memory.subarray(1, 6), [5], slot);
      expect(a.holds(v, slot)).toBe(true);
      expect(a.holds(v, {}), 'another buffer').toBe(false);
      memory.fill(-1);
      expect([...v.dataSync()]).toEqual([2, 3, 4, 5, 6]);
      tf.tidy(() => v.assign(tf.ones([5])));
      expect(a.holds(v, slot)).toBe(false);
      v.dispose();
    });
  });
}

describe('firstNonFinite', () => {
  it('finds the first NaN or infinity, or -1', () => {
    expect(firstNonFinite(new Float32Array([1, -2, 3e38, 1e-45]))).toBe(-1);
    expect(firstNonFinite(new Float32Array([1, 2, NaN, Infinity]))).toBe(2);
    expect(firstNonFinite(new Float32Array([-Infinity, NaN]))).toBe(0);
    const big = new Float32Array(1 << 16).fill(0.5);
    big[65535] = Infinity;
    expect(firstNonFinite(big)).toBe(65535);
    expect(firstNonFinite(new Float32Array(0))).toBe(-1);
  });
});
