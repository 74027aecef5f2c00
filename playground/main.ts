// The playground page: wires the optimizer table, the trajectory race on the
// contour plot, training on the digits, the benchmark and the TensorFlow.js
// panel (./tfjs.js, loaded on demand: TF.js is a chunk of its own) to the controls.
import { parseDigits, ready, testFunctions, type Digits } from 'wasm-optim';
import { benchmark, summary, type BenchResult } from './benchmark.js';
import { ContourPlot } from './contour.js';
import { OptimizerTable } from './controls.js';
import { DEFAULT_STEPS, type FunctionName } from './optimizers.js';
import { Race } from './race.js';
import { Training } from './train.js';
import type { TfjsTraining } from './tfjs.js';

const $ = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`playground: #${id} is missing from the page`);
  return e as T;
};

const errorBox = $('error');
function showError(e: unknown): void {
  errorBox.textContent = e instanceof Error ? e.message : String(e);
  errorBox.hidden = false;
}
function clearError(): void {
  errorBox.hidden = true;
  errorBox.textContent = '';
}

/** The integer in `input`, or a clear error naming the field. */
function intInput(input: HTMLInputElement, name: string, min: number, max: number): number {
  const v = input.valueAsNumber;
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`${name}: expected an integer from ${min} to ${max}, got ${JSON.stringify(input.value)}`);
  return v;
}

function numInput(input: HTMLInputElement, name: string, min: number): number {
  const v = input.valueAsNumber;
  if (!Number.isFinite(v) || v < min) throw new RangeError(`${name}: expected a number >= ${min}, got ${JSON.stringify(input.value)}`);
  return v;
}

