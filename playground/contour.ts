// The contour plot of a 2-D test function (SVG): filled contour bands of
// log(1 + f - min) traced by d3-contour, axes from d3-scale, and one polyline
// per optimizer that grows as its trajectory is revealed.
import { contours } from 'd3-contour';
import { scaleLinear, type ScaleLinear } from 'd3-scale';
import type { TestFunction } from 'wasm-optim';

const NS = 'http://www.w3.org/2000/svg';
const MARGIN = { top: 10, right: 12, bottom: 34, left: 44 };
const LEVELS = 18;

/** A path to draw: the points of a trajectory. */
export interface PlotPath {
  color: string;
  label: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  /** drawn dashed and thinner (the EMA of a path) */
  dashed?: boolean;
}

function el<K extends keyof SVGElementTagNameMap>(name: K, attrs: Record<string, string | number> = {}, parent?: Element): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent?.append(e);
  return e;
}

const fmt = (v: number): string => (Math.round(v * 10) / 10).toString();

interface Drawn {
  line: SVGPolylineElement;
  head: SVGCircleElement;
  px: Float64Array;
  py: Float64Array;
  /** points finite and inside the drawing range */
  n: number;
}

export class ContourPlot {
  readonly svg: SVGSVGElement;
  readonly #w: number;
  readonly #h: number;
  readonly #bands: SVGGElement;
  readonly #axes: SVGGElement;
  readonly #paths: SVGGElement;
  readonly #marks: SVGGElement;
  #x: ScaleLinear<number, number> = scaleLinear();
  #y: ScaleLinear<number, number> = scaleLinear();
  #drawn: Drawn[] = [];
  #start: SVGPathElement | undefined;

