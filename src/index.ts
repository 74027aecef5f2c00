// wasm-optim: neural-network optimizers as fused SIMD WebAssembly kernels.
export { ready, simdSupported, backendInfo, type ReadyOptions, type BackendInfo, type Build } from './wasm.js';
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
export { SGD, type SGDOptions } from './sgd.js';
export { Momentum, type MomentumOptions } from './momentum.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW } from './adamw.js';
/** Plain-JS reference implementations: `reference.Adam.step(p, g, state, options)`. */
export * as reference from './reference/index.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export { Adamax, type AdamaxOptions } from './adamax.js';
export { NAdam, type NAdamOptions } from './nadam.js';
export { RAdam, type RAdamOptions } from './radam.js';
export { Rprop, type RpropOptions } from './rprop.js';
export { ASGD, type ASGDOptions } from './asgd.js';
export { Lion, type LionOptions } from './lion.js';
export { Lamb, type LambOptions } from './lamb.js';
