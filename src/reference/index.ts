// The plain-JS reference implementations, one per optimizer class.
export type { ReferenceMethod } from './types.js';
export { sgd as SGD, type SGDReferenceState } from './sgd.js';
export { momentum as Momentum, type MomentumReferenceState } from './momentum.js';
export { adagrad as Adagrad, type AdagradReferenceState } from './adagrad.js';
export { rmsprop as RMSprop, type RMSpropReferenceState } from './rmsprop.js';
export { adam as Adam, adamw as AdamW, type AdamReferenceState } from './adam.js';
