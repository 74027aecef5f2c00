// Focused kernel benchmark: every optimizer's kernel called directly on raw
// WebAssembly memory (no TypeScript layer), in cache (16K elements) and
// streaming (16M), side by side with the same kernels of a baseline commit,
// against two ceilings measured in the same process:
//
//   compute floor (16K)  bench/assembly/streams.ts `ops`: the kernel's count of f32x4
//                        square roots and divisions per element, four vectors in flight,
//                        or `stream` with the kernel's own arrays at 16K where that is slower
//   memory ceiling       `stream` with the kernel's own mix of read-only and read-write
//                        arrays over >= 1 GiB in all (past the 300 MiB L3: DRAM), and the same
//                        at the kernel's own 16M footprint (what the kernel's size gets)
//
// Usage:
//   npm run build:wasm && node bench/kernels.mjs [--baseline=<commit>] [--only=Adam,NAdam] [--rounds=7]
//
// --baseline compiles assembly/ of that commit (git archive) with the simd target's flags;
// its kernels are called with that commit's argument order (LEGACY below, valid for
// commits before the canonical order, e.g. d739352). Writes bench/results/kernels-<stamp>.json.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import asc from 'assemblyscript/asc';
import { parseFlags } from './lib/cli.mjs';

// Steady state only: V8 compiles WebAssembly with its baseline compiler first and tiers up in
// the background, which on a loaded 2-vCPU machine can take seconds for the larger kernels.
// --no-liftoff compiles the optimized code at once (the code the library runs after warm-up).
if (!process.execArgv.includes('--no-liftoff')) {
  const { status } = spawnSync(process.execPath, ['--no-liftoff', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(status ?? 1);
}

const args = parseFlags();
const ROUNDS = Number(args.rounds ?? 7);
const started = new Date().toISOString();
const N_SMALL = 1 << 14;
const N_BIG = 1 << 24;
const PAGE = 65536;
const root = new URL('..', import.meta.url).pathname;

/**
 * One line per optimizer: the kernel calls of a default step (flush threshold 0, as on
 * 15 of 16 steps), the bytes it moves per element (ro: arrays only read, rw: read and
 * written, per pass), and its square roots and divisions per element.
 * a = [p, g, s0, s1, s2] byte addresses.
 */
const b1 = 0.9, b2 = 0.999;
const LINES = [
  { name: 'SGD', passes: [[1, 1]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.sgd(a[0], a[1], n, 1e-3, 0, 1),
    current: (k, a, n) => k.sgd(a[0], a[1], n, 1e-3, 0, 1) },
  { name: 'SGD momentum', passes: [[1, 2]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.sgdMomentum(a[0], a[1], a[2], n, 1e-3, 0, 1, 0.9, 1, 0, 0.9),
    current: (k, a, n) => k.sgdMomentum(a[0], a[1], a[2], n, 1e-3, 0.9, 1, 0, 0.9, 0, 1) },
  { name: 'Momentum', passes: [[1, 2]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.momentum(a[0], a[1], a[2], n, 1e-2, 0.9, 0, 1),
    current: (k, a, n) => k.momentum(a[0], a[1], a[2], n, 1e-2, 0.9, 0, 1) },
  { name: 'Adagrad', passes: [[1, 2]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.adagrad(a[0], a[1], a[2], n, 1e-2, 1e-10, 0, 1),
    current: (k, a, n) => k.adagrad(a[0], a[1], a[2], n, 1e-2, 1e-10, 0, 1) },
  { name: 'RMSprop', passes: [[1, 2]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.rmsprop(a[0], a[1], a[2], n, 1e-2, 0.99, 1e-8, 0, 1),
    current: (k, a, n) => k.rmsprop(a[0], a[1], a[2], n, 1e-2, 0.99, 1e-8, 0, 1) },
  { name: 'Adam', passes: [[1, 3]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.adam(a[0], a[1], a[2], a[3], n, 1e-2, 1.2, 1e-8, b1, b2, 0, 1, 1),
    current: (k, a, n) => k.adam(a[0], a[1], a[2], a[3], n, 1e-2, 1.2, b1, b2, 1e-8, 0, 1, 1) },
  { name: 'AdamW', passes: [[1, 3]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.adam(a[0], a[1], a[2], a[3], n, 1e-2, 1.2, 1e-8, b1, b2, 0, 0.99999, 1),
    current: (k, a, n) => k.adam(a[0], a[1], a[2], a[3], n, 1e-2, 1.2, b1, b2, 1e-8, 0, 0.99999, 1) },
  { name: 'Adam amsgrad', passes: [[1, 4]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.adamAmsgrad(a[0], a[1], a[2], a[3], a[4], n, 1e-2, 1.2, 1e-8, b1, b2, 0, 1, 1),
    current: (k, a, n) => k.adamAmsgrad(a[0], a[1], a[2], a[3], a[4], n, 1e-2, 1.2, b1, b2, 1e-8, 0, 1, 1) },
  { name: 'Adadelta', passes: [[1, 3]], sqrt: 2, div: 1,
    legacy: (k, a, n) => k.adadelta(a[0], a[1], a[2], a[3], n, 1, 0.9, 1e-6, 0, 1),
    current: (k, a, n) => k.adadelta(a[0], a[1], a[2], a[3], n, 1, 0.9, 1e-6, 0, 1) },
  { name: 'Adamax', passes: [[1, 3]], sqrt: 0, div: 1,
    legacy: (k, a, n) => k.adamax(a[0], a[1], a[2], a[3], n, 2e-3, b1, b2, 1e-8, 0, 1),
    current: (k, a, n) => k.adamax(a[0], a[1], a[2], a[3], n, 2e-3, b1, b2, 1e-8, 0, 1) },
  { name: 'NAdam', passes: [[1, 3]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.nadam(a[0], a[1], a[2], a[3], n, 1e-3, 1e-2, 1.2, 1e-8, b1, b2, 0, 1, 1),
    current: (k, a, n) => k.nadam(a[0], a[1], a[2], a[3], n, 1e-3, 1e-2, 1.2, b1, b2, 1e-8, 0, 1, 1) },
  { name: 'RAdam', passes: [[1, 3]], sqrt: 1, div: 1,
    legacy: (k, a, n) => k.radam(a[0], a[1], a[2], a[3], n, 1e-3, 1e-8, b1, b2, 0, 1, 1),
    current: (k, a, n) => k.radam(a[0], a[1], a[2], a[3], n, 1e-3, b1, b2, 1e-8, 0, 1, 1) },
  { name: 'Rprop', passes: [[1, 3]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.rprop(a[0], a[1], a[2], a[3], n, 0.5, 1.2, 1e-6, 50, 1),
    current: (k, a, n) => k.rprop(a[0], a[1], a[2], a[3], n, 0.5, 1.2, 1e-6, 50, 1) },
  { name: 'ASGD', passes: [[1, 2]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.asgdAverage(a[0], a[1], a[2], n, 1e-2, 0.999999, 0, 1, 0.5),
    current: (k, a, n) => k.asgdAverage(a[0], a[1], a[2], n, 1e-2, 0.5, 0, 0.999999, 1) },
  { name: 'Lion', passes: [[1, 2]], sqrt: 0, div: 0,
    legacy: (k, a, n) => k.lion(a[0], a[1], a[2], n, 1e-4, b1, 0.99, 1, 1),
    current: (k, a, n) => k.lion(a[0], a[1], a[2], n, 1e-4, b1, 0.99, 1, 1) },
  // two passes: moments + both norms (reads p, g; writes m, v), then the move (reads m, v; writes p)
  { name: 'Lamb', passes: [[2, 2], [2, 1]], sqrt: 2, div: 2,
    legacy: (k, a, n) => { k.lambMoments(a[0], a[1], a[2], a[3], n, 10, 30, 1e-6, b1, b2, 0, 1); k.lambApply(a[0], a[2], a[3], n, 1e-3, 10, 30, 1e-6, 0); },
    current: (k, a, n) => { k.lambMoments(a[0], a[1], a[2], a[3], n, 10, 30, b1, b2, 1e-6, 0, 1); k.lambApply(a[0], a[2], a[3], n, 1e-3, 10, 30, 1e-6, 0); } },
];
// Lamb's pass 1 reads p and g and reads+writes m, v: 4+4+8+8 = 24 bytes; pass 2 reads m, v and
// reads+writes p: 4+4+8 = 16 bytes; 40 bytes per element in all (Adam: 28).
const bytesOf = (l) => l.passes.reduce((s, [ro, rw]) => s + 4 * ro + 8 * rw, 0);

const only = args.only ? String(args.only).split(',') : undefined;
const lines = LINES.filter((l) => !only || only.includes(l.name));

const FLAGS = ['-O3', '--converge', '--runtime', 'stub', '--importMemory', '--zeroFilledMemory', '--noAssert', '--use', 'abort=', '--enable', 'simd'];
function compileCommit(commit) {
  const dir = mkdtempSync(join(tmpdir(), 'kbench-'));
  execFileSync('sh', ['-c', `git -C ${root} archive ${commit} assembly | tar -x -C ${dir}`]);
  const out = join(dir, 'k.wasm');
  execFileSync(join(root, 'node_modules/.bin/asc'), [join(dir, 'assembly/index.ts'), '-o', out, ...FLAGS], { stdio: 'inherit' });
  return readFileSync(out);
}

async function probeModule() {
  const src = readFileSync(new URL('./assembly/streams.ts', import.meta.url), 'utf8');
  const out = await asc.compileString({ 'streams.ts': src }, { optimizeLevel: 3, shrinkLevel: 0, converge: true, runtime: 'stub', importMemory: true, noAssert: true, enable: ['simd'], use: ['abort='] });
  if (out.error || !out.binary) throw new Error(out.stderr.toString());
  return out.binary;
}

function fill(mem, addr, n, seed, pos) {
  const f = new Float32Array(mem.buffer, addr, n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const r = (x >>> 0) / 4294967296 - 0.5;
    f[i] = pos ? r * r + 0.01 : r;
  }
}

/** A kernel module on its own memory with 5 buffers of nMax floats. */
function instance(module, nMax) {
  const stride = Math.ceil((nMax * 4 + 64) / 64) * 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((64 + 5 * stride) / PAGE) });
  /** @type {Record<string, any>} the kernel exports, called with numbers */
  const k = new WebAssembly.Instance(module, { env: { memory } }).exports;
  const addr = [0, 1, 2, 3, 4].map((i) => 64 + i * stride);
  addr.forEach((a, i) => fill(memory, a, nMax, 7 + i, i >= 2));
  k.setFlushThreshold(0);
  return { k, addr, memory };
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const now = () => performance.now();
function timeOnce(fn) { const t0 = now(); fn(); return (now() - t0) / 1e3; }
/** ns per element in cache: median over rounds of a batch of calls. */
function inCache(fn, n, rounds) {
  // warm up past V8's tier-up (baseline code is 2-3x slower): 300 calls and 0.3 s at least
  const w0 = now();
  for (let i = 0; i < 300 || now() - w0 < 300; i++) fn();
  const batch = 64;
  const xs = [];
  for (let r = 0; r < rounds * 3; r++) xs.push(timeOnce(() => { for (let i = 0; i < batch; i++) fn(); }) / batch / n * 1e9);
  return median(xs);
}

const builds = [];
if (args.baseline) builds.push({ label: `before (${args.baseline})`, bytes: compileCommit(args.baseline), call: 'legacy' });
builds.push({ label: 'after (working tree)', bytes: readFileSync(join(root, 'build/optim.simd.wasm')), call: 'current' });

const probeBytes = await probeModule();
// probe memory: >= 1 GiB in all for every pattern (DRAM), arrays of `stride` bytes
const GIB = 1 << 30;
const probeMem = new WebAssembly.Memory({ initial: Math.ceil((GIB + (1 << 22)) / PAGE) });
/** @type {Record<string, any>} the probe's stream and ops functions */
const P = new WebAssembly.Instance(new WebAssembly.Module(/** @type {Uint8Array<ArrayBuffer>} */ (probeBytes)), { env: { memory: probeMem } }).exports;
new Float32Array(probeMem.buffer).fill(0.25);
/** seconds of one stream over n elements with ro read-only and rw read-write arrays of `strideBytes`. */
const streamFn = (ro, rw, n, strideBytes) => () => P.stream(64, 64 + ro * strideBytes, strideBytes, ro, rw, n);
const dramN = (ro, rw) => Math.floor(GIB / 4 / (ro + rw) / 16) * 16; // >= 1 GiB - 64 bytes... in all
const bigStride = N_BIG * 4 + 64;

console.log(`kernel bench: ${cpus()[0]?.model}, Node ${process.version}; rounds ${ROUNDS}; flush threshold 0`);
// one compiled module per build, shared by its two instances (compiled code and its tier-up are per module)
const insts = builds.map((b) => {
  const module = new WebAssembly.Module(b.bytes);
  return { ...b, small: instance(module, N_SMALL), big: instance(module, N_BIG) };
});

// compute floors in cache
const floorOps = new Map();
const opsAt = 64 + 4 * N_SMALL * 8;
const opsFloor = (s, d) => {
  const key = `${s},${d}`;
  if (!floorOps.has(key)) floorOps.set(key, inCache(() => P.ops(opsAt, N_SMALL, s, d), N_SMALL, ROUNDS));
  return floorOps.get(key);
};

const rows = [];
for (const l of lines) {
  const row = { name: l.name, bytes: bytesOf(l), sqrt: l.sqrt, div: l.div };
  // in cache
  const streamSmall = l.passes.reduce((s, [ro, rw]) => s + inCache(streamFn(ro, rw, N_SMALL, N_SMALL * 4 + 64), N_SMALL, ROUNDS), 0);
  const arith = l.sqrt + l.div > 0 ? opsFloor(l.sqrt, l.div) : 0;
  row.floor16K = Math.max(streamSmall, arith);
  row.floorKind = arith > streamSmall ? `${l.sqrt} sqrt + ${l.div} div` : 'loads/stores';
  row.ns16K = insts.map((b) => inCache(() => l[b.call](b.small.k, b.small.addr, N_SMALL), N_SMALL, ROUNDS));
  // streaming: kernel(s) and ceilings timed in alternation, medians of per-round ratios
  const ceilDram = () => l.passes.reduce((s, [ro, rw]) => s + timeOnce(streamFn(ro, rw, dramN(ro, rw), dramN(ro, rw) * 4)) * (N_BIG / dramN(ro, rw)), 0);
  const ceilOwn = () => l.passes.reduce((s, [ro, rw]) => s + (ro + rw <= 5 ? timeOnce(streamFn(ro, rw, N_BIG, bigStride)) : NaN), 0);
  /** @type {number[][]} */
  const secs = insts.map(() => []);
  const dram = [], own = [];
  for (let r = -1; r < ROUNDS; r++) {
    const ks = insts.map((b) => timeOnce(() => l[b.call](b.big.k, b.big.addr, N_BIG)));
    const d = ceilDram();
    const o = ceilOwn();
    if (r < 0) continue;
    ks.forEach((t, i) => secs[i].push(t / d));
    dram.push(d); own.push(o);
  }
  const gb = (t) => (row.bytes * N_BIG) / t / 1e9;
  row.ceilingGBs = gb(median(dram));
  row.ownFootprintGBs = gb(median(own));
  row.share16M = secs.map((xs) => 1 / median(xs)); // kernel GB/s / DRAM ceiling GB/s
  row.ns16M = insts.map((b, i) => median(secs[i]) * median(dram) / N_BIG * 1e9);
  rows.push(row);
  const f = (x, d = 2) => x.toFixed(d);
  console.log(`${l.name.padEnd(13)} ${String(row.bytes).padStart(2)} B  16K: ${row.ns16K.map((x) => f(x, 3)).join(' -> ')} ns/el (floor ${f(row.floor16K, 3)}, ${row.floorKind}; x${row.ns16K.map((x) => f(x / row.floor16K)).join(' -> x')})` +
    `  16M: ${row.share16M.map((x) => `${f(100 * x, 0)}%`).join(' -> ')} of ${f(row.ceilingGBs, 1)} GB/s (DRAM, >= 1 GiB), own-footprint stream ${f(row.ownFootprintGBs, 1)} GB/s`);
}

// markdown table
const md = [];
const labels = insts.map((b) => b.label);
md.push(`| kernel | bytes/el | sqrt+div | 16K ns/el ${labels.join(' / ')} | 16K floor | x floor ${labels.join(' / ')} | 16M % of DRAM ceiling ${labels.join(' / ')} | ceiling GB/s |`);
md.push('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  md.push(`| ${r.name} | ${r.bytes} | ${r.sqrt}+${r.div} | ${r.ns16K.map((x) => x.toFixed(3)).join(' / ')} | ${r.floor16K.toFixed(3)} (${r.floorKind}) | ${r.ns16K.map((x) => (x / r.floor16K).toFixed(2)).join(' / ')} | ${r.share16M.map((x) => `${(100 * x).toFixed(0)}%`).join(' / ')} | ${r.ceilingGBs.toFixed(1)} |`);
}
md.push('', '16K floor: the slower of bench/assembly/streams.ts `ops` (the kernel\'s f32x4 square roots and divisions per element, four vectors in flight) and `stream` over the kernel\'s own arrays at 16K (L1/L2): what the kernel cannot beat in cache. "x floor" = ns/el over that floor.');
md.push('', 'Ceiling: bench/assembly/streams.ts `stream` with the kernel\'s own read-only/read-write array mix over >= 1 GiB (past the 300 MiB L3), timed in alternation with the kernels; a share above 100% means the 16M kernel (64 MB per array, 128-384 MB in all) was partly served by the L3.');
console.log(`\n${md.join('\n')}`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
const file = join(root, `bench/results/kernels-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ rows, builds: labels, rounds: ROUNDS, nSmall: N_SMALL, nBig: N_BIG, cpu: cpus()[0]?.model, node: process.version, loadavg: loadavg(), started }, null, 1));
const head = `# Kernels against their floors (bench/kernels.mjs, ${started})\n\n${cpus()[0]?.model}, ${cpus().length} vCPUs, Node ${process.version}; ` +
  `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end; ${ROUNDS} rounds; flush threshold 0 (15 of 16 steps).\n\n` +
  `Command: \`node bench/kernels.mjs ${process.argv.slice(2).join(' ')}\`\n\n`;
writeFileSync(file.replace(/\.json$/, '.md'), `${head}${md.join('\n')}\n`);
console.log(`wrote ${file} and .md`);
