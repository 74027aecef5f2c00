// The one list of optimizers. Everything that needs "every optimizer" reads
// it: the package entry (`optimizers`, `createOptimizer`), the `compare` CLI,
// the benchmarks, the playground, the tests' tables and the README's generated
// table. Adding an optimizer touches its own files (src/optimizers/<name>.ts,
// src/reference/<name>.ts, assembly/<name>.ts, its test) and one entry here.
import type { Optimizer, Param, ParamGroupInput, StepOptions } from './optimizer.js';
import { Adadelta, adadeltaSpec } from './optimizers/adadelta.js';
import { Adagrad, adagradSpec } from './optimizers/adagrad.js';
import { Adam, adamSpec } from './optimizers/adam.js';
import { Adamax, adamaxSpec } from './optimizers/adamax.js';
import { AdamW, adamwSpec } from './optimizers/adamw.js';
import { ASGD, asgdSpec } from './optimizers/asgd.js';
import { Lamb, lambSpec } from './optimizers/lamb.js';
import { Adafactor, adafactorSpec } from './optimizers/adafactor.js';
import { Lion, lionSpec } from './optimizers/lion.js';
import { Adam8bit, adam8bitSpec } from './optimizers/adam8bit.js';
import { AdamW8bit, adamw8bitSpec } from './optimizers/adamw8bit.js';
import { Lion8bit, lion8bitSpec } from './optimizers/lion8bit.js';
import { Momentum, momentumSpec } from './optimizers/momentum.js';
import { Muon, muonSpec } from './optimizers/muon.js';
import { NAdam, nadamSpec } from './optimizers/nadam.js';
import { RAdam, radamSpec } from './optimizers/radam.js';
import { RMSprop, rmspropSpec } from './optimizers/rmsprop.js';
import { Rprop, rpropSpec } from './optimizers/rprop.js';
import { SGD, sgdSpec } from './optimizers/sgd.js';
import { AdamWScheduleFree, adamwScheduleFreeSpec } from './optimizers/adamw-schedule-free.js';
import { SGDScheduleFree, sgdScheduleFreeSpec } from './optimizers/sgd-schedule-free.js';
import * as reference from './reference/index.js';
import { LBFGS, type LBFGSOptions } from './optimizers/lbfgs.js';

// Every optimizer class and its options type, as the package exports them.
export { Adadelta, type AdadeltaOptions } from './optimizers/adadelta.js';
export { Adagrad, type AdagradOptions } from './optimizers/adagrad.js';
export { Adam, type AdamOptions } from './optimizers/adam.js';
export { Adamax, type AdamaxOptions } from './optimizers/adamax.js';
export { AdamW, type AdamWOptions } from './optimizers/adamw.js';
export { ASGD, type ASGDOptions } from './optimizers/asgd.js';
export { Lamb, type LambOptions } from './optimizers/lamb.js';
export { Adafactor, type AdafactorOptions } from './optimizers/adafactor.js';
export { Lion, type LionOptions } from './optimizers/lion.js';
export { Adam8bit, type Adam8bitOptions } from './optimizers/adam8bit.js';
export { AdamW8bit, type AdamW8bitOptions } from './optimizers/adamw8bit.js';
export { Lion8bit, type Lion8bitOptions } from './optimizers/lion8bit.js';
export { Momentum, type MomentumOptions } from './optimizers/momentum.js';
export { Muon, type MuonOptions, type MuonAdjustLr } from './optimizers/muon.js';
export { NAdam, type NAdamOptions } from './optimizers/nadam.js';
export { RAdam, type RAdamOptions } from './optimizers/radam.js';
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop.js';
export { Rprop, type RpropOptions } from './optimizers/rprop.js';
export { SGD, type SGDOptions } from './optimizers/sgd.js';
export { AdamWScheduleFree, type AdamWScheduleFreeOptions } from './optimizers/adamw-schedule-free.js';
export { SGDScheduleFree, type SGDScheduleFreeOptions } from './optimizers/sgd-schedule-free.js';
import type { ReferenceMethod } from './reference/types.js';
import type { TorchNames } from './method.js';
import { describe, type Rule } from './validate.js';
import type { Kernels } from './wasm.js';

