// Soak test (outside the default suite): `npm run soak [-- --steps N --size M]`.
// Runs Adam for N steps (default 1,000,000) on M parameters (default 1,048,576)
// twice: once uninterrupted, and once with a checkpoint every N/10 steps and a
// restore from the middle checkpoint into a fresh optimizer (as after a crash).
// The final checkpoints (parameters + state) must be byte-identical.
import { parseArgs } from 'node:util';
import { Adam, ready } from '../dist/index.js';

const { values } = parseArgs({ options: { steps: { type: 'string', default: '1000000' }, size: { type: 'string', default: String(1 << 20) } } });
const steps = Number(values.steps);
const size = Number(values.size);
if (!(Number.isSafeInteger(steps) && steps >= 10 && Number.isSafeInteger(size) && size >= 1)) {
  console.error('soak: --steps must be an integer >= 10 and --size an integer >= 1');
  process.exit(2);
}
await ready();

// 8 fixed gradient patterns, switched every 1,000 steps (a copy per step would
// double the memory traffic), one of them all zeros so state decays toward
// subnormals.
const patterns = Array.from({ length: 8 }, (_, k) => {
  const g = new Float32Array(size);
  for (let i = 0; i < size; i++) g[i] = k === 7 ? 0 : Math.sin(i * 0.37 + k) * 10 ** ((i % 7) - 4);
  return g;
});
const init = new Float32Array(size).map((_, i) => Math.cos(i));
const every = Math.floor(steps / 10);
const make = () => new Adam([init.slice()], { lr: 1e-4, weightDecay: 1e-4, amsgrad: true });
function run(opt, from, to, onCheckpoint) {
  const g = opt.grads[0];
  for (let t = from; t < to; t++) {
    if (t % 1000 === 0 || t === from) g.set(patterns[Math.floor(t / 1000) % 8]);
    opt.step();
    if (onCheckpoint && (t + 1) % every === 0) onCheckpoint(t + 1, opt.save());
    if ((t + 1) % every === 0) process.stderr.write(`  step ${t + 1}/${steps}\n`);
  }
}

const t0 = performance.now();
console.error('uninterrupted run');
const a = make();
run(a, 0, steps);
const t1 = performance.now();
console.error('checkpointed run, restored from the middle');
let b = make();
const checkpoints = new Map();
const middle = every * 5;
run(b, 0, middle, (t, bytes) => checkpoints.set(t, bytes));
b.dispose(); // the "crash"
b = new Adam([new Float32Array(size)], { amsgrad: true }); // a fresh process: same kind and structure, nothing else
b.load(checkpoints.get(middle));
run(b, middle, steps, (t, bytes) => checkpoints.set(t, bytes));
const t2 = performance.now();
const same = Buffer.compare(Buffer.from(a.save()), Buffer.from(b.save())) === 0;
console.log(JSON.stringify({ steps, size, checkpoints: checkpoints.size, identical: same, secondsUninterrupted: Math.round(t1 - t0) / 1000, secondsWithRestore: Math.round(t2 - t1) / 1000, checkpointBytes: checkpoints.get(middle).length }));
process.exit(same ? 0 : 1);
