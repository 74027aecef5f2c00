// The TensorFlow.js panel, loaded on demand (main.ts imports it with a dynamic
// import(), so TF.js lives in its own chunk and the page neither waits for nor
// needs it). One tfjs-layers model, dense 64-32-10 (tanh, then softmax), is
// trained on the digits twice, from the same initial weights on the same
// shuffled batches: once with wasm-optim's `train.adam(lr)`, once with
// `tf.train.adam(lr)` (TF.js 4.22, cpu backend). Both minimize the mean
// categorical cross-entropy, -(1/B) Σ_b Σ_k y_bk log p_bk, with
// `optimizer.minimize`. Every applyGradients call is timed with
// performance.now(), and the panel shows the loss per epoch of both runs
// (uPlot), the median and mean ms per optimizer step of each, and whether the two
// curves agree (they should: train.adam computes tf.train's formulas in
// float32, operation for operation). Steps of the two runs alternate in
// slices of about 25 ms per animation frame, so the page stays responsive.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import uPlot from 'uplot';
import { mulberry32, permutation, ready, type Dataset, type Digits } from 'wasm-optim';
import { train } from 'wasm-optim/tfjs';
import { makeModel, tensors } from './tfjs-model.js';

export interface TfjsOptions {
  lr: number;
  epochs: number;
  batchSize: number;
  seed: number;
}

/** Relative difference under which the two loss curves count as agreeing. */
export const AGREE_TOLERANCE = 1e-4;

const SLICE_MS = 25;

type Gradients = Parameters<tf.Optimizer['applyGradients']>[0];

interface Run {
  id: 'wasm' | 'tfjs';
  label: string;
  color: string;
  model: tfl.Sequential;
  opt: tf.Optimizer;
  /** ms of each applyGradients call */
  stepMs: number[];
  /** full training loss after each epoch (index 0: before training); null where not reached */
  loss: (number | null)[];
  random: () => number;
  order: Uint32Array;
  epoch: number;
  /** next batch's start within the epoch's order */
  at: number;
  row: HTMLTableRowElement;
}

const mean = (xs: readonly number[]): number => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};


/** Mean categorical cross-entropy of the model's predictions (tfjs-layers' own loss). */
function lossOf(model: tfl.Sequential, x: tf.Tensor, y: tf.Tensor): tf.Scalar {
  return tf.mean(tfl.metrics.categoricalCrossentropy(y, model.apply(x) as tf.Tensor)) as tf.Scalar;
}

/** Wraps `opt.applyGradients` to record the ms of each call in `into`. */
function timed(opt: tf.Optimizer, into: number[]): tf.Optimizer {
  const apply = opt.applyGradients.bind(opt);
  opt.applyGradients = (grads: Gradients): void => {
    const t0 = performance.now();
    apply(grads);
    into.push(performance.now() - t0);
  };
  return opt;
}

export class TfjsTraining {
  readonly #chartBox: HTMLElement;
  readonly #table: HTMLTableElement;
  readonly #verdict: HTMLElement;
  #chart: uPlot | undefined;
  #runs: Run[] = [];
  #data: { train: { x: tf.Tensor2D; y: tf.Tensor2D }; test: { x: tf.Tensor2D; y: tf.Tensor2D } } | undefined;
  #digits: Digits | undefined;
  #options: TfjsOptions | undefined;
  #frame = 0;

  constructor(chartBox: HTMLElement, table: HTMLTableElement, verdict: HTMLElement) {
    this.#chartBox = chartBox;
    this.#table = table;
    this.#verdict = verdict;
  }

  /** TF.js's version and backend, once loaded (see load()). */
  static get about(): string {
    return `TF.js ${tf.version_core}, ${tf.getBackend()} backend`;
  }

  /** Makes TF.js ready: the cpu backend, and wasm-optim's kernels. */
  static async load(): Promise<void> {
    await ready();
    if (!(await tf.setBackend('cpu'))) throw new Error('TF.js: the cpu backend did not initialize');
  }

