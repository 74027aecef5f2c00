// Charts of a run:
//   <base>.chart.html      benny's bar chart (Chart.js) of steps per second at 1M:
//                          every optimizer, every implementation
//   <base>.adam.chart.html the same for Adam alone, with every wasm-optim path
//   <base>.svg             ns per element vs n, log-log, one panel per optimizer,
//                          with the memory-bandwidth floor (static SVG for the README)
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import { OPTIMIZERS, optimizerByName } from '../optimizers.mjs';
import { sizeLabel } from './common.mjs';

const require = createRequire(import.meta.url);
// benny's own file writer, fed with our summary (benny's suites each live in one worker).
const prepareFileContent = require('benny/lib/internal/prepareFileContent.js').default;

const SERIES = [
  { key: 'copy', label: 'wasm-optim (default: copy)', color: '#1f5fbf', dash: '' },
  { key: 'kernel', label: 'wasm-optim kernel (zero-copy, no check)', color: '#27a9c9', dash: '5 3' },
  { key: 'js', label: 'plain JS loop', color: '#e8871e', dash: '' },
  { key: 'tfjsWasm', label: 'TF.js wasm', color: '#2e9e44', dash: '' },
  { key: 'tfjsCpu', label: 'TF.js cpu', color: '#c83232', dash: '' },
];

/** Writes the charts; returns their paths. */
export async function writeCharts({ summary, meta }, base) {
  const written = [];
  const n = 1 << 20;
  const at1M = summary.kernels.filter((r) => r.n === n);
  if (at1M.length) {
    const bars = [];
    for (const r of at1M) {
      for (const s of SERIES.filter((s) => s.key !== 'kernel')) if (r[s.key]) bars.push({ name: `${r.optimizer}: ${s.label}`, sec: (r[s.key].ns * n) / 1e9, rme: r[s.key].rme });
    }
    written.push(bennyChart(`${base}.chart.html`, `Steps per second at n = 1M (${meta.cpu}, ${meta.started.slice(0, 10)})`, bars, meta));
    const adam = at1M.find((r) => r.optimizer === 'Adam');
    if (adam) {
      const keys = [['copy', 'wasm-optim: step(grads), the default'], ['copyNocheck', 'wasm-optim: step(grads), checkFinite false'], ['zeroCopy', 'wasm-optim: zero-copy step()'], ['kernel', 'wasm-optim: zero-copy, checkFinite false'], ['scalar', 'wasm-optim scalar build (zero-copy, no check)'], ['js', 'plain JS loop'], ['tfjsWasm', 'TF.js wasm'], ['tfjsCpu', 'TF.js cpu']];
      const bars2 = keys.filter(([k]) => adam[k]).map(([k, label]) => ({ name: label, sec: (adam[k].ns * n) / 1e9, rme: adam[k].rme }));
      written.push(bennyChart(`${base}.adam.chart.html`, 'Adam, n = 1M: steps per second', bars2, meta));
    }
  }
  if (summary.kernels.length) {
    writeFileSync(`${base}.svg`, svgChart(summary, meta));
    written.push(`${base}.svg`);
  }
  return written;
}

function bennyChart(file, title, bars, meta) {
  const results = bars.map((b) => ({ name: b.name, ops: 1 / b.sec, margin: Number((b.rme ?? 0).toFixed(2)) }));
  const fastest = results.reduce((best, r, i) => (r.ops > results[best].ops ? i : best), 0);
  const slowest = results.reduce((worst, r, i) => (r.ops < results[worst].ops ? i : worst), 0);
  for (const r of results) r.percentSlower = Number(((1 - r.ops / results[fastest].ops) * 100).toFixed(2));
  const summary = {
    name: title,
    date: new Date(meta.started),
    results,
    fastest: { name: results[fastest].name, index: fastest },
    slowest: { name: results[slowest].name, index: slowest },
  };
  writeFileSync(file, prepareFileContent(summary, { format: 'chart.html' }));
  return file;
}

