// Weight-averaging benchmark: AveragedParams.update (SWA and EMA) against the same
// formula as a plain JavaScript loop over Float32Arrays, at several parameter counts.
// An update reads the current parameters once (copied into WebAssembly memory), reads
// and writes the average once: 16 bytes of traffic per element at least (copy 8, kernel 12,
// the copy's destination staying in cache for small tensors).
//
// Usage:
//   npm run build && node bench/averaging.mjs [--rounds=7] [--quick]
//
// Times are CPU time of this process (process.cpuUsage); the table gives the median
// over rounds of ns per element and GB/s of the 16-byte floor.
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
console.log(`AveragedParams.update, median of ${ROUNDS} rounds, CPU ms per update -> ns/element (GB/s at 16 B/element)`);
console.log('| elements | SWA wasm | EMA wasm | SWA plain JS | EMA plain JS | SWA speed-up | EMA speed-up |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  const f = (xs) => { const ms = median(xs); const ns = (ms * 1e6) / r.n; return `${ns.toFixed(2)} ns (${(16 / ns).toFixed(1)} GB/s)`; };
  const sp = (a, b) => `${(median(b) / median(a)).toFixed(1)}x`;
  console.log(`| ${r.n} | ${f(r.wasmSwa)} | ${f(r.wasmEma)} | ${f(r.jsSwa)} | ${f(r.jsEma)} | ${sp(r.wasmSwa, r.jsSwa)} | ${sp(r.wasmEma, r.jsEma)} |`);
}
