// The 8-bit optimizers against their float32 counterparts (npm run bench -- --only=eightbit,
// or node bench/eightbit.mjs [--quick] [--sections=parts,speed,memory,quality]):
//
//   parts    the kernels alone at 1M and 16M elements (one tensor, alternating rounds, best
//            round, CPU time: see cpuMs): adam, adam8bit, and adam8bit without its requantizing sweep and without
//            any table load (bench/assembly/eightbit-parts.ts): where the time goes
//   speed    opt.step() of Adam/Adam8bit, AdamW/AdamW8bit, Lion/Lion8bit at 1M and 16M (median CPU time)
//   cause    what quantizing the float32 runs' final state does to it (digits MLP): see cause()
//   memory   state bytes per parameter from memoryStats() at 1M
//   quality  training loss curves side by side over seeds 1..N (init and data order; --seeds=5,
//            --seeds-large=2, --pairs=Adam,Lion, --models=small,large): the digits MLP 64-32-10
//            at the defaults (blockSize 256, min8bitSize 4096: every tensor below 4096, so all
//            float32 state and no gap), with every tensor 8-bit (min8bitSize 0) at blockSize 256
//            and 64, and a 1,212,426-parameter MLP 64-16384-10 on the same data at the defaults
//            (W1, b1 and W2 8-bit; --epochs-large=N), each with an lr at which float32 training
//            is stable; the final full training loss, the gap per seed, its mean, sd, min, max
//
// Writes bench/results/eightbit.json (--out=other.json) and prints a report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';
import { ready, fit, loadDigits, MLP, Adam, Adam8bit, AdamW, AdamW8bit, Lion, Lion8bit, memoryStats } from '../dist/index.js';
import { quantizationConstants } from '../dist/quantization-table.js';
import { EIGHT_BIT_DEFAULTS, signedMap, unsignedMap } from '../dist/eightbit.js';
import { quantizeCode, signedCode } from '../dist/reference/eightbit.js';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const quick = args.quick !== undefined;
/** epochs of the 1.2M-parameter model (--epochs-large=N; 45 steps each) */
const epochsLarge = Number(args['epochs-large'] ?? 5);
/** only these models of the quality section (--models=small,large) */
const models = typeof args.models === 'string' ? args.models.split(',') : ['small', 'large'];
/** seeds (init and data order) per setting of the digits MLP (--seeds=N) and of the 1.2M model (--seeds-large=N) */
const seedsSmall = Number(args.seeds ?? (quick ? 2 : 5));
const seedsLarge = Number(args['seeds-large'] ?? (quick ? 1 : 2));
/** only these pairs in the quality section (--pairs=Adam,Lion) */
const pairs = typeof args.pairs === 'string' ? args.pairs.split(',') : ['Adam', 'AdamW', 'Lion'];
const sections = typeof args.sections === 'string' ? args.sections.split(',') : ['parts', 'speed', 'memory', 'quality'];
const report = { date: new Date().toISOString(), node: process.version, quick, clock: 'cpu' };
/**
 * Milliseconds of CPU time this process has run (process.cpuUsage: user + system): the parts
 * and speed sections time with it, so that on a loaded machine the time spent waiting for a
 * core is left out (best of rounds or median, as before; the kernels are single-threaded).
 */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
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
        const t0 = cpuMs();
        for (let i = 0; i < reps; i++) fn();
        times[name].push((cpuMs() - t0) / reps);
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
    const t0 = cpuMs();
    opt.step();
    times.push(cpuMs() - t0);
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

/** mean, sample standard deviation, min and max of xs */
function stats(xs) {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : NaN;
  return { n: xs.length, mean, sd, min: Math.min(...xs), max: Math.max(...xs) };
}
const pct = (x) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;

/**
 * One training run: the model from model.init(seed), fit's shuffling from the same seed.
 * `fullEval`: the full training loss after every epoch (the curve); otherwise the curve is
 * each epoch's mean batch loss and the full training loss is taken once, at the end.
 */
