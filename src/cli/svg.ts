// Static SVG charts for the report: computed at report time with d3's
// scales, shapes and contours, emitted as plain markup (no script runs when
// the report is opened, and nothing is fetched).
import { contours } from 'd3-contour';
import { scaleLinear, scaleLog } from 'd3-scale';
import { area, line } from 'd3-shape';

export type Point = readonly [number, number];

export interface Series {
  label: string;
  color: string;
  points: readonly Point[];
  width?: number;
  opacity?: number;
  dash?: string;
  /** a band [x, low, high] drawn behind the line */
  band?: readonly (readonly [number, number, number])[];
  /** draw a dot at every point */
  dots?: boolean;
}

export interface Marker {
  x: number;
  y: number;
  color: string;
  shape: 'ring' | 'cross' | 'dot';
  title?: string;
}

export interface LineChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  x: 'linear' | 'log';
  y: 'linear' | 'log';
  width: number;
  height: number;
  series: readonly Series[];
  markers?: readonly Marker[];
  /** a horizontal reference line */
  hline?: { y: number; label: string };
  xDomain?: readonly [number, number];
  yDomain?: readonly [number, number];
  /** format of y tick labels */
  yFormat?: (v: number) => string;
}

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const num = (v: number): string => (Math.round(v * 10) / 10).toString();

let uid = 0;
/** A fresh id for clip paths (unique within one report). */
const nextId = (p: string): string => `${p}${++uid}`;

function extent(values: Iterable<number>, positive: boolean): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (!Number.isFinite(v) || (positive && v <= 0)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo === Infinity) return positive ? [0.1, 1] : [0, 1];
  if (lo === hi) return positive ? [lo / 2, hi * 2] : [lo - 1, hi + 1];
  return [lo, hi];
}

const M = { top: 34, right: 14, bottom: 40, left: 58 };

