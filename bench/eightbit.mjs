// 8-bit optimizers against their float32 counterparts: training loss curves on
// the digits MLP (64-32-10, every tensor 8-bit with min8bitSize 0, and the
// defaults, under which its tensors are all below 4096 and keep float32
// state) and on a 1.2M-parameter MLP (64-16384-10) of the same data; then step
// times at 1M and 16M parameters. Writes bench/results/eightbit.json and
// prints a table.   node bench/eightbit.mjs [--quick]
import { writeFileSync, mkdirSync } from 'node:fs';
import { ready, fit, loadDigits, MLP, Adam, Adam8bit, AdamW, AdamW8bit, Lion, Lion8bit, memoryStats } from '../dist/index.js';

const quick = process.argv.includes('--quick');
await ready();
const { train } = await loadDigits();
const pairs = [
  ['Adam', Adam, Adam8bit, { lr: 3e-3 }],
  ['AdamW', AdamW, AdamW8bit, { lr: 3e-3, weightDecay: 1e-2 }],
  ['Lion', Lion, Lion8bit, { lr: 3e-4, weightDecay: 0.1 }],
];

function run(C, hidden, options, epochs) {
  const model = new MLP({ inputs: 64, hidden, classes: 10 });
  const opt = new C(model.init(1), options);
  const r = fit(opt, train, model.lossAndGrad(train), { epochs, batchSize: 32, seed: 1, evaluate: (p) => model.loss(p, train) });
  opt.dispose();
  return { curve: r.evalLoss, final: r.evalLoss.at(-1), optimizerMs: r.optimizerMs };
}

const quality = [];
const models = [
  ['digits MLP 64-32-10 (2,410 params), min8bitSize 0', 32, { min8bitSize: 0 }, quick ? 5 : 30],
  ['digits MLP 64-32-10, defaults (every tensor < 4096: float32 state)', 32, {}, quick ? 2 : 10],
  ['MLP 64-16384-10 (1,212,426 params)', 16384, {}, quick ? 1 : 3],
];
for (const [label, hidden, extra, epochs] of models) {
  for (const [name, F, E, o] of pairs) {
    const f = run(F, hidden, o, epochs);
    const e = run(E, hidden, Object.assign({}, o, extra), epochs);
    const gap = (e.final - f.final) / f.final;
    quality.push({ model: label, optimizer: name, epochs, float32: f.final, eightBit: e.final, gap, curveFloat: f.curve, curve8: e.curve });
    console.log(`${label} | ${name} vs ${name}8bit | ${epochs} epochs | ${f.final.toFixed(5)} vs ${e.final.toFixed(5)} | gap ${(100 * gap).toFixed(2)}%`);
    console.log(`   curves: ${f.curve.map((x) => x.toFixed(4)).join(' ')}\n           ${e.curve.map((x) => x.toFixed(4)).join(' ')}`);
  }
}

function timeStep(C, n, options) {
  const p = new Float32Array(n).map((_, i) => Math.sin(i));
  const g = new Float32Array(n).map((_, i) => Math.cos(i * 0.7) * 1e-2);
  const before = memoryStats().liveBytes;
  const opt = new C([p], options);
  const bytes = memoryStats().liveBytes - before;
  opt.step([g]);
  const reps = n > 4e6 ? 5 : 30;
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    opt.step();
    times.push(performance.now() - t0);
  }
  opt.dispose();
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], stateBytesPerParam: (bytes - 8 * n) / n };
}
const speed = [];
for (const n of [1 << 20, 1 << 24]) {
  for (const [name, F, E, o] of pairs) {
    const f = timeStep(F, n, o);
    const e = timeStep(E, n, o);
    speed.push({ n, optimizer: name, floatMs: f.ms, eightMs: e.ms, ratio: e.ms / f.ms, floatState: f.stateBytesPerParam, eightState: e.stateBytesPerParam });
    console.log(`n=${n} ${name}: float32 ${f.ms.toFixed(2)} ms, 8-bit ${e.ms.toFixed(2)} ms (${(e.ms / f.ms).toFixed(2)}x); state ${f.stateBytesPerParam.toFixed(3)} vs ${e.stateBytesPerParam.toFixed(3)} bytes/param`);
  }
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/eightbit.json', JSON.stringify({ date: new Date().toISOString(), node: process.version, quality, speed }, null, 1));