function trainRun(train, C, hidden, options, epochs, seed, fullEval) {
  const model = new MLP({ inputs: 64, hidden, classes: 10 });
  const opt = new C(model.init(seed), options);
  const r = fit(opt, train, model.lossAndGrad(train), { epochs, batchSize: 32, seed, evaluate: fullEval ? (p) => model.loss(p, train) : undefined });
  const final = fullEval ? r.evalLoss.at(-1) : model.loss(opt.params, train);
  const state = opt.stateDict();
  opt.dispose();
  return { curve: fullEval ? r.evalLoss : r.epochLoss, final, diverged: r.diverged, state };
}

/** The quality settings: label, hidden units, options per pair, 8-bit options, epochs, seeds, full evaluation every epoch. */
function qualitySettings() {
  const small = { Adam: { lr: 3e-3 }, AdamW: { lr: 3e-3 }, Lion: { lr: 3e-4, weightDecay: 0.1 } };
  const large = { Adam: { lr: 1e-4 }, AdamW: { lr: 1e-4 }, Lion: { lr: 1e-5, weightDecay: 0.1 } };
  const e = quick ? 5 : 30;
  return [
    { model: 'small', label: 'digits MLP 64-32-10 (2,410 params), defaults (blockSize 256, min8bitSize 4096)', hidden: 32, byPair: small, extra: {}, epochs: e, seeds: seedsSmall, fullEval: true },
    { model: 'small', label: 'digits MLP 64-32-10, min8bitSize 0 (every tensor 8-bit), blockSize 256', hidden: 32, byPair: small, extra: { min8bitSize: 0 }, epochs: e, seeds: seedsSmall, fullEval: true },
    { model: 'small', label: 'digits MLP 64-32-10, min8bitSize 0, blockSize 64', hidden: 32, byPair: small, extra: { min8bitSize: 0, blockSize: 64 }, epochs: e, seeds: seedsSmall, fullEval: true },
    { model: 'large', label: 'MLP 64-16384-10 (1,212,426 params), defaults', hidden: 16384, byPair: large, extra: {}, epochs: quick ? 1 : epochsLarge, seeds: seedsLarge, fullEval: false },
  ];
}

async function quality() {
  const { train } = await loadDigits();
  const rows = [];
  const summary = [];
  for (const s of qualitySettings().filter((s) => models.includes(s.model))) {
    const { min8bitSize, blockSize } = { ...EIGHT_BIT_DEFAULTS, ...s.extra };
    const shapes = new MLP({ inputs: 64, hidden: s.hidden, classes: 10 }).init(0).map((p) => p.length);
    const eight = shapes.map((n) => (n >= min8bitSize ? `${n} 8-bit` : `${n} float32`));
    console.log(`\n${s.label}: tensors ${eight.join(', ')}; blockSize ${blockSize}; ${s.epochs} epochs; seeds 1..${s.seeds}`);
    for (const [name, F, E] of PAIRS.filter(([name]) => pairs.includes(name))) {
      const o = s.byPair[name];
      const gaps = [];
      for (let seed = 1; seed <= s.seeds; seed++) {
        const f = trainRun(train, F, s.hidden, o, s.epochs, seed, s.fullEval);
        const e = trainRun(train, E, s.hidden, { ...o, ...s.extra }, s.epochs, seed, s.fullEval);
        const gap = (e.final - f.final) / f.final;
        gaps.push(gap);
        rows.push({ model: s.label, optimizer: name, options: o, eightBitOptions: s.extra, epochs: s.epochs, seed, float32: f.final, eightBit: e.final, gap, curve: s.fullEval ? 'full training loss per epoch' : 'mean batch loss per epoch', curveFloat: f.curve, curve8bit: e.curve, diverged: [f.diverged, e.diverged] });
        console.log(`  ${name} ${JSON.stringify(o)} seed ${seed}: final training loss ${f.final.toFixed(5)} vs ${name}8bit ${e.final.toFixed(5)}, gap ${pct(gap)}`);
        if (seed === 1) console.log(`     float32 ${f.curve.map((x) => x.toFixed(4)).join(' ')}\n     8-bit   ${e.curve.map((x) => x.toFixed(4)).join(' ')}`);
      }
      const st = stats(gaps);
      summary.push({ model: s.label, optimizer: name, ...st, positive: gaps.filter((g) => g > 0).length });
      console.log(`  ${name}: gap mean ${pct(st.mean)} ± ${(100 * st.sd).toFixed(2)}% (sd over ${st.n} seeds), min ${pct(st.min)}, max ${pct(st.max)}, ${gaps.filter((g) => g > 0).length}/${st.n} positive`);
    }
  }
  report.quality = rows;
  report.qualitySummary = summary;
}

