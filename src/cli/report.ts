// The comparison's HTML report: one self-contained file (inline CSS and
// SVG, no script, no external resource), so it opens offline anywhere.
import type { CompareResult, MethodName, RunResult } from './compare.js';
import { FUNCTION_SETTINGS, METHOD_DEFS, METHODS } from './compare.js';
import { contourChart, lineChart, type Marker, type Point, type Series } from './svg.js';
import { conclusion, tableRows } from './table.js';
import { plural } from '../validate.js';
import { testFunctions } from '../data/functions.js';

/** One colour per method (Tableau 10, then Tableau 20's light tones), fixed so every chart agrees. */
export const COLORS: Readonly<Record<MethodName, string>> = Object.freeze(
  Object.fromEntries(
    METHODS.map((m, i) => [
      m,
      [
        '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#9c755f', '#ff9da7', '#bab0ac',
        '#1f3b73', '#a0cbe8', '#8cd17d', '#499894', '#86bcb6', '#f1ce63', '#d37295',
      ][i % 17]!,
    ]),
  ),
);

export interface ReportMeta {
  /** the command line that produced it */
  command: string;
  /** e.g. "wasm-optim 0.1.0, Node v20.20.2, simd build" */
  versions: string;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 18px 24px; color: #1d2733; background: #fff; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 18px 0 6px; }
p.meta { margin: 2px 0; color: #44505c; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; margin: 6px 0; }
th, td { padding: 3px 10px; border-bottom: 1px solid #e3e7ec; white-space: nowrap; }
th { background: #f3f5f8; font-weight: 600; }
td.num, th.num { text-align: right; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 16px; margin: 8px 0; }
/* Charts scale with the page (width 100% of their grid cell, height from the
   viewBox): 3 (or 4) to a row from about 1,100 px, fewer on narrower windows,
   never wider than the window. */
.grid3 { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 340px), 1fr)); gap: 6px 12px; max-width: 1400px; }
.grid4 { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 270px), 1fr)); gap: 2px 8px; max-width: 1400px; }
svg.chart { background: #fff; display: block; width: 100%; height: auto; }
.scroll { overflow-x: auto; max-width: 100%; }
p.conclusion { font-size: 15px; margin: 8px 0; max-width: 80ch; }
svg .title { font: 600 13px system-ui, sans-serif; fill: #1d2733; }
svg .subtitle { font: 11px system-ui, sans-serif; fill: #5b6673; }
svg .tick { font: 10.5px system-ui, sans-serif; fill: #5b6673; }
svg .axis { font: 11.5px system-ui, sans-serif; fill: #33404d; }
svg .grid { stroke: #e3e7ec; stroke-width: 1; }
svg .minor { stroke: #f4f5f7; }
svg .frame { fill: none; stroke: #b9c2cc; stroke-width: 1; }
svg .hline { stroke: #555; stroke-width: 1; stroke-dasharray: 4 3; }
svg .hlabel { font: 10.5px system-ui, sans-serif; fill: #444; }
.note { color: #5b6673; font-size: 12.5px; max-width: 100ch; }
footer { margin-top: 14px; color: #5b6673; font-size: 12px; }
`;

/** Per-bin mean and min..max of a long series, so noise stays visible when drawn. */
export function envelope(values: readonly number[], bins: number, xOf: (i: number) => number): { mean: Point[]; band: [number, number, number][] } {
  const mean: Point[] = [];
  const band: [number, number, number][] = [];
  const per = Math.max(1, Math.ceil(values.length / bins));
  for (let s = 0; s < values.length; s += per) {
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    let k = 0;
    for (let i = s; i < Math.min(values.length, s + per); i++) {
      const v = Math.max(values[i]!, 1e-5);
      if (!Number.isFinite(v)) continue;
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
      sum += v;
      k++;
    }
    if (k === 0) continue;
    const xm = xOf(s + (Math.min(values.length, s + per) - s - 1) / 2);
    mean.push([xm, sum / k]);
    band.push([xm, lo, hi]);
  }
  return { mean, band };
}

function epochSeries(r: RunResult, values: readonly number[]): Point[] {
  return values.map((v, e) => [e, v] as const);
}

/** The report as one HTML string. */
export function renderReport(result: CompareResult, meta: ReportMeta): string {
  const cfg = result.config;
  const runs = result.runs;
  const color = (m: MethodName) => COLORS[m] ?? '#888888';
  const W = 430;
  const Hc = 300;
  const target = { y: cfg.targetLoss, label: `target ${cfg.targetLoss}` };

  // Table
  const rows = tableRows(result);
  const head = rows[0]!.map((t, j) => `<th class="${j === 0 ? '' : 'num'}">${esc(t)}</th>`).join('');
  const body = rows
    .slice(1)
    .map((row, i) => {
      const r = runs[i]!;
      const cells = row
        .map((c, j) => (j === 0 ? `<td><span class="swatch" style="background:${color(r.method)}"></span>${esc(c)}</td>` : `<td class="num">${esc(c)}</td>`))
        .join('');
      return `<tr title="${esc(r.uses)}">${cells}</tr>`;
    })
    .join('\n');

  const legend = runs
    .map((r) => `<span><span class="swatch" style="background:${color(r.method)}"></span>${esc(r.label)} <small>(${esc(r.uses)})</small></span>`)
    .join('');

  // Loss curves
  const trainChart = lineChart({
    title: 'Training loss (full training set) per epoch', xLabel: 'epoch', yLabel: 'cross-entropy', x: 'linear', y: 'log',
    width: W, height: Hc, hline: target,
    series: runs.map((r) => ({ label: r.label, color: color(r.method), points: epochSeries(r, r.trainLoss) })),
  });
  const testChart = lineChart({
    title: 'Test loss per epoch', xLabel: 'epoch', yLabel: 'cross-entropy', x: 'linear', y: 'log', width: W, height: Hc,
    series: runs.map((r) => ({ label: r.label, color: color(r.method), points: epochSeries(r, r.testLoss) })),
  });
  const accChart = lineChart({
    title: 'Test accuracy per epoch', xLabel: 'epoch', yLabel: 'accuracy', x: 'linear', y: 'linear', width: W, height: Hc,
    yFormat: (v) => `${Math.round(v * 100)}%`,
    series: runs.map((r) => ({ label: r.label, color: color(r.method), points: epochSeries(r, r.testAccuracy) })),
  });
  const stepsChart = lineChart({
    title: 'Training loss per optimizer step', xLabel: 'optimizer steps (log)', yLabel: 'cross-entropy', x: 'log', y: 'log',
    width: W, height: Hc, hline: target,
    series: runs.map((r) => ({
      label: r.label, color: color(r.method),
      points: r.trainLoss.map((v, e) => [Math.max(1, e * r.stepsPerEpoch), v] as const).slice(1),
      dots: r.stepsPerEpoch * r.epochs <= 40,
    })),
  });
  const timeChart = lineChart({
    title: 'Training loss against wall time', xLabel: 'training time (ms, without evaluation)', yLabel: 'cross-entropy',
    x: 'linear', y: 'log', width: W, height: Hc, hline: target,
    series: runs.map((r) => ({
      label: r.label, color: color(r.method),
      points: r.trainLoss.map((v, e) => [(r.wallMs * e) / Math.max(1, r.epochs), v] as const),
    })),
  });

  // Learning-rate sensitivity
  let sweepChart = '';
  if (result.sweep.length) {
    const finite = result.sweep.flatMap((s) => s.loss.filter((l) => Number.isFinite(l)));
    const top = finite.length ? Math.max(...finite) : 1;
    const markers: Marker[] = [];
    const series: Series[] = result.sweep.map((s) => {
      s.lrs.forEach((lr, i) => {
        const l = s.loss[i]!;
        if (!Number.isFinite(l)) markers.push({ x: lr, y: top * 1.6, color: color(s.method), shape: 'cross', title: `${METHOD_DEFS[s.method]!.label} lr=${lr}: diverged` });
        else if (lr === s.best) markers.push({ x: lr, y: l, color: color(s.method), shape: 'ring', title: `${METHOD_DEFS[s.method]!.label}: chosen lr=${lr}` });
      });
      return {
        label: METHOD_DEFS[s.method]!.label, color: color(s.method), dots: true,
        points: s.lrs.map((lr, i) => [lr, s.loss[i]!] as const),
      };
    });
    const lo = finite.length ? Math.min(...finite) : 0.1;
    sweepChart = lineChart({
      title: `Learning-rate sweep: training loss after ${plural(cfg.sweepEpochs, 'epoch')}`, xLabel: 'learning rate (log; ring: chosen, x: diverged)',
      yLabel: 'cross-entropy', x: 'log', y: 'log', width: W, height: Hc, series, markers,
      yDomain: [lo / 1.5, top * 2.2],
    });
  }

  // Noise: every step's mini-batch loss
  const noiseCharts = runs.map((r) => {
    const env = envelope(r.stepLoss, 220, (i) => (i + 1) / r.stepsPerEpoch);
    return lineChart({
      title: `${r.label}: loss of each step`, xLabel: 'epoch', yLabel: 'batch loss', x: 'linear', y: 'log', width: 332, height: 190,
      xDomain: [0, Math.max(1, r.epochs)], yDomain: [1e-4, 10],
      series: [
        { label: `${r.label}: batch losses (mean and range per bin)`, color: color(r.method), points: env.mean, band: env.band, width: 1 },
        { label: `${r.label}: full training loss`, color: '#222', points: epochSeries(r, r.trainLoss), width: 1.4, dash: '3 2' },
      ],
    });
  });

  // Trajectories
  const fnCharts = (Object.keys(FUNCTION_SETTINGS) as (keyof typeof FUNCTION_SETTINGS)[])
    .filter((f) => result.trajectories.some((t) => t.fn === f))
    .map((f) => {
      const fn = testFunctions[f];
      const ts = result.trajectories.filter((t) => t.fn === f);
      return contourChart({
        title: `${f[0]!.toUpperCase()}${f.slice(1)}: ${FUNCTION_SETTINGS[f].steps} steps from (${fn.start.join(', ')})`,
        subtitle: `f = ${fn.formula}`,
        width: W, height: 440, domain: fn.domain, value: fn.value, minValue: fn.minValue, minima: fn.minima, start: fn.start,
        // the noisiest paths first, so the others stay visible on top
        paths: [...ts].sort((a, b) => b.noise - a.noise).map((t) => ({
          label: `${METHOD_DEFS[t.method]!.label}, lr ${t.lr}${t.noise ? `, noise ${+t.noise.toFixed(3)}` : ''}: f = ${t.finalValue.toPrecision(3)}${t.diverged ? ' (diverged)' : ''}`,
          color: color(t.method), x: t.x, y: t.y,
        })),
      });
    });
  const fnTable = result.trajectories.length
    ? `<table><tr><th>method</th>${Object.keys(FUNCTION_SETTINGS)
        .map((f) => `<th class="num">${f}: lr</th><th class="num">final f</th>`)
        .join('')}</tr>${cfg.optimizers
        .map(
          (m) =>
            `<tr><td><span class="swatch" style="background:${color(m)}"></span>${esc(METHOD_DEFS[m]!.label)}</td>${Object.keys(FUNCTION_SETTINGS)
              .map((f) => {
                const t = result.trajectories.find((q) => q.fn === f && q.method === m);
                return t ? `<td class="num">${t.lr}</td><td class="num">${t.diverged ? 'diverged' : t.finalValue.toPrecision(3)}</td>` : '<td></td><td></td>';
              })
              .join('')}</tr>`,
        )
        .join('')}</table>`
    : '';

  const totalSec = (result.totalMs / 1000).toFixed(1);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wasm-optim: optimizer comparison on ${esc(result.datasetName)}</title>
<style>${CSS}</style></head>
<body>
<h1>Optimizer comparison: ${esc(result.modelName)} on ${esc(result.datasetName)}</h1>
<p class="meta">Same model, same initial weights (seed ${cfg.seed}), same shuffled order; ${plural(cfg.epochs, 'epoch')} each over ${plural(result.trainSize, 'training example')}
(${result.testSize} held out for testing); ${plural(result.params, 'parameter')}. GD uses every example per step, SGD one, every other method mini-batches of ${cfg.batchSize}.
Learning rates: the best of a ${cfg.sweepSteps.length}-point sweep per method${cfg.sweepEpochs ? ` (${plural(cfg.sweepEpochs, 'epoch')} each, lowest training loss)` : ''} unless fixed on the command line.</p>
<p class="meta">Wall time is training time without the per-epoch evaluation; "in opt.step" is the time inside the optimizer's WebAssembly step. Whole run: ${totalSec} s.</p>
<h2>Results</h2>
<div class="scroll"><table><tr>${head}</tr>
${body}</table></div>
<p class="conclusion">${esc(conclusion(result))}</p>
<div class="legend">${legend}</div>
<h2>Convergence</h2>
<div class="grid3">${trainChart}${testChart}${accChart}${stepsChart}${timeChart}${sweepChart}</div>
<h2>Noise: the loss of every step (band: range within a bin; dashed: full training loss)</h2>
<div class="grid4">${noiseCharts.join('')}</div>
${
  fnCharts.length
    ? `<h2>Trajectories on 2-D test functions</h2>
<p class="note">Each method starts at the white circle and runs the stated number of steps; + marks the minimum, a coloured dot where each method ended. GD sees the exact gradient; SGD sees it plus Gaussian noise
(standard deviation: rosenbrock ${FUNCTION_SETTINGS.rosenbrock.noise}, beale ${FUNCTION_SETTINGS.beale.noise}, saddle ${FUNCTION_SETTINGS.saddle.noise}),
the mini-batch methods the same noise divided by sqrt(${cfg.batchSize}). Learning rates are in the table below.</p>
<div class="grid3">${fnCharts.join('')}</div>
<div class="scroll">${fnTable}</div>`
    : ''
}
<footer>
<p>Data: ${esc(result.datasetNote)}</p>
<p>Produced by <code>${esc(meta.command)}</code> with ${esc(meta.versions)}. This file is self-contained: inline SVG and CSS, no scripts, nothing fetched.</p>
</footer>
</body></html>
`;
}
