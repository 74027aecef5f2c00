// The plain-JS baseline: the reference loops (src/reference, `reference.<Name>`
// in the package) on one Float32Array per tensor. It runs in its own worker:
// a separate V8 isolate that never creates or grows a WebAssembly memory,
// which would slow its typed-array loops (README, Performance).
import { workerData, parentPort } from 'node:worker_threads';
import { reference } from 'wasm-optim';
import { optimizerByName } from './optimizers.mjs';
import { randomArray, sizeLabel } from './lib/common.mjs';
import { runCases } from './lib/suite.mjs';

if (!parentPort) throw new Error('bench/js-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

const { n, optimizers, timing, isolate } = workerData;
const g = randomArray(n, 2);
const p0 = randomArray(n, 1);
const records = [];
for (const name of optimizers) {
  const o = optimizerByName(name);
  const ref = reference[name];
  if (!ref) continue;
  const meta = { impl: 'js', variant: `isolate ${isolate}`, optimizer: name, n, bytesPerElem: o.bytes };
  records.push(
    ...(await runCases(`plain JS ${name} n=${sizeLabel(n)}`, [
      {
        name: `${name} plain JS`,
        meta,
        setup() {
          const p = p0.slice();
          const s = ref.init(n, o.options);
          return { fn: () => ref.step(p, g, s, o.options) };
        },
      },
    ], timing)),
  );
}
port.postMessage({ type: 'done', records });
