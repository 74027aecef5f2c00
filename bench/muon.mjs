// Muon benchmark: ms per `step` of the Muon class (dist/) on one matrix, and the GFLOP/s of
// its Newton-Schulz products. Per step on a rows x cols matrix, m = min, n = max:
// nsSteps * (2*m*m*n [X X^T] + 2*m^3 [A A] + 2*m*m*n [B X]) floating-point operations; the
// elementwise passes (momentum, norm, copies, apply) are O(m*n) and counted as time only.
//
// Usage:
//   npm run build && node bench/muon.mjs [--rounds=7] [--quick] [--scalar]
//
// Times are CPU time of this process (process.cpuUsage): a noisy neighbour on a shared
// machine lengthens wall time, not our CPU time. Median over rounds; each round runs
// steps for at least SAMPLE_MS.
import { cpus } from 'node:os';
import { parseFlags, relaunchWith } from './lib/cli.mjs';

const FLAGS = ['--no-liftoff'];
relaunchWith(FLAGS);

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
const SAMPLE_MS = QUICK ? 100 : 400;

const { Muon, ready, backendInfo } = await import('../dist/index.js');
await ready({ simd: !args.scalar });

const SHAPES = [
  [784, 256],
  [1024, 1024],
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function randn(n, seed) {
  let s = seed >>> 0;
  const next = () => ((s = (s + 0x6d2b79f5) >>> 0), (((s ^ (s >>> 15)) * (s | 1)) >>> 0) / 2 ** 32);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next());
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

console.log(`Muon: ms per step (CPU time, median of ${ROUNDS}), build ${backendInfo()?.build}, ${cpus()[0]?.model ?? 'cpu'}`);
console.log('| matrix | nsSteps | ms / step | GFLOP/s (NS products) |');
console.log('|---|---:|---:|---:|');
for (const [rows, cols] of SHAPES) {
  const n = rows * cols;
  const opt = new Muon([{ data: randn(n, rows), shape: [rows, cols] }], { lr: 1e-3 });
  const g = randn(n, cols + 1);
  for (let i = 0; i < 2; i++) opt.step([g]); // warm-up (tier-up, first touch of the scratch)
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    let steps = 0;
    const t0 = cpuMs();
    let t1 = t0;
    while (t1 - t0 < SAMPLE_MS) {
      opt.step([g]);
      steps++;
      t1 = cpuMs();
    }
    times.push((t1 - t0) / steps);
  }
  opt.dispose();
  const ms = median(times);
  const m = Math.min(rows, cols), k = Math.max(rows, cols);
  const flop = 5 * (4 * m * m * k + 2 * m * m * m);
  console.log(`| ${rows}x${cols} | 5 | ${ms.toFixed(1)} | ${(flop / ms / 1e6).toFixed(2)} |`);
}
