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
