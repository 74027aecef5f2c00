// One training step of the MLP of bench/mlp.mjs, timed in two phases
// (forward + backward, then the optimizer), for three optimizers, each on its
// own copy of the same model and batch:
//
//   js          the plain-JS Adam loop (reference.Adam) on each tensor
//   zero-copy   wasm-optim Adam; the backward pass writes into opt.grads and
//               the model reads opt.params: nothing is copied
//   copy        wasm-optim Adam with opt.step(grads) on the model's own arrays
//
// They share one worker, as a real program would share its isolate (no
// WebAssembly memory is grown or disposed here, so the JS loops keep their
// speed), and run in interleaved blocks of steps, so a busy machine slows
// them alike and the shares stay comparable. benny times one function per
// case, so this is timed by hand: warm-up, then blocks until the time box is
// used up; medians per phase.
import { workerData, parentPort } from 'node:worker_threads';
import { Adam, ready, reference } from 'wasm-optim';
import { forwardBackward, initParams, paramShapes, randomBatch, scratch } from './mlp.mjs';
import { median } from './lib/common.mjs';

if (!parentPort) throw new Error('bench/mlp-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

const { sizes, batch, seconds, warmupSteps, blockSteps, minBlocks } = workerData;
const options = { lr: 1e-3 };
const { x, labels } = randomBatch(sizes, batch);
await ready();

function setup(variant) {
  const initial = initParams(sizes);
  let params, grads, optimize;
  if (variant === 'js') {
    params = initial;
    grads = paramShapes(sizes).map((len) => new Float32Array(len));
    const states = params.map((p) => reference.Adam.init(p.length));
    optimize = () => params.forEach((p, i) => reference.Adam.step(p, grads[i], states[i], options));
  } else {
    const opt = new Adam(initial, options);
    if (variant === 'zero-copy') {
      params = opt.params;
      grads = opt.grads;
      optimize = () => opt.step();
    } else {
      params = initial;
      grads = paramShapes(sizes).map((len) => new Float32Array(len));
      optimize = () => opt.step(grads);
    }
  }
  return { variant, params, grads, optimize, s: scratch(sizes, batch, params[0]), fb: [], op: [], losses: [] };
}

const runs = ['js', 'zero-copy', 'copy'].map(setup);
function block(run, steps, keep) {
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const loss = forwardBackward(sizes, run.params, run.grads, x, labels, run.s);
    const t1 = performance.now();
    run.optimize();
    const t2 = performance.now();
    run.losses.push(loss);
    if (keep) {
      run.fb.push((t1 - t0) / 1e3);
      run.op.push((t2 - t1) / 1e3);
    }
  }
}
for (const run of runs) block(run, warmupSteps, false);
const deadline = performance.now() + seconds * 1000;
for (let b = 0; b < minBlocks || performance.now() < deadline; b++) for (const run of runs) block(run, blockSteps, true);

const records = runs.map((run) => ({
  impl: run.variant === 'js' ? 'js' : 'wasm-optim',
  variant: run.variant,
  optimizer: 'Adam',
  n: run.params.reduce((a, p) => a + p.length, 0),
  sizes,
  batch,
  steps: run.fb.length,
  forwardBackwardSec: median(run.fb),
  optimizerSec: median(run.op),
  lossFirst: run.losses[0],
  lossLast: run.losses[run.losses.length - 1],
}));
for (const r of records) port.postMessage({ type: 'progress', record: r });
port.postMessage({ type: 'done', records: records.map((r, i) => ({ ...r, forwardBackwardSamples: runs[i].fb, optimizerSamples: runs[i].op })) });
