// The optimizer comparison behind `npm start` and `wasm-optim compare`:
// the same model from the same initial weights, trained with every method;
// a learning-rate sweep per method; trajectories on the 2-D test functions.
// Pure computation: progress is reported through a callback, output is data.
import type { Dataset } from '../data/dataset.js';
import { digitsSource, loadDigits } from '../data/digits.js';
import { testFunctions, type TestFunction } from '../data/functions.js';
import { spiral } from '../data/spiral.js';
import { MLP } from '../models/mlp.js';
import type { Classifier } from '../models/model.js';
import { SoftmaxRegression } from '../models/softmax.js';
import type { Optimizer } from '../optimizer.js';
import { AveragedParams, type AveragedParamsOptions } from '../averaged-params.js';
import { SWALR } from '../schedulers/swa-lr.js';
import type { SchedulableOptimizer } from '../schedulers/scheduler.js';
import { asParams, closureRegistry, createOptimizer, registry, type OptimizerEntry, type OptimizerName } from '../registry.js';
import { LBFGS } from '../optimizers/lbfgs.js';
import { Trainer, batchesPerEpoch } from '../train/fit.js';
import { trajectory, type Trajectory } from '../train/trajectory.js';
import { averagedTrajectory } from '../train/averaged-trajectory.js';
import { ready } from '../wasm.js';

/**
 * A method of the comparison: one of the three ways of feeding SGD (`gd`
 * full batch, `sgd` batch 1, `minibatch`), or any registered optimizer by its
 * lower-case name (`adam`, `nadam`, `lion`, ...) on mini-batches.
 */
export type MethodName = string;
/** AdamW with a cosine learning-rate schedule over the run, the baseline of the schedule-free methods. */
const ADAMW_COSINE = 'adamw-cosine';
/** The same AdamW run judged at an exponential moving average of its weights (AveragedParams, updated after every step). */
const ADAMW_EMA = 'adamw-ema';
/**
 * The EMA's decay in the comparison: a horizon of about 1/(1 - decay) = 100
 * steps, two epochs of the digits at batch 32 (torch's default 0.999 would
 * still remember the initial weights after the 30 epochs' 1,350 steps).
 */
export const EMA_DECAY = 0.99;
/** AdamW judged at an SWA of its weights, as torch.optim.swa_utils' recipe (AveragedParams 'swa' once per epoch after swaStart, SWALR). */
const ADAMW_SWA = 'adamw-swa';
/**
 * The SWA recipe of the comparison (torch.optim.swa_utils' training loop):
 * the first `floor(start*epochs)` epochs at the constant lr (the last quarter
 * averaged, as the SWA paper, Izmailov et al. 2018, averages the last 25% of
 * the budget), then after every later epoch `avg.update(params)` and
 * `swalr.step()`, SWALR annealing the lr to `lrFactor*lr` over `annealEpochs`
 * epochs ('cos'); on the 2-D functions, the running mean of the path's points
 * from the same fraction of its steps on.
 */