/** Small multiples: ns/elem against n on log-log axes, one panel per optimizer. */
function svgChart(summary, meta) {
  const names = OPTIMIZERS.map((o) => o.name).filter((name) => summary.kernels.some((r) => r.optimizer === name));
  const sizes = [...new Set(summary.kernels.map((r) => r.n))].sort((a, b) => a - b);
  const cols = Math.min(3, names.length);
  const rowsN = Math.ceil(names.length / cols);
  const W = 330, H = 250, ml = 52, mr = 12, mt = 30, mb = 36, legendH = 70;
  const width = cols * W, height = rowsN * H + legendH + 34;
  const values = summary.kernels.flatMap((r) => SERIES.map((s) => r[s.key]?.ns)).filter((v) => v > 0);
  const floors = summary.bandwidth.rmwGBs ? summary.kernels.map((r) => r.bytes / summary.bandwidth.rmwGBs) : [];
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...values, ...floors))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...values))));
  const lx0 = Math.log2(sizes[0]), lx1 = Math.log2(sizes[sizes.length - 1]);
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="11">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">ns per element per step (log scale; lower is better) vs number of parameters</text>`);
  names.forEach((name, i) => {
    const ox = (i % cols) * W, oy = 30 + Math.floor(i / cols) * H;
    const pw = W - ml - mr, ph = H - mt - mb;
    const X = (n) => ox + ml + (sizes.length > 1 ? ((Math.log2(n) - lx0) / (lx1 - lx0)) * pw : pw / 2);
    const Y = (v) => oy + mt + (1 - (Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
    const o = optimizerByName(name);
    out.push(`<text x="${ox + ml + pw / 2}" y="${oy + mt - 8}" text-anchor="middle" font-size="12" font-weight="bold">${name} (${o.bytes} B/elem)</text>`);
    out.push(`<rect x="${ox + ml}" y="${oy + mt}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
    for (let e = Math.log10(lo); e <= Math.log10(hi) + 1e-9; e++) {
      const v = Math.pow(10, e);
      out.push(`<line x1="${ox + ml}" x2="${ox + ml + pw}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}" stroke="#e4e4e4"/>`);
      out.push(`<text x="${ox + ml - 4}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${v >= 1 ? v : v.toPrecision(1)}</text>`);
    }
    for (const n of sizes) out.push(`<text x="${X(n).toFixed(1)}" y="${oy + mt + ph + 14}" text-anchor="middle">${sizeLabel(n)}</text>`);
    const rows = summary.kernels.filter((r) => r.optimizer === name).sort((a, b) => a.n - b.n);
    if (summary.bandwidth.rmwGBs) {
      const f = o.bytes / summary.bandwidth.rmwGBs;
      out.push(`<line x1="${ox + ml}" x2="${ox + ml + pw}" y1="${Y(f).toFixed(1)}" y2="${Y(f).toFixed(1)}" stroke="#777" stroke-dasharray="2 3"/>`);
    }
    for (const s of SERIES) {
      const pts = rows.filter((r) => r[s.key]).map((r) => [X(r.n), Y(r[s.key].ns)]);
      if (!pts.length) continue;
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''} points="${pts.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ')}"/>`);
      for (const [x, y] of pts) out.push(`<circle cx="${x.toFixed(1)}" cy="${y.toFixed(1)}" r="2.5" fill="${s.color}"/>`);
    }
  });
  const ly = 30 + rowsN * H + 8;
  const legend = [...SERIES, ...(summary.bandwidth.rmwGBs ? [{ label: `bandwidth floor out of cache (B/elem ÷ ${summary.bandwidth.rmwGBs.toFixed(1)} GB/s)`, color: '#777', dash: '2 3' }] : [])];
  legend.forEach((s, i) => {
    const x = 20 + (i % 3) * (width / 3), y = ly + Math.floor(i / 3) * 18;
    out.push(`<line x1="${x}" x2="${x + 26}" y1="${y}" y2="${y}" stroke="${s.color}" stroke-width="2" ${s.dash ? `stroke-dasharray="${s.dash}"` : ''}/>`);
    out.push(`<text x="${x + 32}" y="${y + 4}">${s.label}</text>`);
  });
  out.push(`<text x="20" y="${height - 8}" fill="#555">${escapeXml(`${meta.profile} run ${meta.started.slice(0, 16)}Z, commit ${meta.commit}; ${meta.cpu}, ${meta.cores} cores, Node ${meta.node}; medians; npm run bench${meta.profile === 'quick' ? ' -- --quick' : ''}`)}</text>`);
  out.push('</svg>');
  return out.join('\n');
}

function escapeXml(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