/** Any optimizer class: `new C(params, options)`. */
export type OptimizerClass = abstract new (params: never, options?: never) => Optimizer<object>;

/** The hyperparameters an optimizer class takes (`AdamOptions` for Adam and AdamW). */
export type HyperparametersOf<C> = C extends abstract new (params: never, options?: never) => Optimizer<infer O> ? O : never;

/** The 2-D test functions of the demos (src/data/functions.ts). */
export type DemoFunction = 'rosenbrock' | 'beale' | 'saddle';

/** A TF.js optimizer factory and its arguments, e.g. `{ factory: 'momentum', args: [0.01, 0.9] }` for `tf.train.momentum(0.01, 0.9)`. */
export interface TfjsEquivalent {
  factory: 'sgd' | 'momentum' | 'adagrad' | 'adadelta' | 'adam' | 'adamax' | 'rmsprop';
  args: readonly number[];
}

/** Everything the library and its tools know about one optimizer. */
export interface OptimizerEntry<C extends OptimizerClass = OptimizerClass> {
  /** the class's name, the same in assembly/, src/, test/ and bench/ */
  readonly name: string;
  /** false: stepped with gradients, `step(grads)` (see ClosureOptimizerEntry) */
  readonly closure: false;
  readonly class: C;
  /** the defaults of every hyperparameter (frozen) */
  readonly defaults: Readonly<HyperparametersOf<C>>;
  /** one validation rule per hyperparameter */
  readonly rules: { readonly [K in keyof HyperparametersOf<C>]: Rule };
  /** the names of its state and hyperparameters in PyTorch's state_dict (exportState/importState; src/torch-state.ts) */
  readonly torch: TorchNames;
  /** its running scalars per group (NAdam's muProduct, ASGD's eta and mu), as MethodSpec.scalarNames */
  readonly scalarNames: readonly string[];
  /** the state buffers a group with these options keeps (PyTorch's state names, camelCase) */
  buffers(options: HyperparametersOf<C>): readonly string[];
  /**
   * Options under which a step uses every state buffer the optimizer can
   * have (SGD with momentum, RMSprop centered with momentum, Adam with
   * AMSGrad, ...): the generic tests of state, checkpoints and lifetimes run
   * each optimizer with them.
   */
  readonly allState: Readonly<Partial<HyperparametersOf<C>>>;
  /** the kernels of assembly/ its step calls */
  readonly kernels: readonly (keyof Kernels)[];
  /** the plain-JS reference loop (`reference.<name>`) */
  readonly reference: ReferenceMethod<never, unknown>;
  /** one line for tables and `--help` */
  readonly summary: string;
  /** the paper or PyTorch class it follows */
  readonly follows: string;
  /** settings of the demos: the CLI's comparison and the playground */
  readonly demo: {
    /** learning rate on the digits with mini-batches of 32 (the centre of the CLI's sweep) */
    readonly lr: number;
    /** learning rates on the 2-D test functions */
    readonly lr2d: Readonly<Record<DemoFunction, number>>;
    /** hyperparameters (besides lr) the playground lets the user edit */
    readonly fields: readonly (keyof HyperparametersOf<C> & string)[];
  };
  /**
   * true: its parameters must be matrices, given as `{ data, shape: [rows, cols] }`
   * (Muon); the generic tests, the benchmarks and the demos pass each tensor as one
   * row, `{ data, shape: [1, n] }` (see `asParams`)
   */
  readonly matrices?: boolean;
  /** settings of the benchmark suite */
  readonly bench: {
    /** constructor options, the same for wasm-optim and the plain-JS loop */
    readonly options: Readonly<Partial<HyperparametersOf<C>>>;
    /** true for kernels with a square root and a division per element */
    readonly adaptive: boolean;
    /** the closest tf.train optimizer, where TF.js has one */
    readonly tfjs?: TfjsEquivalent;
    /**
     * bytes per element moved beyond one pass over p, g and the state (Lamb:
     * its trust ratio needs each tensor's norms before any element moves, so
     * a second pass reads p, m and v again)
     */
    readonly secondPassBytes?: number;
    /**
     * state buffers a step over plain Float32Arrays uses, where fewer than
     * `buffers()` lists (Adafactor: `variance` only, as they are vectors)
     */
    readonly stateBuffers?: number;
    /** why the options differ from the defaults, if they do */
    readonly note?: string;
  };
}