export const SWA_RECIPE = Object.freeze({ start: 0.75, lrFactor: 0.5, annealEpochs: 2, annealStrategy: 'cos' as const });
/** Epochs trained before averaging starts, of a run of `epochs` (SWA_RECIPE.start). */
export const swaStartOf = (epochs: number): number => Math.floor(SWA_RECIPE.start * epochs);
/** The three ways of feeding plain SGD; `sgd` doubles as the registry's SGD. */
const SGD_METHODS = ['gd', 'sgd', 'minibatch'] as const;
/** Every method `--methods` accepts: the SGD variants, then every registered optimizer. */
export const METHODS: readonly MethodName[] = Object.freeze([
  ...SGD_METHODS,
  ...registry.flatMap((e) => (e.name === 'AdamW' ? ['adamw', ADAMW_COSINE, ADAMW_EMA, ADAMW_SWA] : [e.name.toLowerCase()])).filter((m) => m !== 'sgd'),
  // closure-stepped optimizers (closureRegistry) run full-batch through fit: see closureDefs
  ...closureRegistry.map((e) => e.name.toLowerCase()),
]);
/** The methods compared by default (the classic family, as `npm start` has always run). */
export const DEFAULT_METHODS: readonly MethodName[] = Object.freeze(['gd', 'sgd', 'minibatch', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw', ADAMW_COSINE, ADAMW_EMA, ADAMW_SWA, 'adamwschedulefree', 'lbfgs']);
export const DATASETS = ['digits', 'spiral'] as const;
export type DatasetName = (typeof DATASETS)[number];
export const MODELS = ['mlp', 'softmax'] as const;
export type ModelName = (typeof MODELS)[number];
export type FunctionName = keyof typeof testFunctions;

export interface MethodDef {
  label: string;
  /** which batch size the method trains with */
  batch: 'full' | 'one' | 'mini';
  /** the centre of the learning-rate sweep on the digits */
  lr: number;
  /** the class it uses and how */
  uses: string;
  make(params: Float32Array[], lr: number): Optimizer<object> | LBFGS;
  /** the optimizer for the 2-D trajectories, when it differs from `make` (LBFGS: one iteration per recorded point) */
  make2d?(params: Float32Array[], lr: number): Optimizer<object> | LBFGS;
  /** learning rates on the 2-D functions */
  lr2d: Readonly<Record<FunctionName, number>>;
  /** anneal lr over the run with a cosine, lr*(1 + cos(pi*step/steps))/2 (CosineAnnealingLR's closed form, etaMin 0, per step) */
  cosine?: boolean;
  /**
   * judge the run at a running average of the weights (AveragedParams, updated
   * after every step; on the 2-D functions the average of the path) instead of
   * at the weights themselves
   */
  average?: AveragedParamsOptions;
  /**
   * judge the run at an SWA of its weights (SWA_RECIPE: AveragedParams 'swa'
   * updated after every epoch past swaStartOf(epochs), SWALR stepped with it);
   * before the first update, at the weights
   */
  swa?: boolean;
  /** take this method's learning rate (given, or its sweep's best) when it runs too, instead of sweeping */
  lrOf?: MethodName;
}

/** The cosine schedule of a run of `steps` steps from `lr` (MethodDef.cosine). */
function cosineSchedule(lr: number, steps: number): (at: { step: number }) => number {
  return ({ step }) => (lr * (1 + Math.cos((Math.PI * Math.min(step, steps)) / steps))) / 2;
}

/**
 * Runs `f` with the optimizer's parameters at the point a method is judged
 * by: the schedule-free methods are evaluated at the average x (opt.eval(), then
 * train() again, as upstream's training loops do), every other method at its
 * parameters.
 */
function atEvalPoint<T>(opt: unknown, f: () => T): T {
  const sf = opt as { eval?: unknown; train?: unknown };
  if (typeof sf.eval !== 'function' || typeof sf.train !== 'function') return f();
  (sf.eval as () => void).call(opt);
  try {
    return f();
  } finally {
    (sf.train as () => void).call(opt);
  }
}

/**
 * The weight average a method is judged at (MethodDef.average or .swa), for a
 * run of `epochs` epochs of `stepsPerEpoch` steps at `lr`: `onStep` to call
 * after every step, `params()` the weights to judge (the average once it has
 * an update, the weights before), `dispose()`. Undefined for a method judged
 * at its weights.
 */
function averagerOf(def: MethodDef, opt: Optimizer<object> | LBFGS, lr: number, epochs: number, stepsPerEpoch: number):
  { onStep: (info: { step: number }) => void; params: (weights: readonly Float32Array[]) => readonly Float32Array[]; dispose: () => void } | undefined {
  if (def.average) {
    const avg = new AveragedParams(opt.params, def.average);
    return { onStep: () => avg.update(opt.params), params: () => avg.params, dispose: () => avg.dispose() };
  }
  if (!def.swa) return undefined;
  // torch.optim.swa_utils: after each epoch past swa_start, update_parameters(model), then swa_scheduler.step()
  const avg = new AveragedParams(opt.params, { mode: 'swa' });
  const swalr = new SWALR(opt as unknown as SchedulableOptimizer, { swaLr: SWA_RECIPE.lrFactor * lr, annealEpochs: SWA_RECIPE.annealEpochs, annealStrategy: SWA_RECIPE.annealStrategy });
  const start = swaStartOf(epochs);
  return {
    onStep: ({ step }) => {
      if (step % stepsPerEpoch !== 0 || step / stepsPerEpoch <= start) return;
      avg.update(opt.params);
      swalr.step();
    },
    params: (weights) => (avg.nAveraged > 0 ? avg.params : weights),
    dispose: () => avg.dispose(),
  };
}

/** The SWA path on a 2-D function (SWA_RECIPE): the points up to swaStartOf(steps), then the running mean of the points from there on. */
function swaTrajectory(path: Trajectory, fn: TestFunction): Trajectory {
  const start = swaStartOf(path.steps);
  const tail = averagedTrajectory({ ...path, x: path.x.slice(start), y: path.y.slice(start), value: path.value.slice(start), steps: path.steps - start }, fn, { mode: 'swa' });
  const join = (head: Float64Array, rest: Float64Array) => {
    const out = new Float64Array(path.steps + 1);
    out.set(head.subarray(0, start));
    out.set(rest, start);
    return out;
  };
  return { ...path, x: join(path.x, tail.x), y: join(path.y, tail.y), value: join(path.value, tail.value) };
}

/** "Adam (betas 0.9, 0.999)": the class and the defaults of the hyperparameters its demo exposes. */
function usesOf(e: OptimizerEntry): string {
  const shown = e.demo.fields.map((k) => {
    const v = (e.defaults as Record<string, unknown>)[k];
    return `${k} ${Array.isArray(v) ? v.join(', ') : String(v)}`;
  });
  return shown.length ? `${e.name} (${shown.join(', ')})` : e.name;
}

function defOf(e: OptimizerEntry): MethodDef {
  const name = e.name as OptimizerName;
  return {
    label: e.name, batch: 'mini', lr: e.demo.lr, uses: usesOf(e), lr2d: e.demo.lr2d,
    // Muon takes matrices: the demo gives it each tensor as one row (asParams)
    make: (p, lr) => createOptimizer(name, asParams(e, p), { lr }) as Optimizer<object>,
  };
}

const sgdEntry = registry.find((e) => e.name === 'SGD')!;
const sgdDef = defOf(sgdEntry);
/** Every method's definition, by method name (read from the registry). */
export const METHOD_DEFS: Readonly<Record<MethodName, MethodDef>> = Object.freeze({
  gd: { ...sgdDef, label: 'GD (full batch)', batch: 'full', lr: 1, uses: 'SGD, batch = all' },
  sgd: { ...sgdDef, label: 'SGD (batch 1)', batch: 'one', lr: 0.03, uses: 'SGD, batch = 1' },
  minibatch: { ...sgdDef, label: 'Mini-batch GD', uses: 'SGD, batch = B' },
  ...Object.fromEntries(registry.filter((e) => e !== sgdEntry).map((e) => [e.name.toLowerCase(), defOf(e)])),
  [ADAMW_COSINE]: { ...defOf(registry.find((e) => e.name === 'AdamW')!), label: 'AdamW + cosine', uses: 'AdamW (betas 0.9, 0.999, weightDecay 0.01), CosineAnnealingLR per step', cosine: true },
  [ADAMW_EMA]: {
    ...defOf(registry.find((e) => e.name === 'AdamW')!), label: 'AdamW + EMA',
    uses: `AdamW (betas 0.9, 0.999, weightDecay 0.01) at AdamW's lr (when AdamW runs too), judged at an EMA of its weights (AveragedParams, decay ${EMA_DECAY}, updated every step)`,
    average: { mode: 'ema', decay: EMA_DECAY }, lrOf: 'adamw',
  },
  [ADAMW_SWA]: {
    ...defOf(registry.find((e) => e.name === 'AdamW')!), label: 'AdamW + SWA',
    uses: `AdamW (betas 0.9, 0.999, weightDecay 0.01) at AdamW's lr (when AdamW runs too), judged at an SWA of its weights (AveragedParams 'swa' updated once per epoch over the last ${100 * (1 - SWA_RECIPE.start)}% of the epochs, SWALR to ${SWA_RECIPE.lrFactor}*lr over ${SWA_RECIPE.annealEpochs} epochs, ${SWA_RECIPE.annealStrategy})`,
    swa: true, lrOf: 'adamw',
  },
  ...closureDefs(),
});

/**
 * Closure-stepped optimizers (closureRegistry: LBFGS) in the comparison: they
 * cannot take mini-batch gradients (step(closure) re-evaluates the loss along
 * its line search), so they run full-batch, one step(closure) per epoch
 * through fit, with the strong-Wolfe line search; on the 2-D functions one
 * iteration per recorded point.
 */
function closureDefs(): Record<MethodName, MethodDef> {
  const lbfgs = closureRegistry.find((e) => e.name === 'LBFGS')!;
  return {
    lbfgs: {
      label: 'L-BFGS (full batch)', batch: 'full', lr: 1, uses: `${lbfgs.name} (strong_wolfe, history 10), batch = all`,
      lr2d: { rosenbrock: 1, beale: 1, saddle: 1 },
      make: (p, lr) => new LBFGS(p, { lr, lineSearchFn: 'strong_wolfe', historySize: 10 }),
      make2d: (p, lr) => new LBFGS(p, { lr, lineSearchFn: 'strong_wolfe', historySize: 10, maxIter: 1 }),
    },
  };
}

/**
 * The method named `name` (case-insensitive: `NAdam` and `nadam` are one
 * method), or undefined.
 */
export function methodOf(name: string): MethodName | undefined {
  const m = name.trim().toLowerCase();
  return Object.prototype.hasOwnProperty.call(METHOD_DEFS, m) ? m : undefined;
}

/** Steps and gradient noise (standard deviation, for SGD; divided by sqrt(B) for mini-batches) on each 2-D function. */
export const FUNCTION_SETTINGS: Readonly<Record<FunctionName, { steps: number; noise: number }>> = {
  rosenbrock: { steps: 2000, noise: 20 },
  beale: { steps: 500, noise: 2 },
  saddle: { steps: 200, noise: 0.5 },
};

export interface CompareConfig {
  dataset: DatasetName;
  model: ModelName;
  /** hidden units of the MLP */
  hidden: number;
  optimizers: MethodName[];
  /** fixed learning rates; a method without one takes the best of its sweep (or its default without a sweep) */
  lr: Partial<Record<MethodName, number>>;
  /** the mini-batch size of every method but GD and SGD */
  batchSize: number;
  epochs: number;
  /** epochs of each sweep run; 0 skips the sweep */
  sweepEpochs: number;
  /** the sweep tries each method's default lr moved by these many half-decades (on the 1-3-10 ladder) */
  sweepSteps: number[];
  /** seeds the initial weights, the shuffling and the gradient noise on the 2-D functions */
  seed: number;
  /** the training loss whose first crossing is reported */
  targetLoss: number;
  /** run the 2-D trajectories */
  trajectories: boolean;
}

export const DEFAULT_CONFIG: Readonly<CompareConfig> = Object.freeze({
  dataset: 'digits',
  model: 'mlp',
  hidden: 32,
  optimizers: [...DEFAULT_METHODS],
  lr: {},
  batchSize: 32,
  epochs: 30,
  sweepEpochs: 10,
  sweepSteps: [-2, -1, 0, 1, 2],
  seed: 1,
  targetLoss: 0.1,
  trajectories: true,
});

export interface RunResult {
  method: MethodName;
  label: string;
  uses: string;
  lr: number;
  /** 'sweep' when the lr is the sweep's best, 'fixed' when given, 'default' otherwise */
  lrSource: 'sweep' | 'fixed' | 'default';
  batchSize: number;
  stepsPerEpoch: number;
  /** per epoch, starting with epoch 0 (the initial weights): full training loss */
  trainLoss: number[];
  testLoss: number[];
  testAccuracy: number[];
  /** every step's mini-batch loss */
  stepLoss: number[];
  reached: { epoch: number; step: number } | null;
  diverged: { epoch: number; step: number } | null;
  epochs: number;
  steps: number;
  wallMs: number;
  optimizerMs: number;
}

export interface SweepResult {
  method: MethodName;
  lrs: number[];
  /** final training loss per lr; NaN where the run diverged */
  loss: number[];
  best: number;
}

export interface TrajectoryResult {
  fn: FunctionName;
  method: MethodName;
  lr: number;
  noise: number;
  x: number[];
  y: number[];
  finalValue: number;
  diverged: boolean;
}

export interface CompareResult {
  config: CompareConfig;
  datasetName: string;
  datasetNote: string;
  modelName: string;
  params: number;
  trainSize: number;
  testSize: number;
  sweep: SweepResult[];
  runs: RunResult[];
  trajectories: TrajectoryResult[];
  totalMs: number;
}

/** What the runner reports while it works. */
export type ProgressEvent =
  | { kind: 'start'; total: number }
  | { kind: 'task'; label: string }
  | { kind: 'tick'; units: number; detail: string }
  | { kind: 'done'; label: string; summary: string };

async function loadData(name: DatasetName): Promise<{ train: Dataset; test: Dataset; name: string; note: string }> {
  if (name === 'digits') {
    const { train, test } = await loadDigits();
    return {
      train, test, name: 'UCI hand-written digits (8x8)',
      note: `${digitsSource.citation} License: ${digitsSource.license}.`,
    };
  }
  return {
    train: spiral({ perClass: 200, seed: 1 }),
    test: spiral({ perClass: 100, seed: 2 }),
    name: 'spiral (3 classes, 2-D)',
    note: 'Synthetic: three interleaved noisy spirals (train seed 1, test seed 2).',
  };
}

function makeModel(config: CompareConfig, data: Dataset): Classifier {
  return config.model === 'mlp'
    ? new MLP({ inputs: data.dim, hidden: config.hidden, classes: data.classes })
    : new SoftmaxRegression({ inputs: data.dim, classes: data.classes });
}

/**
 * The learning rate `halfDecades` steps of sqrt(10) away from `lr`, on the
 * ladder ..., 0.01, 0.03, 0.1, 0.3, 1, 3, ... (mantissa 1 or 3).
 */
export function ladder(lr: number, halfDecades: number): number {
  const k = Math.round(2 * Math.log10(lr)) + halfDecades;
  const e = Math.floor(k / 2);
  return Number(((k % 2 === 0 ? 1 : 3) * 10 ** e).toPrecision(1));
}

function batchOf(def: MethodDef, config: CompareConfig, n: number): number {
  return def.batch === 'full' ? n : def.batch === 'one' ? 1 : Math.min(config.batchSize, n);
}

/** Runs the whole comparison. */
export async function runCompare(config: CompareConfig, onProgress: (e: ProgressEvent) => void = () => {}): Promise<CompareResult> {
  const t0 = performance.now();
  await ready();
  const { train, test, name, note } = await loadData(config.dataset);
  const model = makeModel(config, train);
  const init = model.init(config.seed);
  const params = init.reduce((s, p) => s + p.length, 0);
  const lossAndGrad = model.lossAndGrad(train);

  /** a method that takes another's lr (lrOf) when that one runs too */
  const borrows = (m: MethodName) => {
    const of = METHOD_DEFS[m]!.lrOf;
    return of !== undefined && of !== m && config.optimizers.includes(of);
  };
  const sweepMethods = config.sweepEpochs > 0 ? config.optimizers.filter((m) => config.lr[m] === undefined && !borrows(m)) : [];
  const fnNames = config.trajectories ? (Object.keys(testFunctions) as FunctionName[]) : [];
  const total =
    sweepMethods.length * config.sweepSteps.length * config.sweepEpochs +
    config.optimizers.length * config.epochs +
    fnNames.length * config.optimizers.length;
  onProgress({ kind: 'start', total });

  // 1. Learning-rate sweep: short runs over a grid around each default.
  const sweep: SweepResult[] = [];
  for (const method of sweepMethods) {
    const def = METHOD_DEFS[method]!;
    const lrs = config.sweepSteps.map((k) => ladder(def.lr, k));
    const loss: number[] = [];
    for (const lr of lrs) {
      onProgress({ kind: 'task', label: `sweep ${def.label} lr=${lr}` });
      const opt = def.make(init.map((p) => p.slice()), lr);
      const perEpoch = batchesPerEpoch(train.n, batchOf(def, config, train.n));
      const avg = averagerOf(def, opt, lr, config.sweepEpochs, perEpoch);
      const trainer = new Trainer(opt, train, lossAndGrad, {
        epochs: config.sweepEpochs,
        batchSize: batchOf(def, config, train.n),
        seed: config.seed,
        schedule: def.cosine ? cosineSchedule(lr, perEpoch * config.sweepEpochs) : undefined,
        onStep: avg?.onStep,
        onEpoch: (e) => onProgress({ kind: 'tick', units: 1, detail: `epoch ${e.epoch}/${config.sweepEpochs}` }),
      });
      const r = trainer.run();
      const final = r.diverged ? NaN : atEvalPoint(opt, () => model.loss(avg ? avg.params(opt.params) : opt.params, train));
      if (r.diverged) onProgress({ kind: 'tick', units: config.sweepEpochs - r.epochs, detail: 'diverged' });
      loss.push(final);
      avg?.dispose();
      opt.dispose();
    }
    let bestI = -1;
    loss.forEach((l, i) => {
      if (Number.isFinite(l) && (bestI < 0 || l < loss[bestI]!)) bestI = i;
    });
    const best = bestI >= 0 ? lrs[bestI]! : def.lr;
    sweep.push({ method, lrs, loss, best });
    onProgress({
      kind: 'done',
      label: `lr sweep ${def.label}`,
      summary: `${lrs.map((lr, i) => `lr ${lr}: ${Number.isFinite(loss[i]!) ? loss[i]!.toFixed(3) : 'diverged'}`).join(', ')}; best ${best}`,
    });
  }

  // 2. The comparison: every method at its learning rate, from the same weights.
  const runs: RunResult[] = [];
  for (const method of config.optimizers) {
    const def = METHOD_DEFS[method]!;
    // a method that borrows another's lr (lrOf) takes it where it came from
    const lrMethod = config.lr[method] === undefined && borrows(method) ? def.lrOf! : method;
    const fixed = config.lr[lrMethod];
    const fromSweep = sweep.find((s) => s.method === lrMethod);
    const lr = fixed ?? fromSweep?.best ?? METHOD_DEFS[lrMethod]!.lr;
    const lrSource = fixed !== undefined ? 'fixed' : fromSweep ? 'sweep' : 'default';
    const label = `${def.label} lr=${lr}`;
    onProgress({ kind: 'task', label });
    const opt = def.make(init.map((p) => p.slice()), lr);
    const batchSize = batchOf(def, config, train.n);
    const avg = averagerOf(def, opt, lr, config.epochs, batchesPerEpoch(train.n, batchSize));
    const trainLoss = [model.loss(opt.params, train)];
    const testLoss = [model.loss(opt.params, test)];
    const testAccuracy = [model.accuracy(opt.params, test)];
    const trainer = new Trainer(opt, train, lossAndGrad, {
      epochs: config.epochs,
      batchSize,
      seed: config.seed,
      schedule: def.cosine ? cosineSchedule(lr, batchesPerEpoch(train.n, batchSize) * config.epochs) : undefined,
      recordSteps: true,
      targetLoss: config.targetLoss,
      stopAtTarget: false,
      onStep: avg?.onStep,
      evaluate: (weights) =>
        atEvalPoint(opt, () => {
          const p = avg ? avg.params(weights) : weights;
          testLoss.push(model.loss(p, test));
          testAccuracy.push(model.accuracy(p, test));
          const l = model.loss(p, train);
          trainLoss.push(l);
          return l;
        }),
      onEpoch: (e) => onProgress({ kind: 'tick', units: 1, detail: `epoch ${e.epoch}/${config.epochs} train loss ${e.evalLoss!.toFixed(4)}` }),
    });
    const r = trainer.run();
    if (r.diverged) onProgress({ kind: 'tick', units: config.epochs - r.epochs, detail: 'diverged' });
    runs.push({
      method, label: def.label, uses: def.uses, lr, lrSource, batchSize, stepsPerEpoch: trainer.stepsPerEpoch,
      trainLoss, testLoss, testAccuracy, stepLoss: r.stepLoss,
      reached: r.reached && { epoch: r.reached.epoch, step: r.reached.step },
      diverged: r.diverged, epochs: r.epochs, steps: r.steps, wallMs: r.wallMs, optimizerMs: r.optimizerMs,
    });
    avg?.dispose();
    opt.dispose();
    const last = runs.at(-1)!;
    onProgress({
      kind: 'done', label,
      summary: last.diverged ? 'diverged' : `train loss ${last.trainLoss.at(-1)!.toFixed(4)}, test accuracy ${(100 * last.testAccuracy.at(-1)!).toFixed(1)}%`,
    });
  }

  // 3. Trajectories on the 2-D functions (stochastic methods see noisy gradients).
  const trajectories: TrajectoryResult[] = [];
  for (const fnName of fnNames) {
    const fn: TestFunction = testFunctions[fnName];
    const { steps, noise: sigma } = FUNCTION_SETTINGS[fnName];
    for (const method of config.optimizers) {
      const def = METHOD_DEFS[method]!;
      const noise = def.batch === 'full' ? 0 : def.batch === 'one' ? sigma : sigma / Math.sqrt(config.batchSize);
      const lr = def.lr2d[fnName];
      onProgress({ kind: 'task', label: `${fnName} ${def.label}` });
      const opt = (def.make2d ?? def.make)([Float32Array.from(fn.start)], lr);
      const path = trajectory(opt, fn, { steps, noise, seed: config.seed });
      opt.dispose();
      const t = def.average ? averagedTrajectory(path, fn, def.average) : def.swa ? swaTrajectory(path, fn) : path;
      trajectories.push({ fn: fnName, method, lr, noise, x: [...t.x], y: [...t.y], finalValue: t.value[t.steps]!, diverged: t.diverged });
      onProgress({ kind: 'tick', units: 1, detail: '' });
    }
    onProgress({
      kind: 'done',
      label: `trajectories on ${fnName} (${steps} steps)`,
      summary: trajectories.filter((t) => t.fn === fnName).map((t) => `${METHOD_DEFS[t.method]!.label} f=${t.diverged ? 'diverged' : t.finalValue.toPrecision(3)}`).join(', '),
    });
  }

  return {
    config, datasetName: name, datasetNote: note, modelName: model.name, params,
    trainSize: train.n, testSize: test.n, sweep, runs, trajectories, totalMs: performance.now() - t0,
  };
}