  /** Starts training (throws, creating nothing, on a bad learning rate). */
  start(digits: Digits, options: TfjsOptions, onDone?: () => void): void {
    this.stop();
    const { lr, epochs, batchSize, seed } = options;
    // the factory checks lr (a clear error naming it) before any model exists
    const ours = train.adam(lr);
    const runs: Run[] = [];
    const specs = [
      { id: 'wasm', label: 'wasm-optim train.adam', color: '#2f6db5', opt: ours },
      { id: 'tfjs', label: 'tf.train.adam', color: '#e6a000', opt: tf.train.adam(lr) },
    ] as const;
    let first: tfl.Sequential | undefined;
    for (const s of specs) {
      const model = makeModel(digits.train.dim, seed);
      if (first) model.setWeights(first.getWeights());
      else first = model;
      const stepMs: number[] = [];
      runs.push({
        id: s.id, label: s.label, color: s.color, model, opt: timed(s.opt, stepMs), stepMs,
        loss: new Array<number | null>(epochs + 1).fill(null),
        random: mulberry32(seed), order: new Uint32Array(digits.train.n), epoch: 0, at: digits.train.n,
        row: document.createElement('tr'),
      });
    }
    this.#runs = runs;
    this.#digits = digits;
    this.#options = options;
    this.#data = { train: tensors(digits.train), test: tensors(digits.test) };
    for (const r of runs) r.loss[0] = this.#trainLoss(r);

    this.#table.replaceChildren();
    const head = this.#table.createTHead().insertRow();
    for (const t of ['optimizer', 'epoch', 'train loss', 'test acc', 'ms / step: median', 'mean', 'steps']) {
      const th = document.createElement('th');
      th.textContent = t;
      head.append(th);
    }
    const body = this.#table.createTBody();
    for (const r of runs) {
      body.append(r.row);
      r.row.dataset.run = r.id;
      const name = r.row.insertCell();
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = r.color;
      const code = document.createElement('code');
      code.textContent = `${r.label}(${lr})`;
      name.append(swatch, code);
      for (let i = 0; i < 6; i++) r.row.insertCell().className = 'num';
      this.#updateRow(r);
    }
    this.#verdict.textContent = '';
    delete this.#verdict.dataset.agree;

    this.#chart?.destroy();
    this.#chartBox.replaceChildren();
    this.#chart = new uPlot(
      {
        width: Math.max(320, this.#chartBox.clientWidth),
        height: 260,
        title: `tfjs-layers 64-32-10 on the digits, Adam lr ${lr}, batch ${batchSize}`,
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [{ label: 'epoch' }, { label: 'cross-entropy (log scale)' }],
        series: [
          { label: 'epoch' },
          ...runs.map((r, i) => ({ label: r.label, stroke: r.color, width: 2, dash: i ? [6, 4] : undefined, points: { show: true, size: 5 } })),
        ],
        legend: { live: false },
      },
      this.#plotData(),
      this.#chartBox,
    );
    this.#chartBox.dataset.state = 'running';
    this.#chartBox.dataset.epochs = '0';

    const slice = () => {
      const t0 = performance.now();
      while (performance.now() - t0 < SLICE_MS) {
        const live = this.#runs.filter((r) => r.epoch < epochs);
        if (live.length === 0) break;
        for (const r of live) this.#step(r);
      }
      for (const r of this.#runs) this.#updateRow(r);
      this.#chart?.setData(this.#plotData());
      this.#chartBox.dataset.epochs = String(Math.min(...this.#runs.map((r) => r.epoch)));
      if (this.#runs.every((r) => r.epoch >= epochs)) {
        this.#frame = 0;
        this.#finish();
        onDone?.();
      } else {
        this.#frame = requestAnimationFrame(slice);
      }
    };
    this.#frame = requestAnimationFrame(slice);
  }

  /** Whether a run is in progress. */
  get running(): boolean {
    return this.#frame !== 0;
  }

  /** Stops where it is and frees the models, optimizers and data tensors. */
  stop(): void {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    if (this.#chartBox.dataset.state === 'running') this.#chartBox.dataset.state = 'stopped';
    this.#release();
  }

  #release(): void {
    for (const r of this.#runs) {
      r.opt.dispose();
      r.model.dispose();
    }
    this.#runs = [];
    if (this.#data) for (const t of [this.#data.train.x, this.#data.train.y, this.#data.test.x, this.#data.test.y]) t.dispose();
    this.#data = undefined;
    // what TF.js still holds once the panel let go of everything (flat from run to run: no leak)
    this.#chartBox.dataset.tensors = String(tf.memory().numTensors);
  }

  /** One optimizer step of `r` on its next batch (a new shuffled order at each epoch's start). */
  #step(r: Run): void {
    const ds = this.#digits!.train;
    const { batchSize, epochs } = this.#options!;
    if (r.at >= ds.n) {
      permutation(r.order, r.random);
      r.at = 0;
    }
    const idx = r.order.subarray(r.at, Math.min(ds.n, r.at + batchSize));
    r.at += idx.length;
    const { x, y } = tensors(ds, idx);
    const vars = r.model.trainableWeights.map((w) => w.read() as tf.Variable);
    tf.tidy(() => {
      r.opt.minimize(() => lossOf(r.model, x, y), false, vars);
    });
    x.dispose();
    y.dispose();
    if (r.at >= ds.n) {
      r.epoch++;
      r.loss[r.epoch] = this.#trainLoss(r);
      if (r.epoch >= epochs) r.row.dataset.accuracy = this.#testAccuracy(r).toFixed(4);
    }
  }

  #trainLoss(r: Run): number {
    const { x, y } = this.#data!.train;
    return tf.tidy(() => lossOf(r.model, x, y).dataSync()[0]!);
  }