interface SpecLike<O> {
  defaults: Readonly<O>;
  rules: { readonly [K in keyof O]: Rule };
  buffers(o: O): readonly string[];
  torch?: TorchNames;
  scalarNames?: readonly string[];
}

type EntryInput<C extends OptimizerClass> = Omit<OptimizerEntry<C>, 'defaults' | 'rules' | 'buffers' | 'class' | 'name' | 'reference' | 'torch' | 'closure' | 'scalarNames'> & {
  reference: ReferenceMethod<never, unknown> | object;
};

function entry<C extends OptimizerClass>(name: string, cls: C, spec: SpecLike<HyperparametersOf<C>>, rest: EntryInput<C>): OptimizerEntry<C> {
  return Object.freeze({
    ...rest,
    name,
    closure: false as const,
    class: cls,
    defaults: Object.freeze({ ...spec.defaults }),
    rules: spec.rules,
    buffers: (o: HyperparametersOf<C>) => spec.buffers(o),
    torch: Object.freeze({ ...spec.torch!, state: Object.freeze({ ...spec.torch!.state }), options: Object.freeze({ ...spec.torch!.options }) }),
    scalarNames: Object.freeze([...(spec.scalarNames ?? [])]),
    reference: rest.reference as ReferenceMethod<never, unknown>,
    kernels: Object.freeze([...rest.kernels]),
    allState: Object.freeze({ ...rest.allState }),
    demo: Object.freeze({ ...rest.demo, lr2d: Object.freeze({ ...rest.demo.lr2d }), fields: Object.freeze([...rest.demo.fields]) }),
    bench: Object.freeze({ ...rest.bench, options: Object.freeze({ ...rest.bench.options }) }),
  });
}

