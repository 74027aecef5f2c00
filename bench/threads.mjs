// Thread-pool benchmark: Adam zero-copy steps (`opt.step()` on opt.grads) on
// 1 and 2 threads, side by side in one process: each round times one sample
// of each (alternating which goes first, so a noisy neighbour hits both
// alike); the table gives the medians over rounds and their ratio. The
// library's split threshold is set to 0 here so that 2 threads are measured
// at every size: the smallest size from which 2 threads win at every larger
// size measured is the threshold (src/threads/split.ts DEFAULT_SPLIT_THRESHOLD).
// Wall time (performance.now): a threaded step's cost is its latency.
//
// Two more sections: every registered optimizer (zero-copy, its allState
// options) at 4K..1M, 1 vs 2 threads, with the smallest size from which 2
// threads win for each (--optimizers=all or a list; --optimizers=none skips
// it), Muon's Newton-Schulz on a 1024 x 1024 matrix (--muon=0 skips it), an
// L-BFGS step on 1M floats (one iteration, history 10; --lbfgs=0 skips it), and
// the bandwidth probe on 1 and 2 threads (--probe=0 skips it), against which
// Adam's rows at 16M get their share, and Adafactor on matrices, a batch of
// matrices and a vector (--adafactor=0 skips it).
//
// Usage:
//   npm run build && node bench/threads.mjs [--quick] [--rounds=15] [--sizes=16K,1M] [--optimizers=Adam,Lamb] [--opt-sizes=4K,64K] [--muon=0] [--lbfgs=0] [--adafactor=0] [--adam=0] [--probe=0] [--variants=zero-copy,...] [--undo=0]
//   npm run bench -- --only=threads
// Writes bench/results/threads-<stamp>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as lib from '../dist/index.js';
import { DEFAULT_SPLIT_THRESHOLD, setSplitThreshold } from '../dist/threads/split.js';
import { parseFlags } from './lib/cli.mjs';
import { median, sampleSync } from './lib/sample.mjs';
import { createThreadedProbe } from './lib/probe-threads.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
/** --undo=0: optimizers without the undo snapshot (option undoOnFailure: false) */
const UNDO = args.undo !== '0';
const ROUNDS = Number(args.rounds ?? (QUICK ? 7 : 15));
/** each timed sample runs steps for this long at least */
const SAMPLE_MS = QUICK ? 10 : 25;
const parseSize = (s) => Math.round(parseFloat(s) * ({ K: 1024, M: 1 << 20 }[s.at(-1)] ?? 1));
const label = (n) => (n >= 1 << 20 ? `${n / (1 << 20)}M` : n >= 1024 ? `${n / 1024}K` : `${n}`);
const SIZES = args.sizes
  ? String(args.sizes).split(',').map(parseSize)
  : QUICK
    ? [1 << 14, 1 << 16, 1 << 18, 1 << 20]
    : [1 << 12, 1 << 14, 1 << 15, 1 << 16, 1 << 17, 1 << 18, 1 << 19, 1 << 20, 1 << 22, 1 << 24];
const VARIANTS = [
  { name: 'zero-copy', options: {} },
  { name: 'zero-copy-nocheck', options: { checkFinite: false } },
  { name: 'zero-copy-noundo', options: { undoOnFailure: false } },
  // the full copy of parameters and state before every step (what every pooled step did before the barrier)
  { name: 'zero-copy-snapshot', options: { undoOnFailure: 'snapshot' } },
  // two groups of n/2: two writing pool calls per step (the workers check in at the first: no snapshot)
  { name: 'zero-copy-2groups', options: {}, groups: 2 },
];

const info = await lib.ready({ threads: 2 });
if (info.threads.size !== 2) throw new Error(`bench/threads: no pool here (${info.threads.reason})`);
setSplitThreshold(0);