  #testAccuracy(r: Run): number {
    const { x, y } = this.#data!.test;
    return tf.tidy(() => tf.mean(tf.cast(tf.equal(tf.argMax(r.model.apply(x) as tf.Tensor, 1), tf.argMax(y, 1)), 'float32')).dataSync()[0]!);
  }

  #plotData(): uPlot.AlignedData {
    const n = this.#runs[0]?.loss.length ?? 1;
    return [Array.from({ length: n }, (_, e) => e), ...this.#runs.map((r) => r.loss)];
  }

  #updateRow(r: Run): void {
    const cells = r.row.cells;
    const ms = median(r.stepMs);
    cells[1]!.textContent = String(r.epoch);
    cells[2]!.textContent = r.loss[r.epoch]?.toFixed(5) ?? '';
    cells[3]!.textContent = r.row.dataset.accuracy ? `${(100 * Number(r.row.dataset.accuracy)).toFixed(1)}%` : '';
    const avg = mean(r.stepMs);
    cells[4]!.textContent = Number.isNaN(ms) ? '' : `${ms.toFixed(3)} ms`;
    cells[5]!.textContent = Number.isNaN(avg) ? '' : `${avg.toFixed(3)} ms`;
    cells[6]!.textContent = String(r.stepMs.length);
    r.row.dataset.loss = JSON.stringify(r.loss);
    r.row.dataset.ms = Number.isNaN(ms) ? '' : String(ms);
    r.row.dataset.meanMs = Number.isNaN(avg) ? '' : String(avg);
  }

  /** The verdict on the two curves and the median step times; frees everything. */
  #finish(): void {
    const [a, b] = this.#runs as [Run, Run];
    let worst = 0;
    for (let e = 0; e < a.loss.length; e++) {
      const u = a.loss[e]!;
      const v = b.loss[e]!;
      worst = Math.max(worst, Math.abs(u - v) / Math.max(Math.abs(v), 1e-12));
    }
    const agree = worst <= AGREE_TOLERANCE;
    // Chromium coarsens performance.now() to 0.1 ms on pages that are not
    // cross-origin isolated, so medians of sub-ms calls come out in 0.1 ms
    // steps; the mean over hundreds of calls is the finer number.
    const ms = (r: Run) => `median ${median(r.stepMs).toFixed(3)} ms, mean ${mean(r.stepMs).toFixed(3)} ms`;
    this.#verdict.textContent =
      `${agree ? 'The two loss curves agree' : 'The two loss curves differ'} (${worst === 0 ? 'identical, bit for bit, at' : `largest relative difference ${worst.toExponential(2)} over`} ` +
      `${a.loss.length} points; tolerance ${AGREE_TOLERANCE}). Per optimizer step: train.adam ${ms(a)}; tf.train.adam ${ms(b)} ` +
      `(${(mean(b.stepMs) / mean(a.stepMs)).toFixed(1)}x by the means).`;
    this.#verdict.dataset.agree = String(agree);
    this.#verdict.dataset.maxRelDiff = String(worst);
    this.#chartBox.dataset.state = 'done';
    this.#release();
  }
}