const ENTRIES = {
  SGD: entry('SGD', SGD, sgdSpec, {
    allState: { momentum: 0.9, nesterov: true },
    kernels: ['sgd', 'sgdMomentum'],
    reference: reference.SGD,
    summary: 'stochastic gradient descent, with optional (Nesterov) momentum',
    follows: 'torch.optim.SGD',
    demo: { lr: 0.3, lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, fields: ['momentum'] },
    bench: { options: { lr: 1e-3 }, adaptive: false, tfjs: { factory: 'sgd', args: [1e-3] } },
  }),
  Momentum: entry('Momentum', Momentum, momentumSpec, {
    allState: {},
    kernels: ['momentum'],
    reference: reference.Momentum,
    summary: 'the moving-average form of momentum, v = beta*v + (1-beta)*g',
    follows: 'the exponential moving average of gradients (Qian 1999)',
    demo: { lr: 0.3, lr2d: { rosenbrock: 2e-3, beale: 0.03, saddle: 0.01 }, fields: ['beta'] },
    bench: { options: { lr: 1e-2, beta: 0.9 }, adaptive: false, tfjs: { factory: 'momentum', args: [1e-2, 0.9] } },
  }),
  Adagrad: entry('Adagrad', Adagrad, adagradSpec, {
    allState: {},
    kernels: ['adagrad'],
    reference: reference.Adagrad,
    summary: 'per-element steps scaled by the root of the summed squared gradients',
    follows: 'torch.optim.Adagrad',
    demo: { lr: 0.03, lr2d: { rosenbrock: 0.5, beale: 0.3, saddle: 0.1 }, fields: [] },
    bench: { options: { lr: 1e-2 }, adaptive: true, tfjs: { factory: 'adagrad', args: [1e-2] } },
  }),
  RMSprop: entry('RMSprop', RMSprop, rmspropSpec, {
    allState: { centered: true, momentum: 0.5 },
    kernels: ['rmsprop', 'rmspropMomentum', 'rmspropCentered', 'rmspropCenteredMomentum'],
    reference: reference.RMSprop,
    summary: 'steps scaled by a running root mean square of the gradients',
    follows: 'torch.optim.RMSprop',
    demo: { lr: 3e-3, lr2d: { rosenbrock: 3e-3, beale: 0.01, saddle: 0.01 }, fields: ['alpha', 'momentum'] },
    bench: { options: { lr: 1e-2 }, adaptive: true, tfjs: { factory: 'rmsprop', args: [1e-2] } },
  }),
  Adam: entry('Adam', Adam, adamSpec, {
    allState: { amsgrad: true },
    kernels: ['adam', 'adamAmsgrad'],
    reference: reference.Adam,
    summary: 'bias-corrected running moments of g and g², coupled (L2) weight decay',
    follows: 'torch.optim.Adam',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-3 }, adaptive: true, tfjs: { factory: 'adam', args: [1e-3] } },
  }),
  AdamW: entry('AdamW', AdamW, adamwSpec, {
    allState: { amsgrad: true },
    kernels: ['adam', 'adamAmsgrad'],
    reference: reference.AdamW,
    summary: 'Adam with decoupled weight decay',
    follows: 'torch.optim.AdamW',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, fields: ['betas', 'weightDecay'] },
    bench: { options: { lr: 1e-3 }, adaptive: true },
  }),
  AdamWScheduleFree: entry('AdamWScheduleFree', AdamWScheduleFree, adamwScheduleFreeSpec, {
    allState: {},
    kernels: ['scheduleFreeAdamW', 'scheduleFreeInterp'],
    reference: reference.AdamWScheduleFree,
    summary: 'AdamW without a schedule: y steps between z and the average x (opt.train()/opt.eval())',
    follows: 'schedulefree.AdamWScheduleFree',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-3 }, adaptive: true },
  }),
  SGDScheduleFree: entry('SGDScheduleFree', SGDScheduleFree, sgdScheduleFreeSpec, {
    allState: {},
    kernels: ['scheduleFreeSgd', 'scheduleFreeInterp'],
    reference: reference.SGDScheduleFree,
    summary: 'SGD without a schedule: y steps between z and the average x (opt.train()/opt.eval())',
    follows: 'schedulefree.SGDScheduleFree',
    demo: { lr: 0.3, lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, fields: ['momentum'] },
    bench: { options: { lr: 1e-2 }, adaptive: false },
  }),
  Adadelta: entry('Adadelta', Adadelta, adadeltaSpec, {
    allState: {},
    kernels: ['adadelta'],
    reference: reference.Adadelta,
    summary: 'steps from running averages of squared gradients and squared updates',
    follows: 'torch.optim.Adadelta',
    demo: { lr: 1, lr2d: { rosenbrock: 1, beale: 3, saddle: 1 }, fields: ['rho'] },
    bench: { options: { lr: 1 }, adaptive: true, tfjs: { factory: 'adadelta', args: [1] } },
  }),
  Adamax: entry('Adamax', Adamax, adamaxSpec, {
    allState: {},
    kernels: ['adamax'],
    reference: reference.Adamax,
    summary: 'Adam with the infinity norm of past gradients in the denominator',
    follows: 'torch.optim.Adamax',
    demo: { lr: 0.03, lr2d: { rosenbrock: 0.3, beale: 0.3, saddle: 0.03 }, fields: ['betas'] },
    bench: { options: { lr: 2e-3 }, adaptive: true, tfjs: { factory: 'adamax', args: [2e-3] } },
  }),
  NAdam: entry('NAdam', NAdam, nadamSpec, {
    allState: {},
    kernels: ['nadam'],
    reference: reference.NAdam,
    summary: 'Adam with Nesterov momentum and momentum decay',
    follows: 'torch.optim.NAdam',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.03, beale: 0.1, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 2e-3 }, adaptive: true },
  }),
  RAdam: entry('RAdam', RAdam, radamSpec, {
    allState: {},
    kernels: ['radam', 'radamUnrectified'],
    reference: reference.RAdam,
    summary: 'Adam with the variance of the adaptive rate rectified',
    follows: 'torch.optim.RAdam',
    demo: { lr: 0.03, lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.1 }, fields: ['betas'] },
    bench: { options: { lr: 1e-3 }, adaptive: true },
  }),
  Rprop: entry('Rprop', Rprop, rpropSpec, {
    allState: {},
    kernels: ['rprop', 'rpropFirst'],
    reference: reference.Rprop,
    summary: 'per-element step sizes grown or shrunk by the sign of the gradient',
    follows: 'torch.optim.Rprop',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.01 }, fields: ['etas'] },
    bench: { options: { lr: 1e-2 }, adaptive: false },
  }),
  ASGD: entry('ASGD', ASGD, asgdSpec, {
    allState: { t0: 0 },
    kernels: ['asgd', 'asgdAverage'],
    reference: reference.ASGD,
    summary: 'SGD with a decaying step and a running average of the iterates',
    follows: 'torch.optim.ASGD',
    demo: { lr: 0.3, lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, fields: [] },
    bench: { options: { lr: 1e-2, t0: 0 }, adaptive: false, note: 't0 = 0: ASGD touches its average only once averaging starts' },
  }),
  Lion: entry('Lion', Lion, lionSpec, {
    allState: {},
    kernels: ['lion'],
    reference: reference.Lion,
    summary: 'the sign of an interpolated momentum, decoupled weight decay',
    follows: 'Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms"',
    demo: { lr: 1e-3, lr2d: { rosenbrock: 0.01, beale: 0.03, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-4 }, adaptive: false },
  }),
  Lamb: entry('Lamb', Lamb, lambSpec, {
    allState: {},
    kernels: ['lambMoments', 'lambApply', 'lambParamSumSq', 'lambUpdateSumSq'],
    reference: reference.Lamb,
    summary: 'Adam-style update scaled per tensor by the trust ratio ‖p‖ / ‖u‖',
    follows: 'You et al. 2020, "Large Batch Optimization for Deep Learning"',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.03, beale: 0.01, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-3 }, adaptive: true, secondPassBytes: 12, note: 'a second pass per tensor reads p, m and v again for the trust ratio' },
  }),
  Adafactor: entry('Adafactor', Adafactor, adafactorSpec, {
    allState: {},
    kernels: ['sumSquares', 'adafactorRows', 'adafactorCols', 'adafactorRowsU', 'adafactorSum', 'adafactorMove', 'adafactorVecBlocks', 'adafactorVecMove'],
    reference: reference.Adafactor,
    summary: 'factored second moments (O(rows + cols) state per matrix), relative step size, update clipping',
    follows: 'torch.optim.Adafactor',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.01, beale: 0.01, saddle: 0.01 }, fields: ['beta2Decay', 'd'] },
    bench: {
      options: {},
      adaptive: true,
      secondPassBytes: 12,
      stateBuffers: 1,
      note: 'plain Float32Arrays are vectors (variance only); three passes per tensor: ||p||, variance and ||U||, the move (reads p, g and variance again: 12 bytes)',
    },
  }),
  Muon: entry('Muon', Muon, muonSpec, {
    allState: {},
    kernels: ['muonMomentum', 'muonApply', 'muonCopy', 'gemm', 'sumSquares', 'scale', 'adam'],
    reference: reference.Muon,
    summary: 'momentum orthogonalized by Newton-Schulz, for matrices ({ data, shape: [rows, cols] }); useMuon: false groups step with AdamW',
    follows: 'PyTorch 2.9+ torch.optim.Muon (torch/optim/_muon.py)',
    // on the demos each tensor is one row (asParams): normalized-gradient steps of about lr, hence the large lr
    demo: { lr: 0.2, lr2d: { rosenbrock: 1e-3, beale: 0.01, saddle: 0.01 }, fields: ['momentum'] },
    bench: { options: { lr: 1e-3 }, adaptive: false, note: 'on a 1 x n matrix (a row): bench/muon.mjs times real matrices' },
    matrices: true,
  }),
  Adam8bit: entry('Adam8bit', Adam8bit, adam8bitSpec, {
    allState: { min8bitSize: 0 },
    kernels: ['adam8bit', 'adam'],
    reference: reference.Adam8bit,
    summary: 'Adam with 8-bit blockwise state (one byte per moment and element, one absmax per block)',
    follows: 'Dettmers et al. 2022, "8-bit Optimizers via Block-wise Quantization" (bitsandbytes.optim.Adam8bit)',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-3, min8bitSize: 0 }, adaptive: true, note: 'min8bitSize 0: every tensor 8-bit (state: 2 bytes + 8 per block of 256)' },
  }),
  AdamW8bit: entry('AdamW8bit', AdamW8bit, adamw8bitSpec, {
    allState: { min8bitSize: 0 },
    kernels: ['adam8bit', 'adam'],
    reference: reference.AdamW8bit,
    summary: 'AdamW with 8-bit blockwise state',
    follows: 'Dettmers et al. 2022 (bitsandbytes.optim.AdamW8bit)',
    demo: { lr: 0.01, lr2d: { rosenbrock: 0.1, beale: 0.1, saddle: 0.01 }, fields: ['betas', 'weightDecay'] },
    bench: { options: { lr: 1e-3, min8bitSize: 0 }, adaptive: true, note: 'min8bitSize 0: every tensor 8-bit (state: 2 bytes + 8 per block of 256)' },
  }),
  Lion8bit: entry('Lion8bit', Lion8bit, lion8bitSpec, {
    allState: { min8bitSize: 0 },
    kernels: ['lion8bit', 'lion'],
    reference: reference.Lion8bit,
    summary: 'Lion with 8-bit blockwise momentum',
    follows: 'Dettmers et al. 2022 (bitsandbytes.optim.Lion8bit)',
    demo: { lr: 1e-3, lr2d: { rosenbrock: 0.01, beale: 0.03, saddle: 0.01 }, fields: ['betas'] },
    bench: { options: { lr: 1e-4, min8bitSize: 0 }, adaptive: false, note: 'min8bitSize 0: every tensor 8-bit (state: 1 byte + 4 per block of 256)' },
  }),
} as const;