function make(n, threads, options, groups = 1) {
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = Math.sin(i) * 0.5;
  const parts = groups === 1 ? [p] : [p.subarray(0, n / 2), p.subarray(n / 2)];
  const opt = new lib.Adam(groups === 1 ? parts : parts.map((q) => ({ params: [q] })), { lr: 1e-3, threads, undoOnFailure: UNDO, ...options });
  opt.grads.forEach((g, t) => {
    for (let i = 0; i < g.length; i++) g[i] = Math.cos((i + t * g.length) * 0.7) * 0.01;
  });
  return opt;
}

/** ms per step: steps for at least SAMPLE_MS */
const sample = (opt) => sampleSync(() => opt.step(), SAMPLE_MS);

/** 1 vs 2 threads, paired rounds after `warm` steps each: medians (ms per step) of `one` and `two` (objects with step()). */
function paired(one, two, rounds = ROUNDS, warm = 5) {
  for (let i = 0; i < warm; i++) {
    one.step();
    two.step();
  }
  const t1 = [];
  const t2 = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2) {
      t1.push(sample(one));
      t2.push(sample(two));
    } else {
      t2.push(sample(two));
      t1.push(sample(one));
    }
  }
  return { oneMs: median(t1), twoMs: median(t2) };
}

const rows = [];
const wantVariants = args.variants ? String(args.variants).split(',') : undefined;
for (const variant of args.adam === '0' ? [] : VARIANTS.filter((v) => !wantVariants || wantVariants.includes(v.name))) {
  for (const n of SIZES) {
    const one = make(n, 1, variant.options, variant.groups);
    const two = make(n, 2, variant.options, variant.groups);
    const { oneMs, twoMs } = paired(one, two, ROUNDS, 10);
    one.dispose();
    two.dispose();
    const row = { variant: variant.name, n, oneMs, twoMs, ratio: oneMs / twoMs };
    rows.push(row);
    console.log(`${variant.name.padEnd(18)} ${label(n).padStart(5)}  1 thread ${(row.oneMs * 1000).toFixed(1).padStart(9)} us  2 threads ${(row.twoMs * 1000).toFixed(1).padStart(9)} us  ratio ${row.ratio.toFixed(2)}`);
  }
}

/** the smallest size from which 2 threads are faster at every larger size measured */
function threshold(variant) {
  const rs = rows.filter((r) => r.variant === variant);
  let from;
  for (let i = rs.length - 1; i >= 0 && rs[i].ratio > 1; i--) from = rs[i].n;
  return from;
}

// every registered optimizer, zero-copy, 1 vs 2 threads
const OPT_SIZES = args['opt-sizes'] ? String(args['opt-sizes']).split(',').map(parseSize) : QUICK ? [1 << 13, 1 << 15, 1 << 18] : [1 << 12, 1 << 13, 1 << 14, 1 << 15, 1 << 16, 1 << 18, 1 << 20];
const wanted = String(args.optimizers ?? 'all');
const entries = wanted === 'none' ? [] : lib.allOptimizers.filter((e) => !e.closure && (wanted === 'all' || wanted.split(',').includes(e.name)));
const optRows = [];
function makeOpt(entry, n, threads) {
  const p = new Float32Array(n);
  for (let i = 0; i < n; i++) p[i] = Math.sin(i) * 0.5;
  // matrices (Muon): 64 rows; Adafactor: square-ish matrices (its factored path: 64 x 64 at 4K, 1024 x 1024 at 1M); everything else one flat tensor
  const rows = 2 ** Math.floor(Math.log2(n) / 2);
  const param = entry.matrices ? { data: p, shape: [64, n / 64] } : entry.name === 'Adafactor' ? { data: p, shape: [rows, n / rows] } : p;
  const opt = lib.createOptimizer(entry.name, [param], { ...entry.allState, lr: 1e-3, threads, undoOnFailure: UNDO });
  const g = opt.grads[0];
  for (let i = 0; i < n; i++) g[i] = Math.cos(i * 0.7) * 0.01;
  return opt;
}
for (const entry of entries) {
  for (const n of OPT_SIZES) {
    const one = makeOpt(entry, n, 1);
    const two = makeOpt(entry, n, 2);
    const r = paired(one, two, QUICK ? 5 : 9);
    one.dispose();
    two.dispose();
    const row = { optimizer: entry.name, n, ...r, ratio: r.oneMs / r.twoMs };
    optRows.push(row);
    console.log(`${entry.name.padEnd(18)} ${label(n).padStart(5)}  1 thread ${(row.oneMs * 1000).toFixed(1).padStart(9)} us  2 threads ${(row.twoMs * 1000).toFixed(1).padStart(9)} us  ratio ${row.ratio.toFixed(2)}`);
  }
}
/** per optimizer: the smallest size from which 2 threads are faster at every larger size measured */
function optThreshold(name) {
  const rs = optRows.filter((r) => r.optimizer === name);
  let from;
  for (let i = rs.length - 1; i >= 0 && rs[i].ratio > 1; i--) from = rs[i].n;
  return from;
}

