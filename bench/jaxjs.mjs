// The jax-js peer (@jax-js/jax, its WebAssembly backend): Adam written as
// optax's scale_by_adam does it, with jax-js's numpy API under `jit`, the
// bias correction in the graph (bench/lib/jaxjs-adam.mjs); a second jax-js
// line passes the two bias corrections in as scalars computed in JS (what
// wasm-optim and PyTorch do), to show what the in-graph power costs.
//
// Side by side in one process with wasm-optim's Adam (zero-copy: the
// gradient already in the optimizer's memory; jax-js: the gradient already a
// jax-js array, passed by reference) on 1 and 2 threads. jax-js runs on one
// thread here: its wasm backend starts Web Workers only where `Worker` and
// SharedArrayBuffer exist (a cross-origin isolated browser page, with
// navigator.hardwareConcurrency workers); Node has no global Worker. Each
// round times one sample of each implementation (the order rotates), the
// table gives medians over rounds and ratios; jax-js's samples wait for its
// results (blockUntilReady). Then a cross-check: 10 steps of both on the
// same data, the largest absolute difference of the parameters, bounded.
//
// Usage:
//   npm run build && node bench/jaxjs.mjs [--quick] [--rounds=7] [--sizes=16K,1M,16M]
//   npm run bench -- --only=jaxjs
// Writes bench/results/jaxjs-<stamp>.json and .md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as jax from '@jax-js/jax';
import * as lib from '../dist/index.js';
import { parseFlags } from './lib/cli.mjs';
import { jaxAdams, wasmOptimAdam } from './lib/jaxjs-adam.mjs';
import { median, sampleAsync } from './lib/sample.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
/** 16M: jax-js's in-graph step takes seconds there, so fewer rounds */
const ROUNDS_16M = Math.min(ROUNDS, 3);
/** each timed sample runs steps for this long at least (one step at least) */
const SAMPLE_MS = QUICK ? 20 : 50;
const parseSize = (s) => Math.round(parseFloat(s) * ({ K: 1024, M: 1 << 20 }[s.at(-1)] ?? 1));
const label = (n) => (n >= 1 << 20 ? `${n / (1 << 20)}M` : n >= 1024 ? `${n / 1024}K` : `${n}`);
const SIZES = args.sizes ? String(args.sizes).split(',').map(parseSize) : [1 << 14, 1 << 20, 1 << 24];
/** the cross-check's size and its bound on the largest absolute difference of the parameters after 10 steps */
const CHECK_N = 1 << 20;
const CHECK_BOUND = 1e-5;
const [lr, b1, b2, eps] = [1e-3, 0.9, 0.999, 1e-8];

const jaxVersion = JSON.parse(readFileSync(new URL('../node_modules/@jax-js/jax/package.json', import.meta.url), 'utf8')).version;
const devices = await jax.init('wasm');
const info = await lib.ready({ threads: 2 });
const twoThreads = info.threads.size === 2;
if (!twoThreads) console.log(`wasm-optim: no pool here (${info.threads.reason}); 1 thread only`);

const adams = jaxAdams(jax, { lr, b1, b2, eps });
const param = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
const grad = (n, t = 0) => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + t) * 0.01);
const jaxOptax = (n) => adams.make('optax', param(n), grad(n));
const jaxScalar = (n) => adams.make('scalars', param(n), grad(n));

const wasmOptim = (n, threads) => wasmOptimAdam(lib, { lr, b1, b2, eps }, param(n), grad(n), threads);

const JAX = [
  { name: 'jax-js, optax-style (in-graph bias correction)', short: 'jax-js optax', make: jaxOptax },
  { name: 'jax-js, bias corrections as scalars', short: 'jax-js scalars', make: jaxScalar },
];
const IMPLS = [
  { name: 'wasm-optim, 1 thread', short: 'wasm-optim 1t', make: (n) => wasmOptim(n, 1) },
  ...(twoThreads ? [{ name: 'wasm-optim, 2 threads', short: 'wasm-optim 2t', make: (n) => wasmOptim(n, 2) }] : []),
  ...JAX,
];

const sample = (impl) => sampleAsync(impl, SAMPLE_MS);

const rows = [];
for (const n of SIZES) {
  const live = IMPLS.map((d) => ({ ...d, impl: d.make(n), ms: /** @type {number[]} */ ([]) }));
  for (const l of live) {
    for (let i = 0; i < 3; i++) l.impl.step(); // warm-up (jax-js compiles its kernel at the first call)
    await l.impl.sync();
  }
  const rounds = n >= 1 << 24 ? ROUNDS_16M : ROUNDS;
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < live.length; k++) {
      const l = live[(k + r) % live.length];
      l.ms.push(await sample(l.impl));
    }
  }
  for (const l of live) {
    l.impl.dispose();
    rows.push({ n, impl: l.name, ms: median(l.ms), rounds });
  }
  const base1 = rows.find((x) => x.n === n && x.impl === IMPLS[0].name)?.ms ?? NaN;
  for (const x of rows.filter((x) => x.n === n)) {
    console.log(`${label(n).padStart(4)}  ${x.impl.padEnd(48)} ${(x.ms * 1000).toFixed(1).padStart(10)} us/step  ${(x.ms / base1).toFixed(2).padStart(7)}x wasm-optim 1 thread`);
  }
}

