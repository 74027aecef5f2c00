// The benchmark suite: `npm run bench` (full, < 10 minutes on 2 cores) or
// `npm run bench -- --quick` (a subset, about a minute). See bench/README.md.
//
// Every implementation runs in its own worker (its own V8 isolate), one
// worker per size and implementation, in this order for each size:
// plain JS, wasm-optim, TF.js wasm, TF.js cpu, plain JS again (full run), so
// the ratios compare measurements taken minutes apart at most. The main
// thread only plans, prints and writes the results.
import os from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as lib from 'wasm-optim';
import { OPTIMIZERS, optimizerByName } from './optimizers.mjs';
import { SIZES, parseSize, sizeLabel } from './lib/common.mjs';
import { runWorker } from './lib/pool.mjs';
import { analyse, printReport, progressLine } from './lib/report.mjs';
import { writeCharts } from './lib/charts.mjs';

/** The benches that run as their own script (bench/<name>.mjs) and only when --only names them: gemm (the matrix products), threads (1 vs 2 threads), averaging (AveragedParams.update). */
const STANDALONE = ['gemm', 'threads', 'averaging', 'eightbit'];
const VARIANTS = ['copy', 'copy-nocheck', 'zero-copy', 'zero-copy-nocheck'];
/** From this size on, each kernel is also timed in rounds paired with the bandwidth probe. */
const PROBE_AT_N = 1 << 24;
/**
 * The bandwidth probe sweeps 1 GiB: past this Xeon's 300 MiB L3, so it streams from DRAM
 * (a 256 MB probe partly ran from cache). A 16M kernel touches 128-448 MB (its byte model
 * times 16M), part of which the L3 can hold: a share above 100% means exactly that.
 */
const PROBE_MB = 1024;
const MLP = { sizes: [784, 256, 10], batch: 32 };
const TFJS_IMPLS = ['train.adam', 'tf.train.adam', 'toTfjs(Adam)'];
const TFJS_MICRO_OPS = 7;
const MANY = [
  { tensors: 1, size: 1_000_000 },
  { tensors: 50, size: 20_000 },
  { tensors: 1, size: 100_000 },
  { tensors: 1000, size: 100 },
];

/** What each run measures and how long each measurement may take. */
const PROFILES = {
  full: {
    // benchmark.js per case: samples of >= minTime s each, until maxTime s have passed and minSamples were taken
    timing: { minTime: 0.01, maxTime: 0.4, minSamples: 8, delay: 0.001 },
    sizes: SIZES,
    /** optimizers measured at a size (all of them unless listed) */
    onlyAt: {},
    tfjsCpuMaxN: 1 << 20, // TF.js cpu needs ~2 s per Adam step at 16M: left out there
    tfjsWasmMaxN: 1 << 24,
    jsIsolates: 2, // the plain-JS loop's speed varies between isolates: best of two
    scalar: 'all',
    probeRuns: 2, // the bandwidth probe runs first and last: the ceiling is the higher
    pairedRounds: 15,
    many: MANY,
    mlp: { seconds: 6, warmupSteps: 10, blockSteps: 5, minBlocks: 4 },
    // wasm-optim/tfjs vs tf.train: rounds of one applyGradients call after warm-up; model.fit epochs
    tfjsAdapter: { warmup: 3, minRounds: 15, minSec: 1.5, maxSec: 4, fitEpochs: 5 },
  },
  quick: {
    timing: { minTime: 0.005, maxTime: 0.1, minSamples: 5, delay: 0.001 },
    sizes: [1 << 14, 1 << 20, 1 << 24],
    onlyAt: { [1 << 24]: ['Adam'] },
    tfjsCpuMaxN: 1 << 20,
    tfjsWasmMaxN: 1 << 24,
    // plain JS needs a full run's time boxes and isolates to be optimized by V8: a quick run
    // timed it ~4x slower, so it leaves it (and the speedups over it) out
    jsIsolates: 0,
    scalar: ['Adam'],
    probeRuns: 1,
    pairedRounds: 7,
    many: MANY,
    mlp: { seconds: 2, warmupSteps: 3, blockSteps: 3, minBlocks: 2 },
    tfjsAdapter: { warmup: 1, minRounds: 5, minSec: 0.2, maxSec: 1, fitEpochs: 2 },
  },
};