// The bandwidth probe (pattern 28: Adam's 28 bytes per element) over 1 GiB, past the L3, on 1 and 2
// threads side by side (bench/lib/probe-threads.mjs); Adam's rows at 16M and beyond get their share of it
let probeRow;
if (args.probe !== '0') {
  const PROBE_MB = Number(args['probe-mb'] ?? 1024);
  const probe = await createThreadedProbe(PROBE_MB, 2);
  const r = paired({ step: () => probe.run(1) }, { step: () => probe.run(2) }, QUICK ? 5 : 9, 2);
  await probe.close();
  const gbs = (ms) => (probe.n * probe.bytesPerElem) / (ms * 1e6);
  probeRow = { ...r, megabytes: PROBE_MB, oneGBs: gbs(r.oneMs), twoGBs: gbs(r.twoMs), ratio: r.oneMs / r.twoMs, loadavg: loadavg() };
  console.log(`probe pattern 28, ${PROBE_MB} MiB  1 thread ${probeRow.oneGBs.toFixed(1)} GB/s  2 threads ${probeRow.twoGBs.toFixed(1)} GB/s  ratio ${probeRow.ratio.toFixed(2)}`);
}
/** GB/s of an Adam zero-copy step on n parameters taking `ms` (28 bytes per parameter: p, m, v read and written, g read) */
const adamGBs = (n, ms) => (28 * n) / (ms * 1e6);

// Muon's Newton-Schulz on a 1024 x 1024 matrix (a Muon step: momentum, 5 iterations, the move)
let muonRow;
if (args.muon !== '0') {
  const mk = (threads) => {
    const n = 1024 * 1024;
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = Math.sin(i) * 0.02;
    const opt = new lib.Muon([{ data: p, shape: [1024, 1024] }], { lr: 0.02, threads, undoOnFailure: UNDO });
    const g = opt.grads[0];
    for (let i = 0; i < n; i++) g[i] = Math.cos(i * 0.7) * 0.01;
    return opt;
  };
  const one = mk(1);
  const two = mk(2);
  const r = paired(one, two, QUICK ? 3 : 7);
  one.dispose();
  two.dispose();
  muonRow = { ...r, ratio: r.oneMs / r.twoMs, loadavg: loadavg() };
  console.log(`Muon 1024x1024 step  1 thread ${r.oneMs.toFixed(1)} ms  2 threads ${r.twoMs.toFixed(1)} ms  ratio ${muonRow.ratio.toFixed(2)}  (load ${loadavg()[0].toFixed(2)})`);
}

