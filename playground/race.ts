// The race: every chosen optimizer starts from the same point of a 2-D
// function; the library's trajectory() records each path, and the plot
// reveals them step by step, all at the same pace. With `ema` set, each path
// also gets the path of an exponential moving average of its points
// (averagedTrajectory: AveragedParams updated after every step), dashed.
import { averagedTrajectory, trajectory, type TestFunction, type Trajectory } from 'wasm-optim';
import { createForRace, type Choice } from './controls.js';
import type { ContourPlot } from './contour.js';

export interface RaceOptions {
  steps: number;
  /** standard deviation of the Gaussian noise added to each gradient component */
  noise: number;
  start: readonly [number, number];
  seed: number;
  /** the decay of an EMA of each path to draw too (AveragedParams mode 'ema', in [0, 1]); undefined draws none */
  ema?: number;
}

/** One optimizer's path in a race, and the path of its EMA when asked for. */
export interface RacePath {
  choice: Choice;
  path: Trajectory;
  ema?: Trajectory;
}

/**
 * The race's paths, computed at once (throws, creating nothing, when an
 * optimizer rejects its hyperparameters or the EMA its decay).
 */
export function racePaths(fn: TestFunction, choices: readonly Choice[], options: RaceOptions): RacePath[] {
  const paths: RacePath[] = [];
  for (const choice of choices) {
    const opt = createForRace(choice, [Float32Array.from(options.start)]);
    let path: Trajectory;
    try {
      path = trajectory(opt, fn, { steps: options.steps, noise: options.noise, seed: options.seed });
    } finally {
      opt.dispose();
    }
    paths.push({ choice, path, ...(options.ema === undefined ? {} : { ema: averagedTrajectory(path, fn, { mode: 'ema', decay: options.ema }) }) });
  }
  return paths;
}

interface Runner extends RacePath {
  value: HTMLElement;
  /** f at the EMA, when drawn */
  emaValue?: HTMLElement;
}

const fmtValue = (v: number): string => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3) ? v.toExponential(2) : v.toFixed(4));

/**
 * Computes the trajectories (throws, creating nothing visible, when an
 * optimizer rejects its hyperparameters) and animates them on `plot`, with a
 * live legend of f per optimizer.
 */
export class Race {
  readonly #plot: ContourPlot;
  readonly #legend: HTMLElement;
  #frame = 0;

  constructor(plot: ContourPlot, legend: HTMLElement) {
    this.#plot = plot;
    this.#legend = legend;
  }

  run(fn: TestFunction, choices: readonly Choice[], options: RaceOptions, onDone?: () => void): void {
    this.stop();
    const paths = racePaths(fn, choices, options);
    this.#plot.setStart(options.start[0], options.start[1]);
    this.#plot.setPaths(paths.flatMap(({ choice, path, ema }) => [
      { color: choice.def.color, label: `${choice.def.label} (lr ${choice.lr})`, x: path.x, y: path.y },
      ...(ema ? [{ color: choice.def.color, label: `EMA of ${choice.def.label} (decay ${options.ema})`, x: ema.x, y: ema.y, dashed: true }] : []),
    ]));
    const runners: Runner[] = paths.map(({ choice, path, ema }) => {
      const li = document.createElement('li');
      li.dataset.optimizer = choice.def.id;
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = choice.def.color;
      const value = document.createElement('span');
      value.className = 'value';
      const lr = document.createElement('small');
      lr.textContent = `lr ${choice.lr}`;
      li.append(swatch, `${choice.def.label} `, lr, ' ', value);
      let emaValue: HTMLElement | undefined;
      if (ema) {
        emaValue = document.createElement('span');
        emaValue.className = 'value ema';
        li.append(' ', emaValue);
      }
      return { choice, path, ema, value, emaValue };
    });
    this.#legend.replaceChildren(...runners.map((r) => r.value.parentElement!));

    const svg = this.#plot.svg;
    svg.dataset.steps = String(options.steps);
    svg.dataset.state = 'running';
    // about 3 ms of animation per step, between 1 and 4 seconds
    const duration = Math.min(4000, Math.max(1000, 3 * options.steps));
    const t0 = performance.now();
    const tick = (now: number) => {
      // (the frame's timestamp may precede t0)
      const step = Math.max(0, Math.min(options.steps, Math.round(((now - t0) / duration) * options.steps)));
      this.#plot.show(step);
      for (const r of runners) {
        const k = Math.min(step, r.path.steps);
        const diverged = r.path.diverged && step > r.path.steps;
        r.value.textContent = diverged ? `diverged at step ${r.path.steps}` : `f = ${fmtValue(r.path.value[k]!)}`;
        r.value.dataset.f = String(r.path.value[k]);
        r.value.dataset.step = String(k);
        r.value.classList.toggle('diverged', diverged);
        if (r.ema && r.emaValue) {
          r.emaValue.textContent = diverged ? '' : `EMA f = ${fmtValue(r.ema.value[k]!)}`;
          r.emaValue.dataset.f = String(r.ema.value[k]);
          r.emaValue.dataset.step = String(k);
        }
      }
      if (step < options.steps) {
        this.#frame = requestAnimationFrame(tick);
      } else {
        this.#frame = 0;
        svg.dataset.state = 'done';
        onDone?.();
      }
    };
    this.#frame = requestAnimationFrame(tick);
  }

  /** Whether a race is being animated. */
  get running(): boolean {
    return this.#frame !== 0;
  }

  /** Stops the animation where it is. */
  stop(): void {
    if (this.#frame) cancelAnimationFrame(this.#frame);
    this.#frame = 0;
  }
}
