// TF.js 4.22 tf.train.* on one backend ('cpu' or 'wasm'), in its own worker.
// One variable of n floats; its gradient is a tensor created once, so the
// timed call is applyGradients alone (no upload from JS: this favours TF.js).
//
// The wasm backend's .wasm files are read from
// node_modules/@tensorflow/tfjs-backend-wasm/dist: setWasmPaths() with a file
// system directory (ending in '/') makes its Emscripten loader read them with
// fs in Node, no fetch or server needed. In Node it always runs the
// single-threaded SIMD binary (TF.js disables its threaded build there).
import { workerData, parentPort } from 'node:worker_threads';
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { optimizerByName } from './optimizers.mjs';
import { randomArray, sizeLabel } from './lib/common.mjs';
import { runCases } from './lib/suite.mjs';

if (!parentPort) throw new Error('bench/tfjs-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

const { backend, n, optimizers, timing } = workerData;
const require = createRequire(import.meta.url);
setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
// Production mode: TF.js skips its debug-time checks (and its note about tfjs-node).
tf.enableProdMode();
if (!(await tf.setBackend(backend))) throw new Error(`bench/tfjs-worker: TF.js backend ${backend} did not initialize`);
const simd = backend === 'wasm' ? await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT') : undefined;

const records = [];
for (const name of optimizers) {
  const o = optimizerByName(name);
  const makeOptimizer = o.tfjs;
  if (!makeOptimizer) continue;
  records.push(
    ...(await runCases(`TF.js ${backend} ${name} n=${sizeLabel(n)}`, [
      {
        name: `${name} tfjs-${backend}`,
        meta: { impl: `tfjs-${backend}`, variant: backend === 'wasm' ? (simd ? 'simd' : 'no simd') : 'js', optimizer: name, n, bytesPerElem: o.bytes },
        setup() {
          const v = tf.variable(tf.tensor1d(randomArray(n, 1)), true, `p_${name}_${n}`);
          const g = tf.tensor1d(randomArray(n, 2));
          const opt = makeOptimizer(tf);
          const grads = { [v.name]: g };
          opt.applyGradients(grads); // creates the optimizer's state variables
          return {
            fn: () => opt.applyGradients(grads),
            dispose() {
              opt.dispose();
              v.dispose();
              g.dispose();
            },
          };
        },
      },
    ], timing)),
  );
}
port.postMessage({ type: 'done', records, tensorsLeft: tf.memory().numTensors });