// L-BFGS (a closure optimizer: not in the per-optimizer rows) on 1M floats: one iteration per step (the two-loop
// recursion over a history of 10: about 20 dots and 20 axpys, dot blocked), fixed step lr, on the quadratic
// loss sum a_i (x_i - c_i)^2 / 2 whose gradient the closure writes in JavaScript (the same work for 1 and 2 threads)
let lbfgsRow;
if (args.lbfgs !== '0') {
  const n = QUICK ? 1 << 18 : 1 << 20;
  const mk = (threads) => {
    const p = new Float32Array(n);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      p[i] = Math.sin(i) * 0.5;
      a[i] = 0.5 + (i % 97) / 97;
    }
    const opt = new lib.LBFGS([p], { lr: 0.1, maxIter: 1, historySize: 10, threads });
    const x = opt.params[0];
    const g = opt.grads[0];
    const closure = () => {
      let loss = 0;
      for (let i = 0; i < n; i++) {
        const e = x[i] - 0.25;
        loss += a[i] * e * e;
        g[i] = a[i] * e;
      }
      return loss / 2;
    };
    for (let s = 0; s < 12; s++) opt.step(closure); // a full history
    return { step: () => opt.step(closure), dispose: () => opt.dispose() };
  };
  const one = mk(1);
  const two = mk(2);
  const r = paired(one, two, QUICK ? 3 : 9);
  one.dispose();
  two.dispose();
  lbfgsRow = { ...r, n, ratio: r.oneMs / r.twoMs, loadavg: loadavg() };
  console.log(`LBFGS ${label(n)} step (1 iteration, history 10)  1 thread ${r.oneMs.toFixed(2)} ms  2 threads ${r.twoMs.toFixed(2)} ms  ratio ${lbfgsRow.ratio.toFixed(2)}  (load ${loadavg()[0].toFixed(2)})`);
}

// Adafactor on shapes of its own (matrices: rows, columns, ||U|| and the move split by rows or columns; a
// batch of matrices; a vector: blocks of 1,024 and elements), 1 vs 2 threads (--adafactor=0 skips it)
const adafactorRows = [];
if (args.adafactor !== '0') {
  const shapes = QUICK ? [[1024, 1024]] : [[257, 129], [1024, 1024], [4096, 1024], [16, 256, 256], [1 << 20]];
  for (const shape of shapes) {
    const n = shape.reduce((a, d) => a * d, 1);
    const mk = (threads) => {
      const p = new Float32Array(n);
      for (let i = 0; i < n; i++) p[i] = Math.sin(i) * 0.5;
      const opt = new lib.Adafactor([{ data: p, shape }], { threads, undoOnFailure: UNDO });
      const g = opt.grads[0];
      for (let i = 0; i < n; i++) g[i] = Math.cos(i * 0.7) * 0.01;
      return opt;
    };
    const one = mk(1);
    const two = mk(2);
    const r = paired(one, two, QUICK ? 3 : 9);
    one.dispose();
    two.dispose();
    const row = { shape, ...r, ratio: r.oneMs / r.twoMs, loadavg: loadavg() };
    adafactorRows.push(row);
    console.log(`Adafactor [${shape}]  1 thread ${r.oneMs.toFixed(3)} ms  2 threads ${r.twoMs.toFixed(3)} ms  ratio ${row.ratio.toFixed(2)}  (load ${loadavg()[0].toFixed(2)})`);
  }
}

