// The plain-JS reference implementations, one per optimizer class.
export type { ReferenceMethod } from './types.js';
export { sgd as SGD, type SGDReferenceState } from './sgd.js';
export { momentum as Momentum, type MomentumReferenceState } from './momentum.js';
export { adagrad as Adagrad, type AdagradReferenceState } from './adagrad.js';
export { rmsprop as RMSprop, type RMSpropReferenceState } from './rmsprop.js';
export { adam as Adam, adamw as AdamW, type AdamReferenceState } from './adam.js';
export { adadelta as Adadelta, type AdadeltaReferenceState } from './adadelta.js';
export { adamax as Adamax, type AdamaxReferenceState } from './adamax.js';
export { nadam as NAdam, type NAdamReferenceState } from './nadam.js';
export { radam as RAdam, type RAdamReferenceState } from './radam.js';
export { rprop as Rprop, type RpropReferenceState } from './rprop.js';
export { asgd as ASGD, type ASGDReferenceState } from './asgd.js';
export { lion as Lion, type LionReferenceState } from './lion.js';
export { lamb as Lamb, type LambReferenceState } from './lamb.js';