  constructor(container: HTMLElement, width = 560, height = 470) {
    this.#w = width - MARGIN.left - MARGIN.right;
    this.#h = height - MARGIN.top - MARGIN.bottom;
    this.svg = el('svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'contour', role: 'img' }, container);
    const defs = el('defs', {}, this.svg);
    const clip = el('clipPath', { id: 'plot-clip' }, defs);
    el('rect', { width: this.#w, height: this.#h }, clip);
    const g = el('g', { transform: `translate(${MARGIN.left},${MARGIN.top})` }, this.svg);
    this.#bands = el('g', { 'clip-path': 'url(#plot-clip)' }, g);
    this.#axes = el('g', {}, g);
    this.#paths = el('g', { 'clip-path': 'url(#plot-clip)' }, g);
    this.#marks = el('g', { 'clip-path': 'url(#plot-clip)' }, g);
    el('rect', { width: this.#w, height: this.#h, class: 'frame' }, g);
    this.svg.dataset.step = '0';
  }

  /** Draws `fn`'s contours, axes and minima; removes any paths. */
  setFunction(fn: TestFunction): void {
    const [x0, x1] = fn.domain.x;
    const [y0, y1] = fn.domain.y;
    this.#x = scaleLinear().domain([x0, x1]).range([0, this.#w]);
    this.#y = scaleLinear().domain([y0, y1]).range([this.#h, 0]);
    this.svg.setAttribute('aria-label', `contour plot of ${fn.name}: ${fn.formula}`);

    const nx = 160;
    const ny = Math.round((nx * this.#h) / this.#w);
    const values = new Array<number>(nx * ny);
    let hi = 0;
    for (let j = 0; j < ny; j++) {
      const yv = y0 + ((j + 0.5) / ny) * (y1 - y0);
      for (let i = 0; i < nx; i++) {
        const v = Math.log1p(Math.max(0, fn.value(x0 + ((i + 0.5) / nx) * (x1 - x0), yv) - fn.minValue));
        values[j * nx + i] = v;
        if (v > hi) hi = v;
      }
    }
    const shade = scaleLinear<string>().domain([0, hi]).range(['#f7fbff', '#8aa7c8']);
    const gx = (c: number) => ((c / nx) * this.#w).toFixed(1);
    const gy = (c: number) => (this.#h - (c / ny) * this.#h).toFixed(1);
    this.#bands.replaceChildren();
    el('rect', { width: this.#w, height: this.#h, fill: shade(0) }, this.#bands);
    const thresholds = Array.from({ length: LEVELS }, (_, k) => (hi * (k + 1)) / (LEVELS + 1));
    for (const c of contours().size([nx, ny]).thresholds(thresholds)(values)) {
      const d = c.coordinates
        .map((poly) => poly.map((ring) => `M${ring.map((p) => `${gx(p[0]!)},${gy(p[1]!)}`).join('L')}Z`).join(''))
        .join('');
      if (d) el('path', { d, fill: shade(c.value), stroke: '#5f7ea3', 'stroke-width': 0.6, 'stroke-opacity': 0.55 }, this.#bands);
    }

    this.#axes.replaceChildren();
    for (const t of this.#x.ticks(8)) {
      const px = this.#x(t);
      el('line', { x1: px, x2: px, y1: this.#h, y2: this.#h + 5, class: 'tick' }, this.#axes);
      el('text', { x: px, y: this.#h + 18, class: 'tick-label', 'text-anchor': 'middle' }, this.#axes).textContent = fmt(t);
    }
    for (const t of this.#y.ticks(8)) {
      const py = this.#y(t);
      el('line', { x1: -5, x2: 0, y1: py, y2: py, class: 'tick' }, this.#axes);
      el('text', { x: -8, y: py + 4, class: 'tick-label', 'text-anchor': 'end' }, this.#axes).textContent = fmt(t);
    }
    el('text', { x: this.#w / 2, y: this.#h + 31, class: 'axis-label', 'text-anchor': 'middle' }, this.#axes).textContent = 'x';
    el('text', { x: -32, y: this.#h / 2, class: 'axis-label', 'text-anchor': 'middle' }, this.#axes).textContent = 'y';

    this.#marks.replaceChildren();
    for (const [mx, my] of fn.minima) {
      const m = el('path', { d: `M${this.#x(mx)},${this.#y(my)}m-7,0h14m-7,-7v14`, class: 'minimum' }, this.#marks);
      el('title', {}, m).textContent = `minimum (${mx.toFixed(3)}, ${my.toFixed(3)}), f = ${fn.minValue}`;
    }
    this.#start = el('path', { class: 'start' }, this.#marks);
    this.setStart(fn.start[0], fn.start[1]);
    this.setPaths([]);
  }

  /** Moves the start marker (a ring) to (x, y). */
  setStart(x: number, y: number): void {
    this.#start?.setAttribute('d', `M${this.#x(x) - 6},${this.#y(y)}a6,6 0 1,0 12,0a6,6 0 1,0 -12,0`);
  }

  /** The point of the function under a click, in data coordinates. */
  pointAt(event: MouseEvent): [number, number] | undefined {
    const box = this.svg.getBoundingClientRect();
    const vb = this.svg.viewBox.baseVal;
    const sx = ((event.clientX - box.left) / box.width) * vb.width - MARGIN.left;
    const sy = ((event.clientY - box.top) / box.height) * vb.height - MARGIN.top;
    if (sx < 0 || sy < 0 || sx > this.#w || sy > this.#h) return undefined;
    return [this.#x.invert(sx), this.#y.invert(sy)];
  }

  /** Replaces the drawn paths (each revealed by `show`). */
  setPaths(paths: readonly PlotPath[]): void {
    this.#paths.replaceChildren();
    this.#drawn = paths.map((p) => {
      const px = new Float64Array(p.x.length);
      const py = new Float64Array(p.x.length);
      let n = 0;
      // stop at the first point that is not finite or far outside (a diverged run)
      while (n < p.x.length) {
        const a = this.#x(p.x[n]!);
        const b = this.#y(p.y[n]!);
        if (!(Math.abs(a) < 1e5 && Math.abs(b) < 1e5)) break;
        px[n] = a;
        py[n] = b;
        n++;
      }
      const line = el('polyline', { stroke: p.color, class: p.dashed ? 'path ema' : 'path' }, this.#paths);
      el('title', {}, line).textContent = p.label;
      const head = el('circle', { r: p.dashed ? 3 : 4.2, fill: p.color, class: p.dashed ? 'head ema' : 'head' }, this.#paths);
      return { line, head, px, py, n };
    });
    this.show(0);
  }

  /** Shows every path up to step `step` (point `step`; the start is point 0). */
  show(step: number): void {
    for (const d of this.#drawn) {
      const last = Math.min(step, d.n - 1);
      if (last < 0) continue;
      // drop points closer than half a pixel to the last one kept
      const pts: string[] = [];
      let lx = NaN;
      let ly = NaN;
      for (let k = 0; k <= last; k++) {
        const x = d.px[k]!;
        const y = d.py[k]!;
        if (k > 0 && k < last && Math.hypot(x - lx, y - ly) < 0.5) continue;
        pts.push(`${x.toFixed(1)},${y.toFixed(1)}`);
        lx = x;
        ly = y;
      }
      d.line.setAttribute('points', pts.join(' '));
      d.head.setAttribute('cx', d.px[last]!.toFixed(1));
      d.head.setAttribute('cy', d.py[last]!.toFixed(1));
    }
    this.svg.dataset.step = String(step);
  }
}
