// GEMM benchmark: assembly/gemm.ts called directly on raw WebAssembly memory, in GFLOP/s
// (2*m*n*k per call), against the f32x4 arithmetic ceiling of one core measured in the
// same process with bench/assembly/peak.ts (a register-resident mul + add loop, and the
// same with relaxed_madd), and against the theoretical figure of this CPU.
//
// Usage:
//   npm run build:wasm && node bench/gemm.mjs [--rounds=7] [--quick]
//   npm run bench -- --only=gemm
//
// Shapes: square 64..1024 (B as is, and B^T for 512), and the three products of one
// Newton-Schulz step of torch's Muon on a 784x256 weight (X = its 256x784 transpose:
// A = X X^T 256x256x784 with B^T, A A 256x256x256, B X 256x784x256). Each round times
// every shape once per build (alternating, so a noisy neighbour hits all alike); the
// table gives the median over rounds; the peak probe runs at the start of every round and
// counts its best round (a ceiling: noise only lowers it).
// Times are CPU time of this process (process.cpuUsage), not wall time: see cpuMs.
// Writes bench/results/gemm-<stamp>.json and .md.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import asc from 'assemblyscript/asc';
import { parseFlags, relaunchWith } from './lib/cli.mjs';

// --no-liftoff: the optimized code at once (what the library runs after warm-up);
// relaxed SIMD needs a flag on Node 20.
const FLAGS = ['--no-liftoff', '--experimental-wasm-relaxed-simd'];
relaunchWith(FLAGS);

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
/** each timed sample runs the call this long at least */
const SAMPLE_MS = QUICK ? 20 : 60;
const PAGE = 65536;
const root = new URL('..', import.meta.url);

const SHAPES = [
  { name: '64', m: 64, n: 64, k: 64 },
  { name: '128', m: 128, n: 128, k: 128 },
  { name: '256', m: 256, n: 256, k: 256 },
  { name: '512', m: 512, n: 512, k: 512 },
  { name: '512, B^T', m: 512, n: 512, k: 512, transB: 1 },
  { name: '1024', m: 1024, n: 1024, k: 1024, noScalar: true },
  { name: 'NS 784x256: X X^T', m: 256, n: 256, k: 784, transB: 1 },
  { name: 'NS 784x256: A A', m: 256, n: 256, k: 256 },
  { name: 'NS 784x256: B X', m: 256, n: 784, k: 256 },
];

/**
 * This CPU (lscpu: Intel Xeon, family 6 model 207 = Emerald Rapids, Raptor Cove cores as
 * Golden Cove; AVX-512; 2 vCPUs; nominal 2.1 GHz): vector FP runs on three ports, the
 * FMA/multiply units on p0 and p1 and fast adders on p1 and p5, so an unfused f32x4 mul + add
 * pair (two uops) issues at most 1.5 times per cycle: 1.5 * 2 ops * 4 lanes = 12 FLOP/cycle;
 * fused (FMA on p0 and p1): 2 * 2 * 4 = 16 FLOP/cycle. WebAssembly SIMD is 128 bits wide, so
 * the 512-bit units (64 FLOP/cycle with AVX-512 FMA) are out of reach.
 */
const THEORY = { flopPerCycleMulAdd: 12, flopPerCycleFma: 16, nominalGHz: 2.1 };

async function compilePeak(relaxed) {
  const src = readFileSync(new URL('./assembly/peak.ts', import.meta.url), 'utf8');
  const enable = relaxed ? ['simd', 'relaxed-simd'] : ['simd'];
  const out = await asc.compileString({ 'peak.ts': src }, { optimizeLevel: 3, shrinkLevel: 0, converge: true, runtime: 'stub', noAssert: true, enable, use: ['abort='] });
  if (out.error || !out.binary) throw new Error(`bench: compiling bench/assembly/peak.ts failed: ${out.stderr.toString()}`);
  // the exports of bench/assembly/peak.ts (WebAssembly exports carry no types)
  return /** @type {{ peakMulAdd(n: number): number, peakMadd(n: number): number, clock(n: number, a: number, b: number): number, PEAK_FLOP_PER_ITER: WebAssembly.Global, CLOCK_OPS_PER_ITER: WebAssembly.Global }} */ (
    /** @type {unknown} */ (new WebAssembly.Instance(new WebAssembly.Module(new Uint8Array(out.binary)), {}).exports)
  );
}

