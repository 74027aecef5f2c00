// The optimizers the benchmark suite measures: one line per class, named as
// in src/, assembly/ and test/. To benchmark a new optimizer, add its line.
//
//   name     the class exported by wasm-optim (its plain-JS loop is reference[name])
//   bytes    bytes one step moves per element (the byte model): p read and
//            written (8), g read (4), every state buffer read and written (8)
//            = 12 + 8 * (state buffers) + secondPassBytes (Lamb's second pass reads p, m, v again: 12)
//   adaptive true for kernels with a square root and a division per element
//            (the in-cache target of 0.5 ns/element applies to them)
//   options  constructor options (the same for wasm-optim and the JS loop)
//   tfjs     the closest tf.train.* optimizer, or null where TF.js has none
//
// Options are the defaults unless a line says otherwise; TF.js runs its own
// defaults at the same learning rate (its formulas differ in the details the
// README lists, not in the memory traffic).

/** @typedef {{ name: string, bytes: number, adaptive: boolean, options: object, tfjs: ((tf: any) => any) | null }} BenchOptimizer */

/** @type {BenchOptimizer[]} */
export const OPTIMIZERS = [
  { name: 'SGD', bytes: 12, adaptive: false, options: { lr: 1e-3 }, tfjs: (tf) => tf.train.sgd(1e-3) },
  { name: 'Momentum', bytes: 20, adaptive: false, options: { lr: 1e-2, beta: 0.9 }, tfjs: (tf) => tf.train.momentum(1e-2, 0.9) },
  { name: 'Adagrad', bytes: 20, adaptive: true, options: { lr: 1e-2 }, tfjs: (tf) => tf.train.adagrad(1e-2) },
  { name: 'RMSprop', bytes: 20, adaptive: true, options: { lr: 1e-2 }, tfjs: (tf) => tf.train.rmsprop(1e-2) },
  { name: 'Adam', bytes: 28, adaptive: true, options: { lr: 1e-3 }, tfjs: (tf) => tf.train.adam(1e-3) },
  { name: 'AdamW', bytes: 28, adaptive: true, options: { lr: 1e-3 }, tfjs: null },
  { name: 'Adadelta', bytes: 28, adaptive: true, options: { lr: 1 }, tfjs: (tf) => tf.train.adadelta(1) },
  { name: 'Adamax', bytes: 28, adaptive: true, options: { lr: 2e-3 }, tfjs: (tf) => tf.train.adamax(2e-3) },
  { name: 'NAdam', bytes: 28, adaptive: true, options: { lr: 2e-3 }, tfjs: null },
  { name: 'RAdam', bytes: 28, adaptive: true, options: { lr: 1e-3 }, tfjs: null },
  { name: 'Rprop', bytes: 28, adaptive: false, options: { lr: 1e-2 }, tfjs: null },
  // ASGD touches its average ax only once averaging starts (t > t0): t0 = 0 measures that case
  { name: 'ASGD', bytes: 20, adaptive: false, options: { lr: 1e-2, t0: 0 }, tfjs: null },
  { name: 'Lion', bytes: 20, adaptive: false, options: { lr: 1e-4 }, tfjs: null },
  // Lamb's trust ratio needs each tensor's norms before any element moves: pass 1 reads p and g and
  // reads+writes m and v (24 B), pass 2 reads m and v and reads+writes p (16 B): 40 B in all
  { name: 'Lamb', bytes: 40, secondPassBytes: 12, adaptive: true, options: { lr: 1e-3 }, tfjs: null },
];

/** @param {string} name */
export function optimizerByName(name) {
  const o = OPTIMIZERS.find((x) => x.name === name);
  if (!o) throw new Error(`bench: no optimizer named ${JSON.stringify(name)} in bench/optimizers.mjs (have: ${OPTIMIZERS.map((x) => x.name).join(', ')})`);
  return o;
}
