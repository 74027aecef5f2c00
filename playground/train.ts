// Training on the digits in the page: one model, optimizer and Trainer per
// chosen optimizer, all from the same initial weights and the same shuffled
// batches. Epochs run round-robin in slices of about 25 ms per animation
// frame, so the page stays responsive, and the loss curves (uPlot) grow live.
import uPlot from 'uplot';
import { MLP, SoftmaxRegression, Trainer, type Classifier, type Digits, type Optimizer } from 'wasm-optim';
import { create, type Choice } from './controls.js';

export interface TrainOptions {
  model: 'mlp' | 'softmax';
  epochs: number;
  batchSize: number;
  seed: number;
}

interface Run {
  choice: Choice;
  model: Classifier;
  opt: Optimizer<object>;
  trainer: Trainer;
  /** full training loss after each epoch (index 0: before training); null where not reached or diverged */
  loss: (number | null)[];
  row: HTMLTableRowElement;
}

const SLICE_MS = 25;

export class Training {
  readonly #chartBox: HTMLElement;
  readonly #table: HTMLTableElement;
  #chart: uPlot | undefined;
  #runs: Run[] = [];
  #test: Digits['test'] | undefined;
  #frame = 0;

  constructor(chartBox: HTMLElement, table: HTMLTableElement) {
    this.#chartBox = chartBox;
    this.#table = table;
  }

  /** Starts training (throws, creating nothing, when an optimizer rejects its hyperparameters). */
  start(digits: Digits, choices: readonly Choice[], options: TrainOptions, onDone?: () => void): void {
    this.stop();
    const { train, test } = digits;
    const runs: Run[] = [];
    try {
      // L-BFGS (a closure-stepped row) races on the functions only: this panel trains with mini-batches
      for (const choice of choices.filter((c) => !c.def.makeClosure)) {
        const model: Classifier = options.model === 'mlp'
          ? new MLP({ inputs: train.dim, hidden: 32, classes: 10 })
          : new SoftmaxRegression({ inputs: train.dim, classes: 10 });
        const opt = create(choice, model.init(options.seed));
        const initial = model.loss(opt.params, train);
        const trainer = new Trainer(opt, train, model.lossAndGrad(train), {
          epochs: options.epochs,
          batchSize: options.batchSize,
          seed: options.seed,
          evaluate: (params) => model.loss(params, train),
        });
        const loss: (number | null)[] = new Array(options.epochs + 1).fill(null);
        loss[0] = initial;
        runs.push({ choice, model, opt, trainer, loss, row: document.createElement('tr') });
      }
    } catch (e) {
      for (const r of runs) r.opt.dispose();
      throw e;
    }
    this.#runs = runs;
    this.#test = test;
    this.#table.replaceChildren();
    const head = this.#table.createTHead().insertRow();
    for (const t of ['optimizer', 'lr', 'epoch', 'train loss', 'test loss', 'test acc', 'in opt.step']) {
      const th = document.createElement('th');
      th.textContent = t;
      head.append(th);
    }
    const body = this.#table.createTBody();
    for (const r of runs) {
      body.append(r.row);
      r.row.dataset.optimizer = r.choice.def.id;
      const name = r.row.insertCell();
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = r.choice.def.color;
      name.append(swatch, r.choice.def.label);
      r.row.insertCell().textContent = String(r.choice.lr);
      for (let i = 0; i < 5; i++) r.row.insertCell().className = 'num';
      this.#updateRow(r);
    }

    this.#chart?.destroy();
    this.#chartBox.replaceChildren();
    const width = Math.max(320, this.#chartBox.clientWidth);
    this.#chart = new uPlot(
      {
        width,
        height: 300,
        title: `Training loss on the digits (full training set, ${runs[0]?.model.name ?? ''}, batch ${options.batchSize})`,
        scales: { x: { time: false }, y: { distr: 3 } },
        axes: [{ label: 'epoch' }, { label: 'cross-entropy (log scale)' }],
        series: [
          { label: 'epoch' },
          ...runs.map((r) => ({ label: r.choice.def.label, stroke: r.choice.def.color, width: 2, points: { show: true, size: 5 } })),
        ],
        legend: { live: false },
      },
      this.#data(),
      this.#chartBox,
    );
    this.#chartBox.dataset.state = 'running';
    this.#chartBox.dataset.points = String(this.#points());

    let next = 0;
    const slice = () => {
      const t0 = performance.now();
      while (performance.now() - t0 < SLICE_MS) {
        const live = this.#runs.filter((r) => !r.trainer.done);
        if (live.length === 0) break;
        const r = live[next++ % live.length]!;
        const info = r.trainer.epoch();
        if (info) r.loss[info.epoch] = Number.isFinite(info.evalLoss) ? Math.max(1e-6, info.evalLoss!) : null;
        if (r.trainer.done) this.#finish(r);
        this.#updateRow(r);
      }
      this.#chart?.setData(this.#data());
      this.#chartBox.dataset.points = String(this.#points());
      if (this.#runs.every((r) => r.trainer.done)) {
        this.#frame = 0;
        this.#chartBox.dataset.state = 'done';
        onDone?.();
      } else {
        this.#frame = requestAnimationFrame(slice);
      }
    };
    this.#frame = requestAnimationFrame(slice);
  }

  /** Whether a training run is in progress. */
  get running(): boolean {
    return this.#frame !== 0;
  }

  /** Stops training where it is and frees the optimizers. */
  stop(): void {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    for (const r of this.#runs) if (!r.opt.disposed) r.opt.dispose();
    if (this.#chartBox.dataset.state === 'running') this.#chartBox.dataset.state = 'stopped';
  }

  #data(): uPlot.AlignedData {
    const epochs = this.#runs[0]?.loss.length ?? 1;
    return [Array.from({ length: epochs }, (_, e) => e), ...this.#runs.map((r) => r.loss)];
  }

  /** Loss points drawn so far, over all curves. */
  #points(): number {
    return this.#runs.reduce((n, r) => n + r.loss.filter((v) => v !== null).length, 0);
  }

  /** Test loss and accuracy at the end of a run; frees the optimizer. */
  #finish(r: Run): void {
    const res = r.trainer.result;
    const cells = r.row.cells;
    if (res.diverged) {
      cells[4]!.textContent = 'diverged';
      cells[5]!.textContent = '';
    } else {
      const test = this.#test!;
      cells[4]!.textContent = r.model.loss(r.opt.params, test).toFixed(4);
      cells[5]!.textContent = `${(100 * r.model.accuracy(r.opt.params, test)).toFixed(1)}%`;
    }
    r.opt.dispose();
  }

  #updateRow(r: Run): void {
    const res = r.trainer.result;
    const cells = r.row.cells;
    cells[2]!.textContent = String(res.epochs);
    const last = r.loss[res.epochs];
    cells[3]!.textContent = last == null ? (res.diverged ? 'diverged' : '') : last.toFixed(4);
    cells[6]!.textContent = `${res.optimizerMs.toFixed(1)} ms`;
  }
}
