// wasm-optim/tfjs against TF.js itself, on one TF.js backend ('cpu' or
// 'wasm'), one measurement per worker (its own isolate, its own TF.js):
//
// - task 'apply': `applyGradients(map)` of Adam(1e-3) by `train.adam`
//   (wasm-optim/tfjs), `tf.train.adam` or `toTfjs(Adam)`, on one variable of
//   2^20 floats ('1M') or on the 20 kernels and biases of a
//   784-512-512-256-256-256-256-128-128-64-10 MLP ('mlp20', 1,051,594
//   floats). The gradients are tensors made once; the timed call is
//   applyGradients alone. Median over rounds of one call, after warm-up.
// - task 'fit': one `model.fit` epoch of a small dense model (784-64-10,
//   512 samples, batch 32, shuffle: false; tfjs-layers) compiled with
//   `train.adam` or `tf.train.adam`: ms per epoch, median over epochs.
// - task 'micro': what one step's data path costs at 1M on the backend:
//   dataSync, tf.tensor, variable.assign, the copies in and out of a
//   WebAssembly memory (where train.adam's time goes), and the route
//   src/tfjs/transfer.ts takes in.
//
// Records are posted like bench/lib/suite.mjs's ({ medianSec, samples, ... }).
import { workerData, parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { ready, Adam } from 'wasm-optim';
import { train, toTfjs } from 'wasm-optim/tfjs';
import { valuesOf } from '../dist/tfjs/transfer.js'; // not exported: the route train.* takes
import { median, randomArray } from './lib/common.mjs';
import { postProgress } from './lib/suite.mjs';

if (!parentPort) throw new Error('bench/tfjs-adapter-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

/** The 20-variable model of task 'apply': dense layers, kernel [in, out] then bias [out]. */
const MLP20 = [784, 512, 512, 256, 256, 256, 256, 128, 128, 64, 10];
const ONE_M = 1 << 20;

const { task, backend, layout, impl, timing } = workerData;
const require = createRequire(import.meta.url);
setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
tf.enableProdMode();
if (!(await tf.setBackend(backend))) throw new Error(`bench/tfjs-adapter-worker: TF.js backend ${backend} did not initialize`);
await ready();

const IMPLS = {
  'train.adam': () => train.adam(1e-3),
  'tf.train.adam': () => tf.train.adam(1e-3),
  'toTfjs(Adam)': () => toTfjs(Adam, { lr: 1e-3 }),
};

/**
 * Times fn: `warmup` calls, then rounds of `perRound` calls until at least
 * minRounds rounds and minSec seconds (never past maxSec seconds or
 * MAX_ROUNDS rounds once minRounds are done). Returns the seconds per call of
 * every round.
 */
async function rounds(fn, { warmup, minRounds, minSec, maxSec }, perRound = 1) {
  for (let i = 0; i < warmup; i++) await fn();
  const out = [];
  const t0 = performance.now();
  for (;;) {
    const t = performance.now();
    for (let i = 0; i < perRound; i++) await fn();
    out.push((performance.now() - t) / 1e3 / perRound);
    const elapsed = (performance.now() - t0) / 1e3;
    if (out.length >= minRounds && (elapsed >= minSec || elapsed >= maxSec || out.length >= MAX_ROUNDS)) break;
  }
  return out;
}
const MAX_ROUNDS = 2000;

/** Calls per round for a fast operation: enough for about 0.2 ms per round. */
function callsPerRound(fn) {
  fn();
  const t = performance.now();
  fn();
  return Math.max(1, Math.min(10000, Math.ceil(0.2 / Math.max(performance.now() - t, 1e-4))));
}

function record(meta, sec) {
  const sorted = [...sec].sort((x, y) => x - y);
  // p10: the fastest tenth, the figure least disturbed by other processes on a shared machine
  const r = { ...meta, medianSec: median(sec), p10Sec: sorted[Math.floor(sorted.length / 10)], meanSec: sec.reduce((a, b) => a + b, 0) / sec.length, minSec: sec.reduce((a, b) => Math.min(a, b), Infinity), samples: sec.length, sampleSec: sec };
  postProgress(r);
  return r;
}

const records = [];
if (task === 'apply') {
  const shapes = layout === '1M' ? [[ONE_M]] : MLP20.slice(1).flatMap((out, i) => [[MLP20[i], out], [out]]);
  const vars = shapes.map((s, i) => tf.variable(tf.tensor(randomArray(s.reduce((a, b) => a * b, 1), 1 + i), s), true, `w${i}_${s.join('x')}`));
  const grads = Object.fromEntries(vars.map((v, i) => [v.name, tf.tensor(randomArray(v.size, 100 + i), v.shape)]));
  const opt = IMPLS[impl]();
  opt.applyGradients(grads); // state made
  const sec = await rounds(() => opt.applyGradients(grads), timing);
  const n = vars.reduce((a, v) => a + v.size, 0);
  opt.dispose();
  tf.dispose([...vars, ...Object.values(grads)]);
  records.push(record({ kind: 'tfjs-apply', backend, layout, impl, n, tensors: vars.length }, sec));
} else if (task === 'fit') {
  const samples = 512, batchSize = 32;
  const xs = tf.tensor2d(randomArray(samples * 784, 7).map((x) => Math.abs(x)), [samples, 784]);
  const labels = Array.from({ length: samples }, (_, i) => i % 10);
  const ys = tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), 10), 'float32'));
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ units: 64, activation: 'relu', inputShape: [784], kernelInitializer: tfl.initializers.glorotUniform({ seed: 1 }) }),
      tfl.layers.dense({ units: 10, activation: 'softmax', kernelInitializer: tfl.initializers.glorotUniform({ seed: 2 }) }),
    ],
  });
  model.compile({ optimizer: IMPLS[impl](), loss: 'categoricalCrossentropy' });
  const params = model.countParams();
  let loss;
  const sec = await rounds(async () => {
    const h = await model.fit(xs, ys, { epochs: 1, batchSize, shuffle: false, verbose: 0, yieldEvery: 'never' });
    loss = h.history.loss[0];
  }, {
    warmup: 1, minRounds: timing.fitEpochs, minSec: 0, maxSec: 0,
  });
  model.optimizer.dispose();
  model.dispose();
  tf.dispose([xs, ys]);
  // the last epoch's loss: the same with both optimizers (on cpu the same bits), a check that both trained alike
  records.push(record({ kind: 'tfjs-fit', backend, impl, n: params, examples: samples, batchSize, steps: samples / batchSize, epochs: sec.length + 1, loss }, sec));
} else if (task === 'micro') {
  const n = ONE_M;
  const v = tf.variable(tf.tensor1d(randomArray(n, 1)), true, 'micro_v');
  const memory = new WebAssembly.Memory({ initial: Math.ceil((8 * n) / 65536) + 1 });
  const mem = new Float32Array(memory.buffer);
  const host = randomArray(n, 2);
  const micro = { warmup: 5, minRounds: timing.minRounds, minSec: timing.minSec / 2, maxSec: timing.maxSec / 2 };
  const ops = [
    ['v.dataSync()', () => v.dataSync()],
    ['WebAssembly memory.set(v.dataSync())', () => mem.set(v.dataSync(), 0)],
    ['WebAssembly memory.set(valuesOf(v)) (train.adam\'s route in)', () => mem.set(valuesOf(v), 0)],
    ['WebAssembly memory.slice (a copy out)', () => mem.slice(0, n)],
    ['tf.tensor(Float32Array) + dispose', () => tf.tensor1d(host).dispose()],
    ['tf.tensor(view of a WebAssembly memory) + dispose', () => tf.tensor1d(mem.subarray(0, n)).dispose()],
    ['v.assign(t) (t made before, untimed)', null],
  ];
  for (const [op, fn] of ops) {
    let sec;
    if (fn) sec = await rounds(fn, micro, callsPerRound(fn));
    else {
      // assign alone: the tensor is made outside the timed part
      sec = [];
      for (let i = 0; i < micro.warmup + Math.max(micro.minRounds, 20); i++) {
        const t = tf.tensor1d(host);
        const t0 = performance.now();
        v.assign(t);
        const dt = (performance.now() - t0) / 1e3;
        t.dispose();
        if (i >= micro.warmup) sec.push(dt);
      }
    }
    records.push(record({ kind: 'tfjs-micro', backend, op, n }, sec));
  }
  v.dispose();
}
port.postMessage({ type: 'done', records, tensorsLeft: tf.memory().numTensors });