// the cross-check: 10 steps on the same parameters and gradients (a new gradient each step)
const check = [];
{
  const refs = [wasmOptim(CHECK_N, 1), ...(twoThreads ? [wasmOptim(CHECK_N, 2)] : [])];
  const jaxes = [jaxOptax(CHECK_N), jaxScalar(CHECK_N)];
  for (let t = 0; t < 10; t++) {
    const g = grad(CHECK_N, t + 1);
    for (const r of refs) r.step(g);
    for (const j of jaxes) j.step(g);
  }
  const want = await refs[0].params();
  const moved = want.reduce((m, x, i) => Math.max(m, Math.abs(x - Math.fround(Math.sin(i) * 0.5))), 0);
  if (twoThreads && !(await refs[1].params()).every((x, i) => Object.is(x, want[i]))) throw new Error('bench/jaxjs: wasm-optim on 2 threads differs from 1 thread');
  for (const [k, j] of jaxes.entries()) {
    const name = JAX[k].name;
    const got = await j.params();
    let max = 0;
    for (let i = 0; i < CHECK_N; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
    check.push({ impl: name, maxAbsDiff: max });
    console.log(`cross-check, ${label(CHECK_N)} parameters after 10 steps: ${name} vs wasm-optim: max |difference| ${max.toExponential(2)} (parameters moved up to ${moved.toExponential(2)})`);
    if (!(max <= CHECK_BOUND)) throw new Error(`bench/jaxjs: ${name} differs from wasm-optim's Adam by ${max} > ${CHECK_BOUND}`);
  }
  for (const x of [...refs, ...jaxes]) x.dispose();
}

const meta = {
  date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(),
  rounds: ROUNDS, rounds16M: ROUNDS_16M, sampleMs: SAMPLE_MS, jaxjs: jaxVersion, jaxDevices: devices, wasmOptimThreads: info.threads,
};
const sizesDone = [...new Set(rows.map((r) => r.n))];
const cell = (n, name) => rows.find((r) => r.n === n && r.impl === name);
const lines = [
  `# Adam: wasm-optim vs jax-js ${jaxVersion} (wasm backend, jit), medians of paired rounds, wall time per step`,
  '',
  `${meta.date}, Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpu}), load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}; ` +
    `${ROUNDS} rounds (${ROUNDS_16M} at 16M). jax-js runs on one thread in Node (no global Worker).`,
  '',
  `| size | ${IMPLS.map((d) => d.short).join(' | ')} | ${JAX.map((d) => `${d.short} / 1 thread`).join(' | ')}${twoThreads ? ` | ${JAX.map((d) => `${d.short} / 2 threads`).join(' | ')}` : ''} |`,
  `|---:|${IMPLS.map(() => '---:').join('|')}|${JAX.map(() => '---:').join('|')}|${twoThreads ? `${JAX.map(() => '---:').join('|')}|` : ''}`,
  ...sizesDone.map((n) => {
    const one = cell(n, IMPLS[0].name).ms;
    const two = twoThreads ? cell(n, IMPLS[1].name).ms : undefined;
    const jx = JAX.map((d) => cell(n, d.name).ms);
    return `| ${label(n)} | ${IMPLS.map((d) => `${(cell(n, d.name).ms * 1000).toFixed(1)} us`).join(' | ')} | ${jx.map((j) => `${(j / one).toFixed(1)}x`).join(' | ')}${two ? ` | ${jx.map((j) => `${(j / two).toFixed(1)}x`).join(' | ')}` : ''} |`;
  }),
  '',
  `Columns: ${IMPLS.map((d) => `${d.short}: ${d.name}`).join('; ')}. Ratios: jax-js's time over wasm-optim's (above 1: wasm-optim is faster).`,
  '',
  ...check.map((c) => `- cross-check at ${label(CHECK_N)}, 10 steps: ${c.impl} vs wasm-optim, max |difference| of the parameters ${c.maxAbsDiff.toExponential(2)} (bound ${CHECK_BOUND})`),
];
console.log(`\n${lines.join('\n')}`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const base = new URL(`results/jaxjs-${meta.date.replace(/[:.]/g, '-')}`, import.meta.url).pathname;
writeFileSync(`${base}.json`, JSON.stringify({ meta, rows, check }, null, 2));
writeFileSync(`${base}.md`, `${lines.join('\n')}\n`);
console.log(`\nwrote ${base}.md`);