function parseArgs(argv) {
  const args = { profile: 'full', sections: ['probe', 'kernels', 'many', 'mlp', 'tfjs'], out: 'bench/results' };
  for (const a of argv) {
    const [key, value] = a.split('=');
    if (key === '--quick') args.profile = 'quick';
    else if (key === '--full') args.profile = 'full';
    else if (key === '--sizes') args.sizes = value.split(',').map(parseSize);
    else if (key === '--optimizers') args.optimizers = value.split(',');
    else if (key === '--only') args.sections = value.split(',');
    else if (key === '--no-tfjs') args.noTfjs = true;
    else if (key === '--out') args.out = value;
    else if (key === '--report') args.report = value;
    else if (key === '--help' || key === '-h') {
      console.log(
        'npm run bench -- [--quick] [--sizes=1K,16K,...] [--optimizers=Adam,SGD] [--only=probe,kernels,many,mlp,tfjs,gemm,threads,averaging,eightbit,jaxjs] [--no-tfjs] [--out=dir]\n' +
          '  (gemm, the matrix products of bench/gemm.mjs, threads, 1 vs 2 threads of bench/threads.mjs, and averaging, AveragedParams.update\n' +
          '   of bench/averaging.mjs, and jaxjs, Adam vs jax-js of bench/jaxjs.mjs and\n   bench/jaxjs-browser.mjs, run only when --only names them)\n' +
          'npm run bench -- --report=bench/results/<run>.json   (print the report and redraw the charts of a saved run)',
      );
      process.exit(0);
    } else throw new Error(`bench: unknown argument ${a} (try --help)`);
  }
  for (const s of args.sections) {
    if (!STANDALONE.concat(['probe', 'kernels', 'many', 'mlp', 'tfjs', 'jaxjs']).includes(s)) {
      throw new Error(`bench: --only takes probe, kernels, many, mlp, tfjs, ${STANDALONE.join(', ')}, jaxjs; got ${s}`);
    }
  }
  return args;
}

function gitCommit() {
  try {
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim() + (dirty ? '+changes' : '');
  } catch {
    return 'unknown';
  }
}

