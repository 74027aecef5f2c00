// The optimizers the playground offers: their hyperparameter fields, colours,
// and suggested learning rates on each 2-D function and on the digits (found
// by sweeping the 1-3-10 ladder: quick on that problem, without diverging,
// and on the 2-D functions without wild first jumps).
import {
  Adadelta, Adagrad, Adam, Adamax, AdamW, ASGD, Lamb, Lion, Momentum, NAdam, RAdam, RMSprop, Rprop, SGD,
  type Optimizer,
} from 'wasm-optim';

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
}

const beta1: Field = { key: 'beta1', label: 'β1', value: 0.9, step: 0.01, title: 'betas[0]: decay of the running mean of gradients' };
const beta2: Field = { key: 'beta2', label: 'β2', value: 0.999, step: 0.001, title: 'betas[1]: decay of the running mean of squared gradients' };
const betas = (h: Readonly<Record<string, number>>): [number, number] => [h.beta1!, h.beta2!];

export const OPTIMIZERS: readonly OptimizerDef[] = [
  {
    id: 'sgd', label: 'SGD', color: '#4e79a7', selected: true,
    fields: [{ key: 'momentum', label: 'momentum', value: 0, step: 0.05, title: 'momentum (0: plain gradient descent)' }],
    lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, lrDigits: 0.3,
    make: (p, lr, h) => new SGD(p, { lr, momentum: h.momentum }),
  },
  {
    id: 'nesterov', label: 'Nesterov', color: '#17becf', selected: true,
    fields: [{ key: 'momentum', label: 'momentum', value: 0.9, step: 0.05, title: 'momentum of SGD with nesterov: true (must be > 0)' }],
    lr2d: { rosenbrock: 3e-4, beale: 1e-3, saddle: 3e-3 }, lrDigits: 0.1,
    make: (p, lr, h) => new SGD(p, { lr, momentum: h.momentum, nesterov: true }),
  },
  {
    id: 'momentum', label: 'Momentum', color: '#2ca02c', selected: true,
    fields: [{ key: 'beta', label: 'β', value: 0.9, step: 0.05, title: 'beta: decay of the velocity' }],
    lr2d: { rosenbrock: 2e-3, beale: 0.01, saddle: 0.01 }, lrDigits: 0.3,
    make: (p, lr, h) => new Momentum(p, { lr, beta: h.beta }),
  },
  {
    id: 'adagrad', label: 'Adagrad', color: '#8c564b', selected: true, fields: [],
    lr2d: { rosenbrock: 0.3, beale: 0.3, saddle: 0.1 }, lrDigits: 0.1,
    make: (p, lr) => new Adagrad(p, { lr }),
  },
  {
    id: 'rmsprop', label: 'RMSprop', color: '#e6a000', selected: true,
    fields: [
      { key: 'alpha', label: 'α', value: 0.99, step: 0.01, title: 'alpha: decay of the running mean of squared gradients' },
      { key: 'momentum', label: 'momentum', value: 0, step: 0.05, title: 'momentum' },
    ],
    lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.01 }, lrDigits: 3e-3,
    make: (p, lr, h) => new RMSprop(p, { lr, alpha: h.alpha, momentum: h.momentum }),
  },
  {
    id: 'adadelta', label: 'Adadelta', color: '#7f7f7f', selected: false,
    fields: [{ key: 'rho', label: 'ρ', value: 0.9, step: 0.01, title: 'rho: decay of the running means' }],
    lr2d: { rosenbrock: 1, beale: 3, saddle: 1 }, lrDigits: 1,
    make: (p, lr, h) => new Adadelta(p, { lr, rho: h.rho }),
  },
  {
    id: 'adam', label: 'Adam', color: '#d62728', selected: true, fields: [beta1, beta2],
    lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, lrDigits: 0.01,
    make: (p, lr, h) => new Adam(p, { lr, betas: betas(h) }),
  },
  {
    id: 'adamw', label: 'AdamW', color: '#9467bd', selected: true,
    fields: [beta1, beta2, { key: 'weightDecay', label: 'wd', value: 0.01, step: 0.01, title: 'weightDecay (decoupled)' }],
    lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, lrDigits: 0.01,
    make: (p, lr, h) => new AdamW(p, { lr, betas: betas(h), weightDecay: h.weightDecay }),
  },
  {
    id: 'adamax', label: 'Adamax', color: '#bcbd22', selected: false, fields: [beta1, beta2],
    lr2d: { rosenbrock: 0.3, beale: 0.3, saddle: 0.03 }, lrDigits: 0.03,
    make: (p, lr, h) => new Adamax(p, { lr, betas: betas(h) }),
  },
  {
    id: 'nadam', label: 'NAdam', color: '#ff7f0e', selected: false, fields: [beta1, beta2],
    lr2d: { rosenbrock: 0.03, beale: 0.1, saddle: 0.01 }, lrDigits: 0.01,
    make: (p, lr, h) => new NAdam(p, { lr, betas: betas(h) }),
  },
  {
    id: 'radam', label: 'RAdam', color: '#1f3b73', selected: false, fields: [beta1, beta2],
    lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.1 }, lrDigits: 0.03,
    make: (p, lr, h) => new RAdam(p, { lr, betas: betas(h) }),
  },
  {
    id: 'lion', label: 'Lion', color: '#e377c2', selected: true,
    fields: [beta1, { ...beta2, value: 0.99, step: 0.01 }],
    lr2d: { rosenbrock: 0.01, beale: 0.03, saddle: 0.01 }, lrDigits: 1e-3,
    make: (p, lr, h) => new Lion(p, { lr, betas: betas(h) }),
  },
  {
    id: 'lamb', label: 'Lamb', color: '#b07aa1', selected: false, fields: [beta1, beta2],
    lr2d: { rosenbrock: 0.03, beale: 0.01, saddle: 0.01 }, lrDigits: 0.01,
    make: (p, lr, h) => new Lamb(p, { lr, betas: betas(h) }),
  },
  {
    id: 'rprop', label: 'Rprop', color: '#4b4b4b', selected: false,
    fields: [
      { key: 'etaMinus', label: 'η−', value: 0.5, step: 0.05, title: 'etas[0]: step-size factor after a sign change' },
      { key: 'etaPlus', label: 'η+', value: 1.2, step: 0.05, title: 'etas[1]: step-size factor while the sign holds' },
    ],
    lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.01 }, lrDigits: 0.01,
    make: (p, lr, h) => new Rprop(p, { lr, etas: [h.etaMinus!, h.etaPlus!] }),
  },
  {
    id: 'asgd', label: 'ASGD', color: '#9c755f', selected: false, fields: [],
    lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, lrDigits: 0.3,
    make: (p, lr) => new ASGD(p, { lr }),
  },
];

/** Steps each 2-D function gets by default. */
export const DEFAULT_STEPS: Readonly<Record<FunctionName, number>> = { rosenbrock: 1000, beale: 500, saddle: 200 };
