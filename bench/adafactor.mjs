// Adafactor's per-step cost against Adam's on the same shaped parameters:
// median milliseconds per zero-copy step (`step()`, gradients already in
// opt.grads, no finiteness check), nanoseconds per element, and state bytes.
// Adafactor reads p three times (||p||, then U and the move), g three
// times (row sums, strided column sums, U) and writes p once; Adam reads p, g,
// m, v once and writes p, m, v. So it is not expected to be faster per step:
// its point is memory (rows + cols floats of state per matrix, not 2·rows·cols).
//
// Usage: npm run build && node bench/adafactor.mjs [--rounds=9] [--quick] [--threads=1]
// (--threads: the optimizers' thread count, default 1: the single-thread cost; the pool's 1 vs 2 threads are in bench/threads.mjs)
import { performance } from 'node:perf_hooks';
import { Adafactor, Adam, ready, memoryStats } from 'wasm-optim';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 9));
/** each round runs steps for this long at least, and reports the mean step of the round */
const ROUND_MS = QUICK ? 50 : 200;

const SHAPES = [
  [257, 129],
  [1024, 1024],
  [4096, 1024],
  [16, 256, 256],
  [1 << 20],
];

function timeSteps(opt) {
  const g = opt.grads[0];
  for (let i = 0; i < g.length; i++) g[i] = Math.sin(i) * 1e-2;
  for (let i = 0; i < 3; i++) opt.step(); // warm-up
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    let steps = 0;
    let t1 = t0;
    while (t1 - t0 < ROUND_MS || steps < 2) {
      opt.step();
      steps++;
      t1 = performance.now();
    }
    rounds.push((t1 - t0) / steps);
  }
  rounds.sort((a, b) => a - b);
  return rounds[rounds.length >> 1];
}

const THREADS = args.threads === undefined ? 1 : args.threads === 'auto' ? 'auto' : Number(args.threads);
await ready({ threads: THREADS });
const rows = [];
for (const shape of SHAPES) {
  const n = shape.reduce((a, d) => a * d, 1);
  const make = (C) => {
    const before = memoryStats().liveBytes;
    const opt = new C([{ data: new Float32Array(n).fill(0.1), shape }], { checkFinite: false });
    return { opt, bytes: memoryStats().liveBytes - before };
  };
  const af = make(Adafactor);
  const afMs = timeSteps(af.opt);
  af.opt.dispose();
  const adam = make(Adam);
  const adamMs = timeSteps(adam.opt);
  adam.opt.dispose();
  const pg = 8 * n; // parameters + gradients
  rows.push({ shape: `[${shape.join(', ')}]`, n, afMs, adamMs, afState: af.bytes - pg, adamState: adam.bytes - pg });
}
const kib = (b) => (b < 1 << 20 ? `${(b / 1024).toFixed(0)} KiB` : `${(b / (1 << 20)).toFixed(1)} MiB`);
console.log(`Adafactor vs Adam, zero-copy step(), threads: ${THREADS}, median of ${ROUNDS} rounds (${process.version}, ${process.arch})\n`);
console.log('| shape | elements | Adafactor ms/step | ns/element | Adam ms/step | ns/element | Adafactor / Adam | state: Adafactor | state: Adam |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(
    `| ${r.shape} | ${r.n} | ${r.afMs.toFixed(3)} | ${((r.afMs * 1e6) / r.n).toFixed(2)} | ${r.adamMs.toFixed(3)} | ${((r.adamMs * 1e6) / r.n).toFixed(2)} | ` +
      `${(r.afMs / r.adamMs).toFixed(2)} | ${kib(r.afState)} | ${kib(r.adamState)} |`,
  );
}
console.log('\nstate: the optimizer memory (memoryStats().liveBytes) less parameters and gradients, rounded up to 64 KiB pages.');
