// wasm-optim: neural-network optimizers as fused SIMD WebAssembly kernels.
export { ready, simdSupported, relaxedSupported, backendInfo, type ReadyOptions, type BackendInfo, type Build } from './wasm.js';
export {
  Optimizer,
  NonFiniteGradientError,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
  type StateDict,
  type StepOptions,
} from './optimizer.js';
export { memoryStats } from './arena.js';
/** The registry: every optimizer by name (`optimizers.Adam === Adam`), `createOptimizer(name, params, options)`, defaults. */
export {
  optimizers,
  createOptimizer,
  defaultOptions,
  optimizerNames,
  optimizerEntry,
  isOptimizerName,
  registry,
  type OptimizerName,
  type OptimizerOptions,
  type OptimizerClassOf,
  type OptimizerClass,
  type OptimizerEntry,
  type HyperparametersOf,
  type TfjsEquivalent,
  type DemoFunction,
} from './registry.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type NormType } from './clip.js';
export { SGD, type SGDOptions } from './optimizers/sgd.js';
export { Momentum, type MomentumOptions } from './optimizers/momentum.js';
export { Adagrad, type AdagradOptions } from './optimizers/adagrad.js';
export { RMSprop, type RMSpropOptions } from './optimizers/rmsprop.js';
export { Adam, type AdamOptions } from './optimizers/adam.js';
export { AdamW, type AdamWOptions } from './optimizers/adamw.js';
/** Plain-JS reference implementations: `reference.Adam.step(p, g, state, options)`. */
export * as reference from './reference/index.js';
/** Learning-rate schedulers (torch.optim.lr_scheduler): StepLR, CosineAnnealingLR, OneCycleLR, ... */
export * from './schedulers/index.js';
// The training loop, data and demo models (`npm start` compares the optimizers with them).
export {
  fit,
  Trainer,
  batchesPerEpoch,
  type FitOptions,
  type FitResult,
  type LossAndGrad,
  type StepInfo,
  type EpochInfo,
  type ScheduleAt,
  type StopReason,
} from './train/fit.js';
export { mulberry32, permutation } from './train/random.js';
export { trajectory, type Trajectory, type TrajectoryOptions } from './train/trajectory.js';
export { makeDataset, subset, type Dataset } from './data/dataset.js';
export { loadDigits, parseDigits, digitsSource, digitsUrl, type Digits } from './data/digits.js';
export { spiral, type SpiralOptions } from './data/spiral.js';
export { rosenbrock, beale, saddle, testFunctions, type TestFunction } from './data/functions.js';
export { SoftmaxRegression, type SoftmaxRegressionOptions } from './models/softmax.js';
export { MLP, type MLPOptions, type Activation } from './models/mlp.js';
export type { Classifier, Vec } from './models/model.js';
export { Adadelta, type AdadeltaOptions } from './optimizers/adadelta.js';
export { Adamax, type AdamaxOptions } from './optimizers/adamax.js';
export { NAdam, type NAdamOptions } from './optimizers/nadam.js';
export { RAdam, type RAdamOptions } from './optimizers/radam.js';
export { Rprop, type RpropOptions } from './optimizers/rprop.js';
export { ASGD, type ASGDOptions } from './optimizers/asgd.js';
export { Lion, type LionOptions } from './optimizers/lion.js';
export { Lamb, type LambOptions } from './optimizers/lamb.js';