/**
 * Why quantization costs Lion (and what it costs Adam) on the digits MLP with
 * every tensor 8-bit: the final state of the FLOAT32 run (seeds 1..N) quantized
 * blockwise as the 8-bit kernels would (the reference's codes,
 * src/reference/eightbit.ts), at blockSize 256 and 64:
 *   - per block, absmax over the median |m|: how far the block's largest moment
 *     sits above a typical one (the map's resolution is relative to absmax);
 *   - the fraction of |m| below 1% of their block's absmax, and the median
 *     relative error |m^ - m|/|m| of the dequantized m^ among those;
 *   - Lion: the fraction of update signs sign(b1*m + (1-b1)*g) that flip when
 *     m^ replaces m, over 20 mini-batch gradients g of 32 examples;
 *   - Adam: the fraction of v > 0 whose code is 0 (dequantized to 0), and the
 *     median relative error of the direction m/(sqrt(v) + eps) (no bias correction).
 */
async function cause() {
  const { train } = await loadDigits();
  const med = (a) => { const b = Float64Array.from(a).sort(); return b.length ? b[b.length >> 1] : NaN; };
  const q90 = (a) => { const b = Float64Array.from(a).sort(); return b.length ? b[Math.floor(0.9 * (b.length - 1))] : NaN; };
  const rows = [];
  /** @type {[string, any][]} */
  const methods = [['Lion', Lion], ['Adam', Adam]];
  for (const [name, F] of methods) {
    const o = name === 'Lion' ? { lr: 3e-4, weightDecay: 0.1 } : { lr: 3e-3 };
    const acc = { 256: [], 64: [] };
    for (let seed = 1; seed <= seedsSmall; seed++) {
      const model = new MLP({ inputs: 64, hidden: 32, classes: 10 });
      const opt = new F(model.init(seed), o);
      const lossAndGrad = model.lossAndGrad(train);
      fit(opt, train, lossAndGrad, { epochs: quick ? 5 : 30, batchSize: 32, seed });
      const params = opt.params.map((p) => p.slice());
      const st = opt.stateDict().state;
      opt.dispose();
      // 20 mini-batch gradients at the final weights
      const grads = [];
      let r = seed * 7919;
      for (let b = 0; b < 20; b++) {
        const batch = Uint32Array.from({ length: 32 }, () => (r = (r * 1103515245 + 12345) >>> 0) % train.n);
        const g = params.map((p) => new Float32Array(p.length));
        lossAndGrad(batch, params, g);
        grads.push(g);
      }
      for (const bs of [256, 64]) {
        const ratio = [], small = [], smallErr = [], dirErr = [];
        let n = 0, flips = 0, signs = 0, vZero = 0, vPos = 0;
        st.forEach((s, t) => {
          const m = s.expAvg, v = s.expAvgSq;
          const mh = new Float32Array(m.length), vh = v && new Float32Array(v.length);
          for (let b0 = 0; b0 < m.length; b0 += bs) {
            const end = Math.min(b0 + bs, m.length);
            let mx = 0, vx = 0;
            for (let i = b0; i < end; i++) { mx = Math.max(mx, Math.abs(m[i])); if (v) vx = Math.max(vx, v[i]); }
            ratio.push(mx / Math.max(med(Array.from(m.subarray(b0, end), Math.abs)), 1e-30));
            for (let i = b0; i < end; i++) {
              mh[i] = Math.fround(signedMap[signedCode(m[i], mx)] * mx);
              if (v) {
                const c = quantizeCode(unsignedMap, vx > 0 ? Math.fround(v[i] / vx) : v[i], false);
                vh[i] = Math.fround(unsignedMap[c] * vx);
                if (v[i] > 0) { vPos++; if (vh[i] === 0) vZero++; }
              }
              n++;
              if (Math.abs(m[i]) < 0.01 * mx) { small.push(1); if (m[i] !== 0) smallErr.push(Math.abs(mh[i] - m[i]) / Math.abs(m[i])); }
              if (v) { const d = m[i] / (Math.sqrt(v[i]) + 1e-8), dh = mh[i] / (Math.sqrt(vh[i]) + 1e-8); if (d !== 0) dirErr.push(Math.abs(dh - d) / Math.abs(d)); }
            }
          }
          if (name === 'Lion') {
            for (const g of grads) {
              for (let i = 0; i < m.length; i++) {
                const a = Math.sign(0.9 * m[i] + 0.1 * g[t][i]), b = Math.sign(0.9 * mh[i] + 0.1 * g[t][i]);
                signs++;
                if (a !== b) flips++;
              }
            }
          }
        });
        acc[bs].push({ seed, medianRatio: med(ratio), q90Ratio: q90(ratio), smallFraction: small.length / n, smallMedianRelErr: med(smallErr), flipFraction: name === 'Lion' ? flips / signs : null, vZeroFraction: name === 'Adam' ? vZero / vPos : null, directionMedianRelErr: name === 'Adam' ? med(dirErr) : null });
      }
    }
    for (const bs of [256, 64]) {
      const a = acc[bs];
      const mean = (k) => a.reduce((x, r) => x + r[k], 0) / a.length;
      const row = { optimizer: name, blockSize: bs, seeds: a.length, medianAbsmaxOverMedian: mean('medianRatio'), q90AbsmaxOverMedian: mean('q90Ratio'), smallFraction: mean('smallFraction'), smallMedianRelErr: mean('smallMedianRelErr'), flipFraction: name === 'Lion' ? mean('flipFraction') : null, vZeroFraction: name === 'Adam' ? mean('vZeroFraction') : null, directionMedianRelErr: name === 'Adam' ? mean('directionMedianRelErr') : null, perSeed: a };
      rows.push(row);
      console.log(`${name} (float32 run's final state, digits MLP, seeds 1..${a.length}, means over seeds), blockSize ${bs}: absmax/median|m| per block median ${row.medianAbsmaxOverMedian.toFixed(1)}, 90th pct ${row.q90AbsmaxOverMedian.toFixed(1)}; |m| < 1% of absmax: ${(100 * row.smallFraction).toFixed(1)}% of m, median rel. error there ${(100 * row.smallMedianRelErr).toFixed(1)}%` +
        (name === 'Lion' ? `; update signs flipped: ${(100 * Number(row.flipFraction)).toFixed(2)}%` : `; v > 0 coded 0: ${(100 * Number(row.vZeroFraction)).toFixed(2)}%; direction m/sqrt(v) median rel. error ${(100 * Number(row.directionMedianRelErr)).toFixed(2)}%`));
    }
  }
  report.cause = rows;
}

if (sections.includes('memory')) memory();
if (sections.includes('parts')) await parts();
if (sections.includes('speed')) speed();
if (sections.includes('quality')) await quality();
if (sections.includes('cause')) await cause();
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
/** the report's file name under bench/results/ (--out=name.json; default eightbit.json) */
const out = typeof args.out === 'string' ? args.out : 'eightbit.json';
writeFileSync(new URL(`./results/${out}`, import.meta.url), JSON.stringify(report, null, 1));
console.log(`wrote bench/results/${out}`);
