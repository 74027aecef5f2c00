// The 8-bit optimizers against their float32 counterparts (npm run bench -- --only=eightbit,
// or node bench/eightbit.mjs [--quick] [--sections=parts,speed,memory,quality]):
//
//   parts    the kernels alone at 1M and 16M elements (one tensor, alternating rounds, best
//            round): adam, adam8bit, and adam8bit without its requantizing sweep and without
//            any table load (bench/assembly/eightbit-parts.ts): where the time goes
//   speed    opt.step() of Adam/Adam8bit, AdamW/AdamW8bit, Lion/Lion8bit at 1M and 16M (median)
//   memory   state bytes per parameter from memoryStats() at 1M
//   quality  training loss curves side by side: the digits MLP 64-32-10 (every tensor 8-bit:
//            min8bitSize 0, its tensors being below the default 4096) and a 1,212,426-parameter
//            MLP 64-16384-10 on the same data (defaults: its two matrices 8-bit), each with an
//            lr at which float32 training is stable; the final full training loss and the gap
//
// Writes bench/results/eightbit.json and prints a report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { ready, fit, loadDigits, MLP, Adam, Adam8bit, AdamW, AdamW8bit, Lion, Lion8bit, memoryStats } from '../dist/index.js';
import { quantizationConstants } from '../dist/quantization-table.js';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const quick = args.quick !== undefined;
/** epochs of the 1.2M-parameter model (--epochs-large=N; 45 steps each) */
const epochsLarge = Number(args['epochs-large'] ?? 5);
/** only these models of the quality section (--models=small,large) */
const models = typeof args.models === 'string' ? args.models.split(',') : ['small', 'large'];
const sections = typeof args.sections === 'string' ? args.sections.split(',') : ['parts', 'speed', 'memory', 'quality'];
const report = { date: new Date().toISOString(), node: process.version, quick };
await ready();

/** @type {[string, any, any][]} name, float32 class, 8-bit class */
const PAIRS = [
  ['Adam', Adam, Adam8bit],
  ['AdamW', AdamW, AdamW8bit],
  ['Lion', Lion, Lion8bit],
];

async function parts() {
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const out = `${dir}eightbit-parts.wasm`;
  const src = fileURLToPath(new URL('./assembly/eightbit-parts.ts', import.meta.url));
  const r = await asc.main([src, '--outFile', out, '-O3', '--converge', '--runtime', 'stub', '--importMemory', '--noAssert', '--use', 'abort=', '--enable', 'simd']);
  if (r.error) throw new Error(`bench: compiling bench/assembly/eightbit-parts.ts failed: ${r.stderr.toString()}`);
  const { readFileSync } = await import('node:fs');
  const mod = new WebAssembly.Module(readFileSync(out));
  const rows = [];
  for (const n of [1 << 20, 1 << 24]) {
    const blocks = n / 256 + 4;
    const bytes = 64 + 65536 + n * 16 + 2 * n + 8 * blocks + 8192;
    const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
    const k = /** @type {any} */ (new WebAssembly.Instance(mod, { env: { memory } }).exports);
    const q = 64;
    new Uint8Array(memory.buffer).set(quantizationConstants(), q);
    const P = 64 + 65536, G = P + 4 * n, M = G + 4 * n, V = M + 4 * n, C1 = V + 4 * n, C2 = C1 + n, A1 = C2 + n, A2 = A1 + 4 * blocks, W = A2 + 4 * blocks;
    const f = new Float32Array(memory.buffer);
    for (let i = 0; i < n; i++) {
      f[P / 4 + i] = Math.sin(i);
      f[G / 4 + i] = Math.cos(i * 0.7) * 1e-2;
    }
    k.setFlushThreshold(2 ** -126);
    const a8 = (/** @type {Function} */ fn) => () => fn(P, G, C1, C2, A1, A2, n, 256, q, W, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1);
    const runs = {
      adam: () => k.adam(P, G, M, V, n, 1e-3, 1, 0.9, 0.999, 1e-8, 0, 1, 1),
      adam8bit: a8(k.adam8bit),
      'adam8bit without requantizing': a8(k.adam8bitNoRequantize),
      'adam8bit arithmetic only': a8(k.adam8bitArithmetic),
      lion: () => k.lion(P, G, M, n, 1e-4, 0.9, 0.99, 1, 1),
      lion8bit: () => k.lion8bit(P, G, C1, A1, n, 256, q, W, 1e-4, 0.9, 0.99, 1, 1),
    };
    /** @type {Record<string, number[]>} */
    const times = Object.fromEntries(Object.keys(runs).map((name) => [name, []]));
    const reps = n > 4e6 ? 2 : 16;
    for (let r = 0; r < (quick ? 4 : 10); r++) {
      for (const [name, fn] of Object.entries(runs)) {
        const t0 = performance.now();
        for (let i = 0; i < reps; i++) fn();
        times[name].push((performance.now() - t0) / reps);
      }
    }
    const best = Object.fromEntries(Object.entries(times).map(([name, t]) => [name, Math.min(...t)]));
    rows.push({ n, ms: best, nsPerElement: Object.fromEntries(Object.entries(best).map(([name, ms]) => [name, (1e6 * ms) / n])) });
    console.log(`kernels at n = ${n} (best of ${times.adam.length} rounds, ns per element):`);
    for (const [name, ms] of Object.entries(best)) {
      const base = name.startsWith('lion') ? best.lion : best.adam;
      console.log(`  ${name.padEnd(32)} ${ms.toFixed(3).padStart(9)} ms  ${((1e6 * ms) / n).toFixed(2).padStart(6)} ns  ${(ms / base).toFixed(2)}x`);
    }
  }
  report.parts = rows;
}

