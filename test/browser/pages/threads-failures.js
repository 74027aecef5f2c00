// Bundled by test/browser/threads.test.ts (esbuild) with the pool's test
// hooks (dist/threads/pool.js: failNextCall, poolStats). On the page's main
// thread, with COOP/COEP: a chunk that throws and a worker that dies become
// errors on the caller and the step count does not advance; an optimizer
// asking for more threads than ready() started steps on the calling thread
// until the new worker answers, then on the pool; every result has the bytes
// of a one-thread twin.
import { ready, Adam } from '../../../dist/index.js';
import { failNextCall, poolReady, poolStats } from '../../../dist/threads/pool.js';

const N = 100_003;
const out = {};
const grads = (t) => [Float32Array.from({ length: N }, (_, i) => Math.sin(i * 0.1 + t))];
const twin = (threads) => {
  const p = Float32Array.from({ length: N }, (_, i) => Math.cos(i));
  return new Adam([p], { lr: 0.01, threads });
};
const sameAs = (a, b) => {
  const [x, y] = [a.save(), b.save()];
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
// Returns to the event loop until the pool's workers for `parts` threads are running (a Web Worker
// starts only while the page's main thread is in its event loop): waits on that condition, not on
// a fixed time, so that load cannot fail it; the 20 s cap only ends the wait if they never start
// (then the assertion after it fails). Resolves to whether they are up.
const waitForPool = async (parts) => {
  const start = Date.now();
  while (!poolReady(parts)) {
    if (Date.now() - start > 20000) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
};

out.info = (await ready({ threads: 2 })).threads;

// a worker that throws before it checks in to the update: nobody writes (no snapshot is taken)
{
  const a = twin(2);
  const b = twin(1);
  a.step(grads(0));
  b.step(grads(0));
  failNextCall('throw', 2); // the second split call of the step: Adam's update (after the finiteness check), behind the barrier
  try {
    a.step(grads(1));
    out.throwError = 'no error';
  } catch (e) {
    out.throwError = String(e.message);
  }
  out.throwStepCount = a.stepCount;
  out.throwUnchanged = sameAs(a, b); // all or nothing: as before the failed step
  const before = poolStats().splitCalls;
  a.step(grads(2));
  b.step(grads(2));
  out.throwThenSplit = poolStats().splitCalls > before;
  out.throwThenSame = sameAs(a, b);
  a.dispose();
  b.dispose();
}

// a worker that exits before it checks in: the pool is replaced; until the new worker answers, calls run on the calling thread
{
  const a = twin(2);
  const b = twin(1);
  failNextCall('die', 2);
  try {
    a.step(grads(0));
    out.dieError = 'no error';
  } catch (e) {
    out.dieError = String(e.message);
  }
  out.dieStepCount = a.stepCount;
  out.dieUnchanged = sameAs(a, b);
  let before = poolStats().splitCalls;
  a.step(grads(1));
  b.step(grads(1));
  out.afterDieSplitAtOnce = poolStats().splitCalls > before;
  out.afterDiePoolUp = await waitForPool(2);
  before = poolStats().splitCalls;
  a.step(grads(2));
  b.step(grads(2));
  out.afterDieSplitLater = poolStats().splitCalls > before;
  out.dieThenSame = sameAs(a, b);
  a.dispose();
  b.dispose();
}

// more threads than ready() started
{
  const a = twin(3);
  const b = twin(1);
  let before = poolStats().splitCalls;
  a.step(grads(0));
  b.step(grads(0));
  out.threeAtOnce = poolStats().splitCalls > before;
  out.threePoolUp = await waitForPool(3);
  before = poolStats().splitCalls;
  a.step(grads(1));
  b.step(grads(1));
  out.threeLater = poolStats().splitCalls > before;
  out.threeSame = sameAs(a, b);
  out.workers = poolStats().workers;
  a.dispose();
  b.dispose();
}
out.attached = poolStats().attached;
window.result = out;
document.getElementById('out').textContent = JSON.stringify(out, null, 1);
