// The plain-JS reference implementations, one per optimizer class, with
// argument checks at the boundary.
import { adagrad } from './adagrad.js';
import { adam, adamw } from './adam.js';
import { checked } from './checked.js';
import { momentum } from './momentum.js';
import { rmsprop } from './rmsprop.js';
import { sgd } from './sgd.js';
import { adadelta } from './adadelta.js';
import { adamax } from './adamax.js';
import { nadam } from './nadam.js';
import { radam } from './radam.js';
import { rprop } from './rprop.js';
import { asgd } from './asgd.js';
import { lion } from './lion.js';
import { lamb } from './lamb.js';
import { muon } from './muon.js';

export type { ReferenceMethod } from './types.js';
export type { SGDReferenceState } from './sgd.js';
export type { MomentumReferenceState } from './momentum.js';
export type { AdagradReferenceState } from './adagrad.js';
export type { RMSpropReferenceState } from './rmsprop.js';
export type { AdamReferenceState } from './adam.js';
export type { AdadeltaReferenceState } from './adadelta.js';
export type { AdamaxReferenceState } from './adamax.js';
export type { NAdamReferenceState } from './nadam.js';
export type { RAdamReferenceState } from './radam.js';
export type { RpropReferenceState } from './rprop.js';
export type { ASGDReferenceState } from './asgd.js';
export type { LionReferenceState } from './lion.js';
export type { LambReferenceState } from './lamb.js';
export type { MuonReferenceState, MuonReferenceOptions } from './muon.js';

export const SGD = checked('SGD', sgd);
export const Momentum = checked('Momentum', momentum);
export const Adagrad = checked('Adagrad', adagrad);
export const RMSprop = checked('RMSprop', rmsprop);
export const Adam = checked('Adam', adam);
export const AdamW = checked('AdamW', adamw);
export const Adadelta = checked('Adadelta', adadelta);
export const Adamax = checked('Adamax', adamax);
export const NAdam = checked('NAdam', nadam);
export const RAdam = checked('RAdam', radam);
export const Rprop = checked('Rprop', rprop);
export const ASGD = checked('ASGD', asgd);
export const Lion = checked('Lion', lion);
export const Lamb = checked('Lamb', lamb);
export const Muon = checked('Muon', muon);
