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
export { clipGradNorm, clipGradValue, type ClipGradNormOptions, type NormType } from './clip.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Momentum, type MomentumOptions } from './momentum.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
/** Plain-JS reference implementations: `reference.Adam.step(p, g, state, options)`. */
export * as reference from './reference/index.js';
/** Learning-rate schedulers (torch.optim.lr_scheduler): StepLR, CosineAnnealingLR, OneCycleLR, ... */
export * from './schedulers/index.js';