const meta = { undoOnFailure: UNDO, date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(), rounds: ROUNDS, sampleMs: SAMPLE_MS, libraryThreshold: DEFAULT_SPLIT_THRESHOLD };
const lines = [
  `# Adam zero-copy, 1 vs 2 threads (medians of ${ROUNDS} paired rounds, wall time per step)`,
  '',
  `${meta.date}, Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpu}), load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}; undoOnFailure: ${UNDO}`,
  '',
  ...(rows.length ? ['| variant | size | 1 thread | 2 threads | 1 / 2 |', '|---|---:|---:|---:|---:|'] : []),
  ...rows.map((r) => `| ${r.variant} | ${label(r.n)} | ${(r.oneMs * 1000).toFixed(1)} us | ${(r.twoMs * 1000).toFixed(1)} us | ${r.ratio.toFixed(2)}x |`),
  '',
  ...(rows.length ? VARIANTS.map((v) => `- ${v.name}: 2 threads win from ${threshold(v.name) === undefined ? 'no size measured' : label(threshold(v.name))} on (the library splits calls of at least ${label(DEFAULT_SPLIT_THRESHOLD)} elements)`) : []),
  ...(optRows.length
    ? [
        '',
        `## Every optimizer, zero-copy, 1 vs 2 threads (ratio 1 / 2; medians of ${QUICK ? 5 : 9} paired rounds)`,
        '',
        `| optimizer | ${OPT_SIZES.map(label).join(' | ')} | 2 threads win from |`,
        `|---|${OPT_SIZES.map(() => '---:|').join('')}---:|`,
        ...entries.map((e) => `| ${e.name} | ${OPT_SIZES.map((n) => `${optRows.find((r) => r.optimizer === e.name && r.n === n).ratio.toFixed(2)}x`).join(' | ')} | ${optThreshold(e.name) === undefined ? 'none measured' : label(optThreshold(e.name))} |`),
      ]
    : []),
  ...(probeRow
    ? [
        '',
        `## Share of the bandwidth probe (pattern 28 over ${probeRow.megabytes} MiB, medians of ${QUICK ? 5 : 9} paired rounds; load average ${probeRow.loadavg.map((x) => x.toFixed(2)).join(' ')})`,
        '',
        `Probe: 1 thread ${probeRow.oneGBs.toFixed(1)} GB/s, 2 threads ${probeRow.twoGBs.toFixed(1)} GB/s (${probeRow.ratio.toFixed(2)}x).`,
        '',
        '| variant | size | 1 thread GB/s (share of the 1-thread probe) | 2 threads GB/s (share of the 2-thread probe) |',
        '|---|---:|---:|---:|',
        ...rows
          .filter((r) => r.n >= 1 << 24)
          .map((r) => `| ${r.variant} | ${label(r.n)} | ${adamGBs(r.n, r.oneMs).toFixed(1)} (${((100 * adamGBs(r.n, r.oneMs)) / probeRow.oneGBs).toFixed(0)}%) | ${adamGBs(r.n, r.twoMs).toFixed(1)} (${((100 * adamGBs(r.n, r.twoMs)) / probeRow.twoGBs).toFixed(0)}%) |`),
      ]
    : []),
  ...(lbfgsRow
    ? ['', `L-BFGS step on ${label(lbfgsRow.n)} floats (one iteration, history 10, the closure's gradient in JavaScript included): 1 thread ${lbfgsRow.oneMs.toFixed(2)} ms, 2 threads ${lbfgsRow.twoMs.toFixed(2)} ms, ${lbfgsRow.ratio.toFixed(2)}x (load average ${lbfgsRow.loadavg.map((x) => x.toFixed(2)).join(' ')})`]
    : []),
  ...(muonRow
    ? ['', `Muon step on a 1024 x 1024 matrix (Newton-Schulz, 5 iterations): 1 thread ${muonRow.oneMs.toFixed(1)} ms, 2 threads ${muonRow.twoMs.toFixed(1)} ms, ${muonRow.ratio.toFixed(2)}x (load average ${muonRow.loadavg.map((x) => x.toFixed(2)).join(' ')})`]
    : []),
  ...(adafactorRows.length
    ? [
        '',
        `## Adafactor, zero-copy, 1 vs 2 threads (medians of ${QUICK ? 3 : 9} paired rounds)`,
        '',
        '| shape | 1 thread | 2 threads | 1 / 2 | load average |',
        '|---|---:|---:|---:|---:|',
        ...adafactorRows.map((r) => `| [${r.shape.join(', ')}] | ${r.oneMs.toFixed(3)} ms | ${r.twoMs.toFixed(3)} ms | ${r.ratio.toFixed(2)}x | ${r.loadavg[0].toFixed(2)} |`),
      ]
    : []),
];
console.log(`\n${lines.join('\n')}`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const base = new URL(`results/threads-${meta.date.replace(/[:.]/g, '-')}`, import.meta.url).pathname;
writeFileSync(`${base}.json`, JSON.stringify({ meta, rows, optRows, muon: muonRow, lbfgs: lbfgsRow, probe: probeRow, adafactor: adafactorRows }, null, 2));
writeFileSync(`${base}.md`, `${lines.join('\n')}\n`);
console.log(`\nwrote ${base}.md`);