function timeStep(C, n, options) {
  const p = new Float32Array(n).map((_, i) => Math.sin(i));
  const g = new Float32Array(n).map((_, i) => Math.cos(i * 0.7) * 1e-2);
  const opt = new C([p], options);
  opt.step([g]);
  const reps = n > 4e6 ? (quick ? 3 : 7) : quick ? 10 : 30;
  const times = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    opt.step();
    times.push(performance.now() - t0);
  }
  opt.dispose();
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

function speed() {
  const rows = [];
  for (const n of [1 << 20, 1 << 24]) {
    for (const [name, F, E] of PAIRS) {
      const f = Math.min(timeStep(F, n, {}), timeStep(F, n, {}));
      const e = Math.min(timeStep(E, n, {}), timeStep(E, n, {}));
      rows.push({ n, optimizer: name, floatMs: f, eightMs: e, ratio: e / f });
      console.log(`step() at n = ${n}: ${name} ${f.toFixed(2)} ms, ${name}8bit ${e.toFixed(2)} ms (${(e / f).toFixed(2)}x)`);
    }
  }
  report.speed = rows;
}

function memory() {
  const rows = [];
  for (const n of [1 << 20, 1 << 24]) {
    const live = []; // every optimizer stays live until the end, so none reuses another's pooled memory
    for (const [, F, E] of PAIRS) {
      for (const C of [F, E]) {
        const before = memoryStats().liveBytes;
        live.push(new C([new Float32Array(n)]));
        const bytes = memoryStats().liveBytes - before;
        rows.push({ optimizer: C.name, n, liveBytes: bytes, stateBytesPerParam: (bytes - 8 * n) / n });
        console.log(`memory at n = ${n}: ${C.name} ${bytes} bytes, ${((bytes - 8 * n) / n).toFixed(3)} bytes of state per parameter (p and g: 8)`);
      }
    }
    for (const o of live) o.dispose();
  }
  report.memory = rows;
}

async function quality() {
  const { train } = await loadDigits();
  const run = (C, hidden, options, epochs) => {
    const model = new MLP({ inputs: 64, hidden, classes: 10 });
    const opt = new C(model.init(1), options);
    const r = fit(opt, train, model.lossAndGrad(train), { epochs, batchSize: 32, seed: 1, evaluate: (p) => model.loss(p, train) });
    opt.dispose();
    return { curve: r.evalLoss, final: r.evalLoss.at(-1), diverged: r.diverged };
  };
  /** @type {[string, number, Record<string, object>, object, number][]} label, hidden units, options per pair, 8-bit options, epochs */
  const table = [
    // label, hidden units, options per pair, epochs
    ['digits MLP 64-32-10 (2,410 params, min8bitSize 0)', 32, { Adam: { lr: 3e-3 }, AdamW: { lr: 3e-3 }, Lion: { lr: 3e-4, weightDecay: 0.1 } }, { min8bitSize: 0 }, quick ? 5 : 30],
    ['digits MLP 64-32-10 (2,410 params, min8bitSize 0, blockSize 64)', 32, { Adam: { lr: 3e-3 }, AdamW: { lr: 3e-3 }, Lion: { lr: 3e-4, weightDecay: 0.1 } }, { min8bitSize: 0, blockSize: 64 }, quick ? 5 : 30],
    ['MLP 64-16384-10 (1,212,426 params, defaults)', 16384, { Adam: { lr: 1e-4 }, AdamW: { lr: 1e-4 }, Lion: { lr: 1e-5, weightDecay: 0.1 } }, {}, quick ? 1 : epochsLarge],
  ];
  const rows = [];
  for (const [label, hidden, byPair, extra, epochs] of table.filter(([, hidden]) => models.includes(hidden > 1000 ? 'large' : 'small'))) {
    for (const [name, F, E] of PAIRS) {
      const o = byPair[name];
      const f = run(F, hidden, o, epochs);
      const e = run(E, hidden, { ...o, ...extra }, epochs);
      const gap = (e.final - f.final) / f.final;
      rows.push({ model: label, optimizer: name, options: o, epochs, float32: f.final, eightBit: e.final, gap, curveFloat: f.curve, curve8bit: e.curve, diverged: [f.diverged, e.diverged] });
      console.log(`${label} | ${name} ${JSON.stringify(o)} vs ${name}8bit | ${epochs} epochs | final training loss ${f.final.toFixed(5)} vs ${e.final.toFixed(5)} | gap ${(100 * gap).toFixed(2)}%`);
      console.log(`   float32 ${f.curve.map((x) => x.toFixed(4)).join(' ')}\n   8-bit   ${e.curve.map((x) => x.toFixed(4)).join(' ')}`);
    }
  }
  report.quality = rows;
}

if (sections.includes('memory')) memory();
if (sections.includes('parts')) await parts();
if (sections.includes('speed')) speed();
if (sections.includes('quality')) await quality();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/eightbit.json', import.meta.url), JSON.stringify(report, null, 1));