/** A number in [0, 1] from `input`, or a clear error naming the field. */
function unitInput(input: HTMLInputElement, name: string): number {
  const v = input.valueAsNumber;
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${name}: expected a number from 0 to 1, got ${JSON.stringify(input.value)}`);
  return v;
}

let digits: Promise<Digits> | undefined;
/** The digits, fetched once from beside the page (data/digits/digits.bin, copied by the build). */
function loadDigits(): Promise<Digits> {
  digits ??= fetch(new URL('digits.bin', document.baseURI)).then(async (res) => {
    if (!res.ok) throw new Error(`fetching digits.bin failed: HTTP ${res.status}`);
    return parseDigits(new Uint8Array(await res.arrayBuffer()));
  });
  digits.catch(() => (digits = undefined));
  return digits;
}

function showBench(r: BenchResult): void {
  const { ratio, text } = summary(r);
  const out = $('bench-result');
  out.textContent = text;
  out.dataset.ratio = ratio.toFixed(3);
  const rows: [string, number | undefined, string][] = [
    ['wasm-optim, SIMD build', r.simd, 'simd'],
    ['wasm-optim, scalar build', r.scalar, 'scalar'],
    ['plain JS (reference.Adam)', r.js, 'js'],
  ];
  const worst = Math.max(...rows.map(([, v]) => v ?? 0));
  const bars = $('bench-bars');
  bars.replaceChildren(
    ...rows.map(([label, v, cls]) => {
      const row = document.createElement('div');
      row.className = `bar-row ${cls}`;
      const name = document.createElement('span');
      name.className = 'bar-label';
      name.textContent = label;
      const track = document.createElement('span');
      track.className = 'bar-track';
      const bar = document.createElement('span');
      bar.className = 'bar';
      bar.style.width = v === undefined ? '0' : `${(100 * v) / worst}%`;
      track.append(bar);
      const value = document.createElement('span');
      value.className = 'bar-value';
      value.textContent = v === undefined ? 'no SIMD here' : `${v.toFixed(2)} ns/param · ${((v * r.n) / 1e6).toFixed(2)} ms/step`;
      row.append(name, track, value);
      return row;
    }),
  );
}

async function main(): Promise<void> {
  const info = await ready();
  $('backend').textContent = `Kernels: ${info.build} build${info.relaxedSupported ? ' (relaxed SIMD available, not used)' : ''}.`;

  const fnSelect = $<HTMLSelectElement>('function');
  const fnName = (): FunctionName => fnSelect.value as FunctionName;
  const table = new OptimizerTable($<HTMLTableElement>('optimizers'), fnName());
  const plot = new ContourPlot($('contour'));
  const race = new Race(plot, $('race-legend'));
  const training = new Training($('loss-chart'), $<HTMLTableElement>('train-table'));
  const steps = $<HTMLInputElement>('steps');
  const noise = $<HTMLInputElement>('noise');
  const ema = $<HTMLInputElement>('ema');
  const emaDecay = $<HTMLInputElement>('ema-decay');
  let start: readonly [number, number] = testFunctions[fnName()].start;
  const stopButton = $<HTMLButtonElement>('stop');
  /** The TF.js panel, once its chunk is loaded. */
  let tfjs: TfjsTraining | undefined;
  /** Stop is enabled exactly while a race or a training run is going. */
  const syncStop = () => {
    stopButton.disabled = !(race.running || training.running || !!tfjs?.running);
  };

  const setFunction = () => {
    const fn = testFunctions[fnName()];
    race.stop();
    start = fn.start;
    table.suggest(fnName());
    steps.value = String(DEFAULT_STEPS[fnName()]);
    plot.setFunction(fn);
    $('formula').textContent = `f(x, y) = ${fn.formula}; minimum ${fn.minValue} at ${fn.minima.map(([x, y]) => `(${+x.toFixed(3)}, ${+y.toFixed(3)})`).join(' and ')}`;
    $('race-legend').replaceChildren();
    plot.svg.dataset.state = 'idle';
    syncStop();
  };
  const runRace = () => {
    clearError();
    try {
      race.run(testFunctions[fnName()], table.choices('2d'), {
        steps: intInput(steps, 'steps', 1, 20000),
        noise: numInput(noise, 'noise σ', 0),
        start,
        seed: 1,
        ema: ema.checked ? unitInput(emaDecay, 'EMA decay') : undefined,
      }, syncStop);
    } catch (e) {
      showError(e);
    }
    syncStop();
  };
  setFunction();
  fnSelect.addEventListener('change', setFunction);
  $('run').addEventListener('click', runRace);
  plot.svg.addEventListener('click', (event) => {
    const p = plot.pointAt(event);
    if (!p) return;
    start = p;
    runRace();
  });

  $('train').addEventListener('click', () => {
    clearError();
    const button = $<HTMLButtonElement>('train');
    button.disabled = true;
    loadDigits()
      .then((data) => {
        training.start(data, table.choices('digits'), {
          model: $<HTMLSelectElement>('model').value as 'mlp' | 'softmax',
          epochs: intInput($<HTMLInputElement>('epochs'), 'epochs', 1, 500),
          batchSize: intInput($<HTMLInputElement>('batch'), 'batch', 1, data.train.n),
          seed: 1,
        }, () => {
          button.disabled = false;
          syncStop();
        });
        syncStop();
      })
      .catch((e) => {
        button.disabled = false;
        syncStop();
        showError(e);
      });
  });
  $('stop').addEventListener('click', () => {
    race.stop();
    training.stop();
    tfjs?.stop();
    $<HTMLButtonElement>('train').disabled = false;
    $<HTMLButtonElement>('tfjs').disabled = false;
    syncStop();
  });

  $('tfjs').addEventListener('click', () => {
    clearError();
    const button = $<HTMLButtonElement>('tfjs');
    const status = $('tfjs-status');
    button.disabled = true;
    const done = () => {
      button.disabled = false;
      syncStop();
    };
    if (!tfjs) status.textContent = 'loading TF.js…';
    Promise.all([
      import('./tfjs.js').then(async (m) => {
        await m.TfjsTraining.load();
        tfjs ??= new m.TfjsTraining($('tfjs-chart'), $<HTMLTableElement>('tfjs-table'), $('tfjs-verdict'));
        status.textContent = m.TfjsTraining.about;
        return tfjs;
      }),
      loadDigits(),
    ])
      .then(([panel, data]) => {
        panel.start(data, {
          lr: numInput($<HTMLInputElement>('tfjs-lr'), 'TF.js lr', 0),
          epochs: intInput($<HTMLInputElement>('tfjs-epochs'), 'TF.js epochs', 1, 200),
          batchSize: intInput($<HTMLInputElement>('tfjs-batch'), 'TF.js batch', 1, data.train.n),
          seed: 1,
        }, done);
        syncStop();
      })
      .catch((e) => {
        if (!tfjs) status.textContent = '';
        done();
        showError(e);
      });
  });

  $('bench').addEventListener('click', () => {
    clearError();
    const button = $<HTMLButtonElement>('bench');
    const status = $('bench-status');
    button.disabled = true;
    benchmark({ n: 1_000_000, reps: 7, steps: 10, onProgress: (what) => (status.textContent = `${what}…`) })
      .then((r) => {
        status.textContent = 'done';
        showBench(r);
      })
      .catch(showError)
      .finally(() => (button.disabled = false));
  });

  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  showError(e);
  console.error(e);
});