/** @typedef {{ gemm(a: number, b: number, c: number, w: number, m: number, n: number, k: number, lda: number, ldb: number, ldc: number, transB: number, alpha: number, beta: number): void, gemmWorkBytes(n: number, k: number): number }} GemmExports */
/** @param {WebAssembly.Module} module @param {WebAssembly.Memory} memory @returns {GemmExports} */
const gemmInstance = (module, memory) => /** @type {GemmExports} */ (/** @type {unknown} */ (new WebAssembly.Instance(module, { env: { memory } }).exports));

const peakSimd = await compilePeak(false);
const peakRelaxed = await compilePeak(true);
const PEAK_FLOP = Number(peakSimd.PEAK_FLOP_PER_ITER.value);
const CLOCK_OPS = Number(peakSimd.CLOCK_OPS_PER_ITER.value);

/**
 * Milliseconds of CPU time this process has used: the machine is shared (2 vCPUs, other
 * jobs), and CPU time leaves out the slices another process ran, which wall time does not.
 */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Iterations per millisecond of one probe loop, timed over about SAMPLE_MS. */
function timeLoop(fn) {
  let n = 1 << 16;
  fn(n);
  for (;;) {
    const t0 = cpuMs();
    fn(n);
    const ms = cpuMs() - t0;
    if (ms >= SAMPLE_MS) return n / ms;
    n *= 2;
  }
}

function kernels(build) {
  const module = new WebAssembly.Module(readFileSync(new URL(`build/optim.${build}.wasm`, root)));
  return { build, module };
}
const builds = ['simd', 'relaxed', 'scalar'].map(kernels);

/** One instance per build and shape on its own memory: A, B, C and the scratch, filled once. */
function setup({ module }, s) {
  const bytes = (e) => Math.ceil((e * 4) / 64) * 64;
  const pa = 64, pb = pa + bytes(s.m * s.k), pc = pb + bytes(s.k * s.n), pw = pc + bytes(s.m * s.n);
  const probe = gemmInstance(module, new WebAssembly.Memory({ initial: 1 }));
  const memory = new WebAssembly.Memory({ initial: Math.ceil((pw + probe.gemmWorkBytes(s.n, s.k) + 64) / PAGE) });
  const k = gemmInstance(module, memory);
  const f = new Float32Array(memory.buffer);
  let x = 12345;
  for (let i = 0; i < f.length; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    f[i] = (x >>> 0) / 4294967296 - 0.5;
  }
  const lda = s.k, ldb = s.transB ? s.k : s.n, ldc = s.n;
  const call = () => k.gemm(pa, pb, pc, pw, s.m, s.n, s.k, lda, ldb, ldc, s.transB ?? 0, 1, 0);
  for (let i = 0; i < 3; i++) call();
  return call;
}

/** GFLOP/s of one call, repeated for about SAMPLE_MS. */
function timeCall(call, flop) {
  let reps = 1;
  for (;;) {
    const t0 = cpuMs();
    for (let i = 0; i < reps; i++) call();
    const ms = cpuMs() - t0;
    if (ms >= SAMPLE_MS) return (flop * reps) / ms / 1e6;
    reps = Math.max(reps + 1, Math.ceil(reps * (SAMPLE_MS * 1.2) / Math.max(ms, 0.01)));
  }
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };

/** @type {Record<string, () => void>[]} */
const calls = SHAPES.map((s) => Object.fromEntries(builds.filter((b) => !(b.build === 'scalar' && (s.noScalar || QUICK))).map((b) => [b.build, setup(b, s)])));
/** @type {Record<string, number[]>[]} */
const samples = SHAPES.map(() => ({ simd: [], relaxed: [], scalar: [] }));
/** @type {{ mulAdd: number[], madd: number[], ghz: number[] }} */
const peaks = { mulAdd: [], madd: [], ghz: [] };
for (let r = 0; r < ROUNDS; r++) {
  peaks.ghz.push((CLOCK_OPS * timeLoop((n) => peakSimd.clock(n, 3, 5))) / 1e6);
  peaks.mulAdd.push((PEAK_FLOP * timeLoop((n) => peakSimd.peakMulAdd(n))) / 1e6);
  peaks.madd.push((PEAK_FLOP * timeLoop((n) => peakRelaxed.peakMadd(n))) / 1e6);
  SHAPES.forEach((s, i) => {
    for (const [build, call] of Object.entries(calls[i])) samples[i][build].push(timeCall(call, 2 * s.m * s.n * s.k));
  });
  process.stderr.write(`round ${r + 1}/${ROUNDS}\r`);
}

