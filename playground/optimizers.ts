// The optimizers the playground offers: every entry of the library's
// registry (src/registry.ts: its suggested learning rates on each 2-D function
// and on the digits, and the hyperparameters worth editing), plus Nesterov,
// SGD's other form. Colours and field labels are the page's own.
import { asParams, closureRegistry, createOptimizer, LBFGS, registry, type Optimizer, type OptimizerEntry, type OptimizerName } from 'wasm-optim';

export type FunctionName = 'rosenbrock' | 'beale' | 'saddle';

/** A hyperparameter besides the learning rate, edited in the table. */
export interface Field {
  key: string;
  /** short label shown before the input, e.g. "β1" */
  label: string;
  /** the library's default */
  value: number;
  /** the input's step */
  step: number;
  /** tooltip: the option it sets */
  title: string;
}

export interface OptimizerDef {
  id: string;
  label: string;
  color: string;
  /** selected when the page opens */
  selected: boolean;
  fields: readonly Field[];
  /** suggested learning rate on each 2-D function */
  lr2d: Readonly<Record<FunctionName, number>>;
  /** suggested learning rate on the digits (mini-batches of 32) */
  lrDigits: number;
  /** the optimizer over `params`, with learning rate `lr` and the fields' values `h` */
  make(params: Float32Array[], lr: number, h: Readonly<Record<string, number>>): Optimizer<object>;
  /**
   * Closure-stepped methods (L-BFGS): the optimizer for the race, which
   * steps it with step(closure) through trajectory(); `make` then refuses
   * (the digits panel trains with mini-batches: L-BFGS is full-batch, see
   * `npm start`).
   */
  makeClosure?(params: Float32Array[], lr: number, h: Readonly<Record<string, number>>): LBFGS;
}

/** Labels and tooltips of the hyperparameters a registry entry may expose (`demo.fields`). */
const FIELD_TEXT: Readonly<Record<string, readonly (readonly [label: string, title: string])[]>> = {
  momentum: [['momentum', 'momentum']],
  beta: [['β', 'beta: decay of the velocity']],
  alpha: [['α', 'alpha: decay of the running mean of squared gradients']],
  rho: [['ρ', 'rho: decay of the running means']],
  weightDecay: [['wd', 'weightDecay']],
  betas: [
    ['β1', 'betas[0]: decay of the running mean of gradients'],
    ['β2', 'betas[1]: decay of the running mean of squared gradients'],
  ],
  beta2Decay: [['τ', 'beta2Decay: 1 − β2 at step t is t^τ (τ <= 0)']],
  d: [['d', 'd: update clipping threshold (U is divided by max(1, RMS(U)/d))']],
  etas: [
    ['η−', 'etas[0]: step-size factor after a sign change'],
    ['η+', 'etas[1]: step-size factor while the sign holds'],
  ],
};

/** The fields of one option: one per number, two for a pair (`betas` gives `betas.0` and `betas.1`). */
function fieldsOf(e: OptimizerEntry): Field[] {
  return e.demo.fields.flatMap((key) => {
    const value = (e.defaults as Record<string, unknown>)[key];
    const text = FIELD_TEXT[key] ?? [[key, key]];
    const values = Array.isArray(value) ? (value as number[]) : [value as number];
    return values.map((v, i) => {
      const [label, title] = text[i] ?? [`${key}[${i}]`, `${key}[${i}]`];
      return { key: Array.isArray(value) ? `${key}.${i}` : key, label, value: v, step: v > 0 && v < 1 ? 0.001 : 0.05, title };
    });
  });
}

/** The options of the fields' values: `betas.0` and `betas.1` become `betas: [., .]`. */
function optionsOf(h: Readonly<Record<string, number>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(h)) {
    const dot = k.indexOf('.');
    if (dot < 0) out[k] = v;
    else ((out[k.slice(0, dot)] ??= []) as number[])[Number(k.slice(dot + 1))] = v;
  }
  return out;
}

/** Tableau 10, then Tableau 20's light tones: one colour per row. */
const PALETTE = [
  '#4e79a7', '#17becf', '#2ca02c', '#8c564b', '#e6a000', '#d62728', '#9467bd', '#7f7f7f', '#bcbd22', '#ff7f0e',
  '#1f3b73', '#4b4b4b', '#9c755f', '#e377c2', '#b07aa1', '#59a14f', '#f28e2b',
  '#76b7b2', '#edc948', '#af7aa1', '#ff9da7', '#499894', '#d37295', '#8cd17d',
];
/** Selected when the page opens (the others are one click away). */
const SELECTED = new Set(['sgd', 'nesterov', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw', 'lion']);

function defOf(e: OptimizerEntry): Omit<OptimizerDef, 'color' | 'selected'> {
  const name = e.name as OptimizerName;
  return {
    id: e.name.toLowerCase(),
    label: e.name,
    fields: fieldsOf(e),
    lr2d: e.demo.lr2d,
    lrDigits: e.demo.lr,
    // Muon takes matrices: the playground gives it each tensor as one row (asParams)
    make: (p, lr, h) => createOptimizer(name, asParams(e, p), { lr, ...optionsOf(h) }) as Optimizer<object>,
  };
}

const sgd = defOf(registry.find((e) => e.name === 'SGD')!);
const nesterov: Omit<OptimizerDef, 'color' | 'selected'> = {
  id: 'nesterov',
  label: 'Nesterov',
  fields: [{ key: 'momentum', label: 'momentum', value: 0.9, step: 0.05, title: 'momentum of SGD with nesterov: true (must be > 0)' }],
  lr2d: { rosenbrock: 3e-4, beale: 1e-3, saddle: 3e-3 },
  lrDigits: 0.1,
  make: (p, lr, h) => createOptimizer('SGD', p, { lr, momentum: h.momentum, nesterov: true }),
};

/**
 * L-BFGS (closureRegistry) races on the 2-D functions: one iteration per
 * step of the race (maxIter: 1, strong Wolfe line search, history 10), as
 * trajectory() records it. It is left out of the digits panel, which trains
 * with mini-batches (L-BFGS is full-batch: `npm start` trains it on the digits).
 */
const lbfgsEntry = closureRegistry.find((e) => e.name === 'LBFGS')!;
const lbfgs: Omit<OptimizerDef, 'color' | 'selected'> = {
  id: 'lbfgs',
  label: 'L-BFGS',
  fields: [{ key: 'historySize', label: 'm', value: 10, step: 1, title: 'historySize: curvature pairs kept' }],
  lr2d: { rosenbrock: lbfgsEntry.defaults.lr, beale: lbfgsEntry.defaults.lr, saddle: lbfgsEntry.defaults.lr },
  lrDigits: lbfgsEntry.defaults.lr,
  make: () => {
    throw new Error('L-BFGS is full-batch: it races on the functions; `npm start` trains it on the digits');
  },
  makeClosure: (p, lr, h) => new LBFGS(p, { lr, maxIter: 1, historySize: h.historySize, lineSearchFn: 'strong_wolfe' }),
};

/** Names of registered optimizers the playground leaves out (none: L-BFGS races, see above). */
export const EXCLUDED: readonly string[] = [];

export const OPTIMIZERS: readonly OptimizerDef[] = [sgd, nesterov, ...registry.filter((e) => e.name !== 'SGD').map(defOf), lbfgs].map((d, i) => ({
  ...d,
  color: PALETTE[i % PALETTE.length]!,
  selected: SELECTED.has(d.id),
}));

/** Steps each 2-D function gets by default. */
export const DEFAULT_STEPS: Readonly<Record<FunctionName, number>> = { rosenbrock: 1000, beale: 500, saddle: 200 };
