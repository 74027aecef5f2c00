// The plain-JS reference implementations, one per optimizer class, with
// argument checks at the boundary.
import { adagrad } from './adagrad.js';
import { adam, adamw } from './adam.js';
import { checked } from './checked.js';
import { momentum } from './momentum.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';

export type { ReferenceMethod } from './types.js';
export type { SGDReferenceState } from './sgd.js';
export type { MomentumReferenceState } from './momentum.js';
export type { AdagradReferenceState } from './adagrad.js';
export type { RMSpropReferenceState } from './rmsprop.js';
export type { AdamReferenceState } from './adam.js';

export const SGD = checked('SGD', sgd);
export const Momentum = checked('Momentum', momentum);
export const Adagrad = checked('Adagrad', adagrad);
export const RMSprop = checked('RMSprop', rmsprop);
export const Adam = checked('Adam', adam);
export const AdamW = checked('AdamW', adamw);