type Entries = typeof ENTRIES;

/**
 * An optimizer stepped with a closure, `step(closure)`, that re-evaluates the
 * loss and gradient as often as it needs (L-BFGS's line search). Such a class
 * is not an Optimizer (no `step(grads)`, no param groups), so it has its own
 * list, `closureRegistry`.
 */
export interface ClosureOptimizerEntry {
  readonly name: string;
  /** true: stepped with a closure */
  readonly closure: true;
  readonly class: typeof LBFGS;
  /** the defaults of every hyperparameter (frozen) */
  readonly defaults: Readonly<LBFGSOptions>;
  /** torch's state keys (camelCase), kept once for all parameters */
  readonly state: readonly string[];
  /** the kernels of assembly/ its step calls */
  readonly kernels: readonly (keyof Kernels)[];
  readonly summary: string;
  readonly follows: string;
  /** why the generic tests, the benchmarks and the playground leave it out */
  readonly excluded: string;
}

/** Every optimizer stepped with a closure. */
export const closureRegistry: readonly ClosureOptimizerEntry[] = Object.freeze([
  Object.freeze({
    name: 'LBFGS',
    closure: true as const,
    class: LBFGS,
    defaults: Object.freeze({ lr: 1, maxIter: 20, maxEval: 25, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null }),
    state: Object.freeze(['funcEvals', 'nIter', 'd', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss', 'al']),
    kernels: Object.freeze(['dot', 'axpy', 'mulInto', 'subInto', 'maxAbs', 'sumAbs', 'allFinite'] as const),
    summary: 'limited-memory BFGS: two-loop recursion over the last historySize (s, y) pairs, optional strong-Wolfe line search',
    follows: 'torch.optim.LBFGS',
    excluded:
      'LBFGS is stepped with a closure (step(closure) re-evaluates loss and gradient, several times per step), not with gradients: ' +
      'the generic step(grads) tests, the benchmarks and the playground do not fit that signature (test/lbfgs.test.ts covers it; ' +
      'the CLI comparison runs it full-batch through fit)',
  }),
]);

/**
 * The parameters to give `entry`'s class for these tensors: the tensors
 * themselves, or, for an optimizer of matrices (`entry.matrices`: Muon), each
 * as one row `{ data, shape: [1, n] }`.
 */
export function asParams(entry: { readonly matrices?: boolean }, tensors: readonly Float32Array[]): Param[] {
  return entry.matrices ? tensors.map((data) => ({ data, shape: [1, data.length] })) : [...tensors];
}

/** Every registered optimizer, gradient-stepped then closure-stepped (`entry.closure` tells which). */
export const allOptimizers: readonly (OptimizerEntry | ClosureOptimizerEntry)[] = Object.freeze([...(Object.values(ENTRIES) as OptimizerEntry[]), ...closureRegistry]);

/** The name of a registered optimizer: 'SGD', 'Adam', ... */
export type OptimizerName = keyof Entries;

/** The class of a registered optimizer, by name. */
export type OptimizerClassOf<N extends OptimizerName> = Entries[N]['class'];

/** The constructor options of a registered optimizer, by name (hyperparameters and step options). */
export type OptimizerOptions<N extends OptimizerName> = Partial<HyperparametersOf<OptimizerClassOf<N>>> & StepOptions;

/** Every optimizer stepped with gradients (`step(grads)`), in the order of the README's table. */
export const registry: readonly OptimizerEntry[] = Object.freeze(Object.values(ENTRIES) as OptimizerEntry[]);

/** The names of every registered optimizer, in registry order. */
export const optimizerNames: readonly OptimizerName[] = Object.freeze(Object.keys(ENTRIES) as OptimizerName[]);

/** Every optimizer class by name, frozen: `optimizers.Adam === Adam`. */
export const optimizers: { readonly [N in OptimizerName]: OptimizerClassOf<N> } = Object.freeze(
  Object.fromEntries(Object.entries(ENTRIES).map(([name, e]) => [name, e.class])),
) as { readonly [N in OptimizerName]: OptimizerClassOf<N> };

/** Each optimizer's default hyperparameters, by name, frozen: `defaultOptions.AdamW.weightDecay === 0.01`. */
export const defaultOptions: { readonly [N in OptimizerName]: Readonly<HyperparametersOf<OptimizerClassOf<N>>> } = Object.freeze(
  Object.fromEntries(Object.entries(ENTRIES).map(([name, e]) => [name, e.defaults])),
) as { readonly [N in OptimizerName]: Readonly<HyperparametersOf<OptimizerClassOf<N>>> };

/** Whether `name` is a registered optimizer's name (exact spelling). */
export function isOptimizerName(name: unknown): name is OptimizerName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(ENTRIES, name);
}

/** The registry entry of `name`; a clear error listing the valid names otherwise. */
export function optimizerEntry<N extends OptimizerName>(name: N): Entries[N];
export function optimizerEntry(name: string): OptimizerEntry;
export function optimizerEntry(name: string): OptimizerEntry {
  if (!isOptimizerName(name)) throw unknownName('optimizerEntry', name);
  return ENTRIES[name] as OptimizerEntry;
}

function unknownName(owner: string, name: unknown): Error {
  const valid = optimizerNames.join(', ');
  if (typeof name !== 'string') return new TypeError(`${owner}: name must be the name of an optimizer (one of ${valid}), got ${describe(name)}`);
  const near = optimizerNames.find((n) => n.toLowerCase() === name.toLowerCase());
  return new RangeError(
    `${owner}: unknown optimizer ${JSON.stringify(name)}${near ? ` (did you mean ${JSON.stringify(near)}?)` : ''}; valid names: ${valid}`,
  );
}

/**
 * Builds a registered optimizer by name: `createOptimizer('AdamW', params,
 * { lr: 1e-3 })` is `new AdamW(params, { lr: 1e-3 })`, typed by the name. An
 * unknown name throws a RangeError that lists the valid ones.
 */
export function createOptimizer<N extends OptimizerName>(
  name: N,
  params: Param[] | ParamGroupInput<HyperparametersOf<OptimizerClassOf<N>>>[],
  options?: OptimizerOptions<N>,
): InstanceType<OptimizerClassOf<N>> {
  if (!isOptimizerName(name)) throw unknownName('createOptimizer', name);
  const Cls = ENTRIES[name].class as unknown as new (p: unknown, o?: unknown) => InstanceType<OptimizerClassOf<N>>;
  return new Cls(params, options);
}
