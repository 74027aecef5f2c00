// wasm-optim/tfjs: wasm-optim inside TensorFlow.js. Needs @tensorflow/tfjs-core
// (an optional peer dependency of wasm-optim; the main entry never loads it).
export {
  train,
  TfjsTrainOptimizer,
  TfjsSGD,
  TfjsMomentum,
  TfjsAdagrad,
  TfjsAdadelta,
  TfjsAdam,
  TfjsAdamax,
  TfjsRMSProp,
  type NamedTensor,
} from './train.js';
export { toTfjs, TfjsWasmOptimizer, type TfjsGroup, type ToTfjsOptions, type VariableMatch } from './totfjs.js';

import { serialization } from '@tensorflow/tfjs-core';
import { TRAIN_CLASSES } from './train.js';
import { TfjsWasmOptimizer } from './totfjs.js';

// Known to tf.serialization, so tf.loadLayersModel rebuilds a saved model's
// optimizer (`optimizer_config.class_name`: WasmOptimAdam, ..., WasmOptimToTfjs).
for (const cls of [...TRAIN_CLASSES, TfjsWasmOptimizer]) serialization.registerClass(cls as never);