// a ceiling is the best round (noise only lowers it); the clock is the median round
const peak = { mulAdd: Math.max(...peaks.mulAdd), madd: Math.max(...peaks.madd), mulAddMedian: median(peaks.mulAdd), maddMedian: median(peaks.madd), ghz: median(peaks.ghz) };
const theory = { mulAdd: THEORY.flopPerCycleMulAdd * peak.ghz, fma: THEORY.flopPerCycleFma * peak.ghz };
const rows = SHAPES.map((s, i) => {
  const g = Object.fromEntries(Object.entries(samples[i]).filter(([, v]) => v.length).map(([b, v]) => [b, median(v)]));
  return { ...s, gflops: g, best: Math.max(...samples[i].simd) };
});

const f1 = (x) => (x === undefined ? '—' : x.toFixed(1));
const pct = (x, y) => `${Math.round((100 * x) / y)}%`;
const md = [];
md.push(`# GEMM (assembly/gemm.ts), one core — node bench/gemm.mjs`, '');
md.push(`${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} vCPUs, Node ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${ROUNDS} rounds, median, CPU time.`, '');
md.push(
  `f32x4 peak, measured (bench/assembly/peak.ts, register-resident, best round / median): ` +
    `mul + add ${f1(peak.mulAdd)} / ${f1(peak.mulAddMedian)} GFLOP/s, relaxed_madd ${f1(peak.madd)} / ${f1(peak.maddMedian)} GFLOP/s.`,
);
md.push(
  `Theoretical: ${THEORY.flopPerCycleMulAdd} FLOP/cycle unfused (three vector FP ports: 1.5 f32x4 mul + add pairs per cycle), ` +
    `${THEORY.flopPerCycleFma} fused (2 FMA per cycle); at the measured clock (bench/assembly/peak.ts \`clock\`: ${peak.ghz.toFixed(2)} GHz, ` +
    `nominal ${THEORY.nominalGHz}) ${f1(theory.mulAdd)} / ${f1(theory.fma)} GFLOP/s.`,
  '',
);
md.push('| m x n x k | simd GFLOP/s | % of measured peak | % of theoretical | relaxed GFLOP/s | % of relaxed_madd peak | scalar GFLOP/s |');
md.push('|---|--:|--:|--:|--:|--:|--:|');
for (const r of rows) {
  md.push(
    `| ${r.name} (${r.m}x${r.n}x${r.k}${r.transB ? ', B^T' : ''}) | ${f1(r.gflops.simd)} | ${pct(r.gflops.simd, peak.mulAdd)} | ${pct(r.gflops.simd, theory.mulAdd)} | ` +
      `${f1(r.gflops.relaxed)} | ${pct(r.gflops.relaxed, peak.madd)} | ${f1(r.gflops.scalar)} |`,
  );
}
const ns = rows.filter((r) => r.name.startsWith('NS '));
const nsMs = ns.reduce((t, r) => t + (2 * r.m * r.n * r.k) / (r.gflops.simd * 1e6), 0);
md.push('', `One Newton-Schulz iteration on a 784x256 weight (the three products above): ${nsMs.toFixed(2)} ms (simd); five iterations ${(5 * nsMs).toFixed(1)} ms.`);
const text = md.join('\n');
console.log(text);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const out = new URL('results/', import.meta.url);
mkdirSync(out, { recursive: true });
writeFileSync(new URL(`gemm-${stamp}.json`, out), JSON.stringify({ theory: { ...THEORY, ...theory }, peak, peaks, rows, samples, rounds: ROUNDS }, null, 1));
writeFileSync(new URL(`gemm-${stamp}.md`, out), `${text}\n`);
