// Weight-averaging benchmark: AveragedParams.update (SWA and EMA) against the same
// formula as a plain JavaScript loop over Float32Arrays, at several parameter counts.
// An update reads the current parameters once (copied into WebAssembly memory), reads
// and writes the average once: 16 bytes of traffic per element at least (copy 8, kernel 12,
// the copy's destination staying in cache for small tensors).
//
// Usage:
//   npm run bench -- --only=averaging [--quick]
//   npm run build && node bench/averaging.mjs [--rounds=7] [--quick]
//
// Times are CPU time of this process (process.cpuUsage); the table gives the median
// over rounds of ns per element and GB/s of the 16-byte floor.
// Writes bench/results/averaging-<stamp>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { AveragedParams, ready } from '../dist/index.js';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
const SAMPLE_MS = QUICK ? 30 : 100;
const SIZES = [1 << 12, 1 << 16, 1 << 20, 1 << 22];

const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };

function time(fn) {
  fn();
  let reps = 0;
  const t0 = cpuMs();
  let t = t0;
  while (t - t0 < SAMPLE_MS) {
    fn();
    reps++;
    t = cpuMs();
  }
  return (t - t0) / reps;
}

function jsSwa(avg, cur, k) {
  for (let i = 0; i < avg.length; i++) avg[i] = Math.fround(avg[i] + Math.fround(Math.fround(cur[i] - avg[i]) / k));
}
function jsEma(avg, cur, w) {
  for (let i = 0; i < avg.length; i++) avg[i] = avg[i] + w * (cur[i] - avg[i]);
}

await ready();
const rows = [];
for (const n of SIZES) {
  const cur = [new Float32Array(n).map((_, i) => Math.sin(i))];
  /** @type {{ n: number, wasmSwa: number[], wasmEma: number[], jsSwa: number[], jsEma: number[] }} */
  const res = { n, wasmSwa: [], wasmEma: [], jsSwa: [], jsEma: [] };
  for (let r = 0; r < ROUNDS; r++) {
    const swa = new AveragedParams(cur);
    swa.update(cur);
    res.wasmSwa.push(time(() => swa.update(cur)));
    swa.dispose();
    const ema = new AveragedParams(cur, { mode: 'ema', decay: 0.999 });
    ema.update(cur);
    res.wasmEma.push(time(() => ema.update(cur)));
    ema.dispose();
    const avg = cur[0].slice();
    res.jsSwa.push(time(() => jsSwa(avg, cur[0], 3)));
    res.jsEma.push(time(() => jsEma(avg, cur[0], 0.001)));
  }
  rows.push(res);
}
const meta = { date: new Date().toISOString(), node: process.version, cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(), rounds: ROUNDS, sampleMs: SAMPLE_MS };
const f = (r, xs) => { const ms = median(xs); const ns = (ms * 1e6) / r.n; return `${ns.toFixed(2)} ns (${(16 / ns).toFixed(1)} GB/s)`; };
const sp = (a, b) => `${(median(b) / median(a)).toFixed(1)}x`;
const lines = [
  `# AveragedParams.update (SWA and EMA), median of ${ROUNDS} rounds: CPU time per element (GB/s at 16 B/element)`,
  '',
  `${meta.date}, Node ${meta.node}, ${meta.cpus} CPUs (${meta.cpu}), load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}`,
  '',
  '| elements | SWA wasm | EMA wasm | SWA plain JS | EMA plain JS | SWA speed-up | EMA speed-up |',
  '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.n} | ${f(r, r.wasmSwa)} | ${f(r, r.wasmEma)} | ${f(r, r.jsSwa)} | ${f(r, r.jsEma)} | ${sp(r.wasmSwa, r.jsSwa)} | ${sp(r.wasmEma, r.jsEma)} |`),
];
console.log(`\n${lines.join('\n')}`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const base = new URL(`results/averaging-${meta.date.replace(/[:.]/g, '-')}`, import.meta.url).pathname;
const ms = (xs) => median(xs);
writeFileSync(`${base}.json`, JSON.stringify({ meta, rows: rows.map((r) => ({ n: r.n, msPerUpdate: { wasmSwa: ms(r.wasmSwa), wasmEma: ms(r.wasmEma), jsSwa: ms(r.jsSwa), jsEma: ms(r.jsEma) }, samples: r })) }, null, 1));
writeFileSync(`${base}.md`, `${lines.join('\n')}\n`);
console.log(`\nwrote ${base}.md`);
