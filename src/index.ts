// wasm-optim: neural-network optimizers as fused SIMD WebAssembly kernels.
export { ready, simdSupported, relaxedSupported, backendInfo, type ReadyOptions, type BackendInfo, type Build } from './wasm.js';
export type { ThreadsInfo } from './threads/pool.js';
export {
  Optimizer,
  NonFiniteGradientError,
  ReentrantCallError,
  type ParamGroup,
  type Param,
  type ParamGroupInput,
  type ShapedParam,
  type ParamState,
  type StateDict,
  type StepOptions,
} from './optimizer.js';
export { memoryStats } from './arena.js';
/**
 * The registry: every optimizer class and its options type (`Adam`,
 * `AdamOptions`, ...), every optimizer by name (`optimizers.Adam === Adam`),
 * `createOptimizer(name, params, options)`, defaults.
 */
export * from './registry.js';
/** L-BFGS (torch.optim.LBFGS): closure-driven, `opt.step(closure)`. */
export { LBFGS, cubicInterpolate, type LBFGSOptions, type LBFGSInput, type LBFGSClosure, type LBFGSState, type LBFGSStateDict } from './optimizers/lbfgs.js';
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type NormType } from './clip.js';
/** Weight averaging (torch.optim.swa_utils.AveragedModel): SWA and EMA of parameters. */
export { AveragedParams, type AveragedParamsOptions, type AveragedParamsStateDict, type AveragingMode } from './averaged-params.js';
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
  type Trainable,
  type FitResult,
  type LossAndGrad,
  type StepInfo,
  type EpochInfo,
  type ScheduleAt,
  type StopReason,
} from './train/fit.js';
export { mulberry32, permutation } from './train/random.js';
export { trajectory, type Trajectory, type TrajectoryOptions } from './train/trajectory.js';
export { averagedTrajectory } from './train/averaged-trajectory.js';
export { makeDataset, subset, type Dataset } from './data/dataset.js';
export { loadDigits, parseDigits, digitsSource, digitsUrl, type Digits } from './data/digits.js';
export { spiral, type SpiralOptions } from './data/spiral.js';
export { rosenbrock, beale, saddle, testFunctions, type TestFunction } from './data/functions.js';
export { SoftmaxRegression, type SoftmaxRegressionOptions } from './models/softmax.js';
export { MLP, type MLPOptions, type Activation } from './models/mlp.js';
export type { Classifier, Vec } from './models/model.js';
