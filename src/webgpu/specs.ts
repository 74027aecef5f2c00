// The methods the WebGPU optimizer runs, by their registry names: the same
// MethodSpec objects (options, rules, defaults, state buffers, the double
// precision step constants of `run`) as their WebAssembly twins.

import { adadeltaSpec } from '../optimizers/adadelta.js';
import { adagradSpec } from '../optimizers/adagrad.js';
import { adamSpec } from '../optimizers/adam.js';
import { adamaxSpec } from '../optimizers/adamax.js';
import { adamwSpec } from '../optimizers/adamw.js';
import { asgdSpec } from '../optimizers/asgd.js';
import { lambSpec } from '../optimizers/lamb.js';
import { lionSpec } from '../optimizers/lion.js';
import { momentumSpec } from '../optimizers/momentum.js';
import { nadamSpec } from '../optimizers/nadam.js';
import { radamSpec } from '../optimizers/radam.js';
import { rmspropSpec } from '../optimizers/rmsprop.js';
import { rpropSpec } from '../optimizers/rprop.js';
import { sgdSpec } from '../optimizers/sgd.js';

/** Every optimizer createGpuOptimizer builds, by name (the names of `optimizers`). */
export const GPU_SPECS = {
  SGD: sgdSpec,
  Momentum: momentumSpec,
  Adagrad: adagradSpec,
  RMSprop: rmspropSpec,
  Adam: adamSpec,
  AdamW: adamwSpec,
  Adadelta: adadeltaSpec,
  Adamax: adamaxSpec,
  NAdam: nadamSpec,
  RAdam: radamSpec,
  Rprop: rpropSpec,
  ASGD: asgdSpec,
  Lion: lionSpec,
  Lamb: lambSpec,
} as const;

/** The name of an optimizer that runs on WebGPU. */
export type GpuOptimizerName = keyof typeof GPU_SPECS;

/** Registered optimizers left out on WebGPU, and why. */
export const GPU_EXCLUDED: Readonly<Record<string, string>> = Object.freeze({
  LBFGS: 'LBFGS is stepped with a closure that re-evaluates the loss several times per step, not with gradients',
  Adafactor: 'its factored second moments need per-tensor row and column reductions, not an elementwise pass (not written for WebGPU yet)',
  Muon: 'its Newton-Schulz iteration needs matrix products (not written for WebGPU yet)',
  AdamWScheduleFree: 'its train()/eval() mode switch is not written for WebGPU yet',
  SGDScheduleFree: 'its train()/eval() mode switch is not written for WebGPU yet',
  Adam8bit: 'its blockwise 8-bit state needs a per-block absmax reduction and byte-packed codes, not an elementwise pass over float32 buffers (not written for WebGPU yet)',
  AdamW8bit: 'its blockwise 8-bit state needs a per-block absmax reduction and byte-packed codes, not an elementwise pass over float32 buffers (not written for WebGPU yet)',
  Lion8bit: 'its blockwise 8-bit state needs a per-block absmax reduction and byte-packed codes, not an elementwise pass over float32 buffers (not written for WebGPU yet)',
});