/** A line chart with axes, grid, title and optional bands and markers. */
export function lineChart(spec: LineChartSpec): string {
  const { width: W, height: H } = spec;
  const w = W - M.left - M.right;
  const h = H - M.top - M.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]);
  const xd = spec.xDomain ?? extent(xs, spec.x === 'log');
  const yd = spec.yDomain ?? extent(ys, spec.y === 'log');
  const x = (spec.x === 'log' ? scaleLog() : scaleLinear()).domain(xd).range([0, w]);
  const y = (spec.y === 'log' ? scaleLog() : scaleLinear()).domain(yd).range([h, 0]);
  if (!spec.xDomain) x.nice();
  if (!spec.yDomain) y.nice();
  const ok = (v: number, log: boolean) => Number.isFinite(v) && (!log || v > 0);
  const xt = x.ticks(spec.x === 'log' ? 5 : 6);
  const yt = y.ticks(spec.y === 'log' ? 5 : 5);
  const xf = x.tickFormat(spec.x === 'log' ? 5 : 6, spec.x === 'log' ? '~g' : undefined);
  const yf = spec.yFormat ?? y.tickFormat(5, spec.y === 'log' ? '~g' : undefined);
  const clip = nextId('clip');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" class="chart">`);
  out.push(`<defs><clipPath id="${clip}"><rect x="0" y="0" width="${w}" height="${h}"/></clipPath></defs>`);
  out.push(`<text x="${M.left}" y="18" class="title">${esc(spec.title)}</text>`);
  out.push(`<g transform="translate(${M.left},${M.top})">`);
  // grid and ticks
  for (const t of yt) {
    const py = num(y(t));
    const label = yf(t);
    out.push(`<line x1="0" x2="${w}" y1="${py}" y2="${py}" class="grid${label ? '' : ' minor'}"/>`);
    if (label) out.push(`<text x="-6" y="${py}" dy="0.32em" text-anchor="end" class="tick">${esc(label)}</text>`);
  }
  for (const t of xt) {
    const px = num(x(t));
    const label = xf(t);
    out.push(`<line x1="${px}" x2="${px}" y1="0" y2="${h}" class="grid${label ? '' : ' minor'}"/>`);
    if (label) out.push(`<text x="${px}" y="${h + 15}" text-anchor="middle" class="tick">${esc(label)}</text>`);
  }
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" class="frame"/>`);
  out.push(`<text x="${w / 2}" y="${h + 32}" text-anchor="middle" class="axis">${esc(spec.xLabel)}</text>`);
  out.push(`<text transform="translate(${-44},${h / 2}) rotate(-90)" text-anchor="middle" class="axis">${esc(spec.yLabel)}</text>`);
  out.push(`<g clip-path="url(#${clip})">`);
  if (spec.hline && ok(spec.hline.y, spec.y === 'log')) {
    const py = num(y(spec.hline.y));
    out.push(`<line x1="0" x2="${w}" y1="${py}" y2="${py}" class="hline"/>`);
    out.push(`<text x="${w - 4}" y="${py}" dy="-3" text-anchor="end" class="hlabel">${esc(spec.hline.label)}</text>`);
  }
  for (const s of spec.series) {
    if (s.band && s.band.length) {
      const a = area<readonly [number, number, number]>()
        .defined((b) => ok(b[0], spec.x === 'log') && ok(b[1], spec.y === 'log') && ok(b[2], spec.y === 'log'))
        .x((b) => x(b[0]))
        .y0((b) => y(b[1]))
        .y1((b) => y(b[2]))
        .digits(1);
      out.push(`<path d="${a(s.band)}" fill="${s.color}" fill-opacity="0.22" stroke="none"/>`);
    }
    const l = line<Point>()
      .defined((p) => ok(p[0], spec.x === 'log') && ok(p[1], spec.y === 'log'))
      .x((p) => x(p[0]))
      .y((p) => y(p[1]))
      .digits(1);
    const d = l(s.points);
    if (d) {
      out.push(
        `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="${s.width ?? 1.8}"` +
          `${s.opacity !== undefined ? ` stroke-opacity="${s.opacity}"` : ''}${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}` +
          ` stroke-linejoin="round"><title>${esc(s.label)}</title></path>`,
      );
    }
    if (s.dots) {
      for (const p of s.points) {
        if (ok(p[0], spec.x === 'log') && ok(p[1], spec.y === 'log')) {
          out.push(`<circle cx="${num(x(p[0]))}" cy="${num(y(p[1]))}" r="2.6" fill="${s.color}"/>`);
        }
      }
    }
  }
  for (const m of spec.markers ?? []) {
    if (!ok(m.x, spec.x === 'log') || !ok(m.y, spec.y === 'log')) continue;
    const px = num(x(m.x));
    const py = num(y(m.y));
    const title = m.title ? `<title>${esc(m.title)}</title>` : '';
    if (m.shape === 'ring') out.push(`<circle cx="${px}" cy="${py}" r="6" fill="none" stroke="${m.color}" stroke-width="2">${title}</circle>`);
    else if (m.shape === 'dot') out.push(`<circle cx="${px}" cy="${py}" r="3.5" fill="${m.color}">${title}</circle>`);
    else out.push(`<path d="M${px},${py}m-5,-5l10,10m0,-10l-10,10" stroke="${m.color}" stroke-width="2.2">${title}</path>`);
  }
  out.push('</g></g></svg>');
  return out.join('');
}

export interface ContourSpec {
  title: string;
  subtitle?: string;
  width: number;
  height: number;
  domain: { x: readonly [number, number]; y: readonly [number, number] };
  value(x: number, y: number): number;
  /** lowest value of the function (contours are spaced evenly in log(1 + f - min)) */
  minValue: number;
  minima: readonly Point[];
  start: Point;
  paths: readonly { label: string; color: string; x: readonly number[]; y: readonly number[] }[];
  levels?: number;
}