const pkgVersion = (name) => JSON.parse(readFileSync(new URL(`../node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;

/** Prints the report of a run and writes <base>.md and the charts next to <base>.json. */
async function report(results, meta, base) {
  const analysis = analyse(results, meta);
  const text = printReport(analysis);
  writeFileSync(`${base}.md`, `${text}\n`);
  const charts = await writeCharts(analysis, base);
  return { analysis, written: [`${base}.md`, ...charts] };
}

const args = parseArgs(process.argv.slice(2));
if (args.report) {
  const saved = JSON.parse(readFileSync(args.report, 'utf8'));
  const { written } = await report(saved.results, saved.meta, args.report.replace(/\.json$/, ''));
  console.log(`\n${written.map((f) => `wrote ${f}`).join('\n')}`);
  process.exit(0);
}
// --only=gemm, threads, averaging, eightbit: bench/<name>.mjs (its own process and flags, its own report
// in bench/results/<name>-<stamp>.md), then the rest if asked
for (const name of STANDALONE) {
  if (!args.sections.includes(name)) continue;
  const { status } = spawnSync(process.execPath, [fileURLToPath(new URL(`./${name}.mjs`, import.meta.url)), ...(args.profile === 'quick' ? ['--quick'] : [])], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
  args.sections = args.sections.filter((s) => s !== name);
  if (args.sections.length === 0) process.exit(0);
}
// --only=jaxjs: bench/jaxjs.mjs (Adam vs the jax-js peer in Node, its own report), then
// bench/jaxjs-browser.mjs (the same in a cross-origin isolated Chromium page, where jax-js
// has threads), then the rest if asked
if (args.sections.includes('jaxjs')) {
  for (const script of ['./jaxjs.mjs', './jaxjs-browser.mjs']) {
    const { status } = spawnSync(process.execPath, [fileURLToPath(new URL(script, import.meta.url)), ...(args.profile === 'quick' ? ['--quick'] : [])], { stdio: 'inherit' });
    if (status !== 0) process.exit(status ?? 1);
  }
  args.sections = args.sections.filter((s) => s !== 'jaxjs');
  if (args.sections.length === 0) process.exit(0);
}
const profile = PROFILES[args.profile];
const sizes = args.sizes ?? profile.sizes;
// every registered optimizer (bench/optimizers.mjs reads the registry), or the ones asked for
const chosen = OPTIMIZERS.filter((o) => !args.optimizers || args.optimizers.includes(o.name));
for (const name of args.optimizers ?? []) {
  if (!OPTIMIZERS.some((o) => o.name === name)) throw new Error(`bench: --optimizers: ${name} is not a registered optimizer (have: ${lib.optimizerNames.join(', ')})`);
}

// ---- the plan: one job per worker, in run order ----
const worker = (name) => new URL(`./${name}`, import.meta.url);
const jobs = [];
const at = (n) => chosen.filter((o) => !profile.onlyAt[n] || profile.onlyAt[n].includes(o.name)).map((o) => o.name);
const probe = () => ({ label: 'memory bandwidth probe', file: worker('bandwidth-worker.mjs'), data: { timing: profile.timing, megabytes: PROBE_MB }, cases: 4, section: 'probe' });
if (args.sections.includes('probe')) jobs.push(probe());
if (args.sections.includes('kernels')) {
  for (const n of sizes) {
    const names = at(n);
    const js = (isolate) => ({
      label: `plain JS, n=${sizeLabel(n)} (isolate ${isolate})`,
      file: worker('js-worker.mjs'),
      data: { n, optimizers: names, timing: profile.timing, isolate },
      cases: names.filter((k) => lib.reference[k]).length,
      section: 'kernels',
    });
    if (profile.jsIsolates >= 1) jobs.push(js(1));
    const scalar = profile.scalar === 'all' ? names : names.filter((k) => profile.scalar.includes(k));
    jobs.push({
      label: `wasm-optim, n=${sizeLabel(n)}`,
      file: worker('wasm-worker.mjs'),
      data: { task: 'kernels', n, optimizers: names, variants: VARIANTS, scalar, timing: profile.timing, probeAtN: PROBE_AT_N, pairedRounds: profile.pairedRounds, probeMB: PROBE_MB },
      cases: names.length * VARIANTS.length + scalar.length + (n >= PROBE_AT_N ? names.length : 0),
      section: 'kernels',
    });
    for (const backend of ['wasm', 'cpu']) {
      if (args.noTfjs || n > (backend === 'cpu' ? profile.tfjsCpuMaxN : profile.tfjsWasmMaxN)) continue;
      const tfNames = names.filter((k) => optimizerByName(k).tfjs);
      if (!tfNames.length) continue;
      jobs.push({
        label: `TF.js ${backend}, n=${sizeLabel(n)}`,
        file: worker('tfjs-worker.mjs'),
        data: { backend, n, optimizers: tfNames, timing: profile.timing },
        cases: tfNames.length,
        section: 'kernels',
      });
    }
    for (let i = 2; i <= profile.jsIsolates; i++) jobs.push(js(i));
  }
}
if (args.sections.includes('many')) {
  jobs.push({
    label: 'wasm-optim Adam, many tensors',
    file: worker('wasm-worker.mjs'),
    data: { task: 'many', layouts: profile.many, variants: ['copy', 'zero-copy'], timing: profile.timing },
    cases: profile.many.length * 2,
    section: 'many',
  });
}
if (args.sections.includes('mlp')) {
  jobs.push({
    label: `MLP ${MLP.sizes.join('-')}, batch ${MLP.batch}: one training step with plain-JS Adam, wasm-optim Adam zero-copy and copy (interleaved)`,
    file: worker('mlp-worker.mjs'),
    data: { ...MLP, ...profile.mlp },
    cases: 3,
    section: 'mlp',
  });
}
if (args.sections.includes('tfjs') && !args.noTfjs) {
  // wasm-optim/tfjs vs tf.train, Adam(1e-3): each combination in its own worker, the three
  // implementations of one backend and layout back to back (their ratios compare neighbours)
  const data = { timing: profile.tfjsAdapter };
  const file = worker('tfjs-adapter-worker.mjs');
  for (const backend of ['cpu', 'wasm']) {
    jobs.push({ label: `TF.js ${backend}: data path at 1M (dataSync, tf.tensor, assign, copies)`, file, data: { ...data, task: 'micro', backend }, cases: TFJS_MICRO_OPS, section: 'tfjs' });
    for (const layout of ['1M', 'mlp20']) {
      for (const impl of TFJS_IMPLS) {
        jobs.push({ label: `TF.js ${backend}, ${layout === '1M' ? 'one variable of 1M' : '20 variables (MLP kernels and biases, 1.05M)'}: ${impl}.applyGradients`, file, data: { ...data, task: 'apply', backend, layout, impl }, cases: 1, section: 'tfjs' });
      }
    }
    for (const impl of ['train.adam', 'tf.train.adam']) {
      jobs.push({ label: `TF.js ${backend}: one model.fit epoch (784-64-10, 512 samples, batch 32) with ${impl}`, file, data: { ...data, task: 'fit', backend, impl }, cases: 1, section: 'tfjs' });
    }
  }
}
if (args.sections.includes('probe')) for (let i = 2; i <= profile.probeRuns; i++) jobs.push(probe());

// ---- run ----
const started = new Date();
const t0 = performance.now();
const load0 = os.loadavg();
const total = jobs.reduce((s, j) => s + j.cases, 0);
console.log(
  `wasm-optim benchmark (${args.profile}): ${total} measurements in ${jobs.length} workers\n` +
    `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.availableParallelism()} cores, Node ${process.version} (V8 ${process.versions.v8}), ` +
    `load average ${load0.map((x) => x.toFixed(2)).join(' ')}`,
);
/** @type {Record<'probe' | 'kernels' | 'many' | 'mlp' | 'tfjs', any[]>} the records, as the workers post them */
const results = { probe: [], kernels: [], many: [], mlp: [], tfjs: [] };
const errors = [];
let done = 0;
for (const job of jobs) {
  console.log(`\n${job.label}`);
  let records = [];
  try {
    records = await runWorker(job.file, job.data, (record) => {
      done++;
      console.log(progressLine(record, done, total, (performance.now() - t0) / 1000));
    });
  } catch (e) {
    // One failing worker (e.g. a TF.js backend that does not load) leaves a gap, not a lost run.
    console.error(`  FAILED: ${job.label}: ${e instanceof Error ? e.stack : e}`);
    errors.push({ job: job.label, error: String(e instanceof Error ? e.message : e) });
  }
  if (job.section === 'probe') records.forEach((r) => (r.run = results.probe.filter((x) => x.variant === r.variant).length + 1));
  results[job.section].push(...records);
}
const wallSec = (performance.now() - t0) / 1000;

// ---- report ----
const meta = {
  profile: args.profile,
  argv: process.argv.slice(2),
  started: started.toISOString(),
  wallSec,
  errors,
  commit: gitCommit(),
  node: process.version,
  v8: process.versions.v8,
  cpu: os.cpus()[0]?.model,
  cores: os.availableParallelism(),
  memoryGB: os.totalmem() / 2 ** 30,
  loadavgStart: load0,
  loadavgEnd: os.loadavg(),
  versions: Object.fromEntries(
    ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'assemblyscript', 'benny'].map((k) => [k, pkgVersion(k)]),
  ),
  wasmOptim: { version: JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version, simdSupported: lib.simdSupported() },
  timing: profile.timing,
  byteModel: Object.fromEntries(OPTIMIZERS.map((o) => [o.name, o.bytes])),
  probeMB: PROBE_MB,
  tfjs: { cpuMaxN: profile.tfjsCpuMaxN, wasmMaxN: profile.tfjsWasmMaxN, adapterTiming: profile.tfjsAdapter },
};
mkdirSync(args.out, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
const base = `${args.out}/bench-${args.profile}-${stamp}`;
const { analysis, written } = await report(results, meta, base);
writeFileSync(`${base}.json`, JSON.stringify({ meta, summary: analysis.summary, targets: analysis.targets, results }, null, 1));
console.log(`\nwrote ${base}.json${written.map((f) => `\nwrote ${f}`).join('')}`);
console.log(`wall time ${formatDuration(wallSec)}`);
if (errors.length) {
  console.error(`${errors.length} worker(s) failed: ${errors.map((e) => e.job).join('; ')}`);
  process.exitCode = 1;
}

function formatDuration(s) {
  return `${Math.floor(s / 60)}:${String(Math.floor(s % 60)).padStart(2, '0')} (${s.toFixed(1)} s)`;
}