/** Filled contours of a 2-D function with trajectories drawn over them. */
export function contourChart(spec: ContourSpec): string {
  const { width: W, height: H } = spec;
  const m = { top: 40, right: 12, bottom: 32, left: 40 };
  const w = W - m.left - m.right;
  const h = H - m.top - m.bottom;
  const [x0, x1] = spec.domain.x;
  const [y0, y1] = spec.domain.y;
  const nx = 150;
  const ny = Math.max(2, Math.round((nx * h) / w));
  const values = new Float64Array(nx * ny);
  for (let j = 0; j < ny; j++) {
    const yv = y0 + ((j + 0.5) / ny) * (y1 - y0);
    for (let i = 0; i < nx; i++) {
      const xv = x0 + ((i + 0.5) / nx) * (x1 - x0);
      values[j * nx + i] = Math.log1p(Math.max(0, spec.value(xv, yv) - spec.minValue));
    }
  }
  let hi = 0;
  for (const v of values) if (v > hi) hi = v;
  const levels = spec.levels ?? 16;
  const thresholds = Array.from({ length: levels }, (_, k) => (hi * k) / levels);
  const shade = scaleLinear<string>().domain([0, hi]).range(['#fbfcfe', '#9fb4cc']);
  const x = scaleLinear().domain([x0, x1]).range([0, w]);
  const y = scaleLinear().domain([y0, y1]).range([h, 0]);
  const gx = (c: number) => num((c / nx) * w);
  const gy = (c: number) => num(h - (c / ny) * h);
  const clip = nextId('clip');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" class="chart">`);
  out.push(`<defs><clipPath id="${clip}"><rect x="0" y="0" width="${w}" height="${h}"/></clipPath></defs>`);
  out.push(`<text x="${m.left}" y="16" class="title">${esc(spec.title)}</text>`);
  if (spec.subtitle) out.push(`<text x="${m.left}" y="31" class="subtitle">${esc(spec.subtitle)}</text>`);
  out.push(`<g transform="translate(${m.left},${m.top})"><g clip-path="url(#${clip})">`);
  for (const c of contours().size([nx, ny]).thresholds(thresholds)(Array.from(values))) {
    const d = c.coordinates
      .map((poly) => poly.map((ring) => `M${ring.map((pt) => `${gx(pt[0]!)},${gy(pt[1]!)}`).join('L')}Z`).join(''))
      .join('');
    if (d) out.push(`<path d="${d}" fill="${shade(c.value)}" stroke="#7f93ab" stroke-width="0.5" stroke-opacity="0.6"/>`);
  }
  for (const p of spec.paths) {
    // drop points closer than half a pixel to the last one kept
    const pts: string[] = [];
    let lx = NaN;
    let ly = NaN;
    for (let k = 0; k < p.x.length; k++) {
      const px = x(p.x[k]!);
      const py = y(p.y[k]!);
      if (!Number.isFinite(px) || !Number.isFinite(py)) break;
      if (k > 0 && k < p.x.length - 1 && Math.hypot(px - lx, py - ly) < 0.5) continue;
      pts.push(`${num(px)},${num(py)}`);
      lx = px;
      ly = py;
    }
    if (pts.length > 1) {
      out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${p.color}" stroke-width="1.7" stroke-linejoin="round" stroke-opacity="0.9"><title>${esc(p.label)}</title></polyline>`);
      const [ex, ey] = pts.at(-1)!.split(',');
      out.push(`<circle cx="${ex}" cy="${ey}" r="3.2" fill="${p.color}" stroke="#fff" stroke-width="0.8"/>`);
    }
  }
  for (const [mx, my] of spec.minima) {
    out.push(`<path d="M${num(x(mx))},${num(y(my))}m-6,0l12,0m-6,-6l0,12" stroke="#111" stroke-width="2"><title>minimum (${mx.toFixed(3)}, ${my.toFixed(3)})</title></path>`);
  }
  out.push(`<circle cx="${num(x(spec.start[0]))}" cy="${num(y(spec.start[1]))}" r="4.5" fill="#fff" stroke="#111" stroke-width="1.6"><title>start (${spec.start[0]}, ${spec.start[1]})</title></circle>`);
  out.push('</g>');
  out.push(`<rect x="0" y="0" width="${w}" height="${h}" class="frame"/>`);
  for (const t of x.ticks(5)) out.push(`<text x="${num(x(t))}" y="${h + 14}" text-anchor="middle" class="tick">${t}</text>`);
  for (const t of y.ticks(5)) out.push(`<text x="-5" y="${num(y(t))}" dy="0.32em" text-anchor="end" class="tick">${t}</text>`);
  out.push(`<text x="${w / 2}" y="${h + 28}" text-anchor="middle" class="axis">x</text>`);
  out.push('</g></svg>');
  return out.join('');
}
