// The optimizers the benchmark suite measures: every entry of the library's
// registry (src/registry.ts), in its order, named as in src/, assembly/ and
// test/. A new optimizer is benchmarked once it is registered; nothing here
// lists optimizers by hand.
//
//   name     the registered name (its plain-JS loop is reference[name])
//   bytes    bytes one step moves per element (the byte model): p read and
//            written (8), g read (4), every state buffer the step uses read
//            and written (8) = 12 + 8 * (state buffers)
//            + secondPassBytes (the registry's bench.secondPassBytes: Lamb's
//            second pass reads p, m and v again, 12); the state buffers are
//            bench.stateBuffers where given (Adafactor on plain Float32Arrays,
//            vectors: variance only), else every buffer the options allocate
//   adaptive true for kernels with a square root and a division per element
//            (the in-cache target of 0.5 ns/element applies to them)
//   options  constructor options (the same for wasm-optim and the JS loop),
//            the registry's `bench.options`
//   tfjs     builds the closest tf.train.* optimizer, or null where TF.js has none
//   note     why the options or the byte model need a word, if they do
import { closureRegistry, registry } from 'wasm-optim';

/**
 * Closure-stepped optimizers (closureRegistry: LBFGS), left out explicitly:
 * this suite times step(grads) over p, g and the state, and they are stepped
 * with a closure. Name and why.
 */
export const EXCLUDED = closureRegistry.map((e) => ({ name: e.name, why: e.excluded }));

/** @typedef {{ name: string, bytes: number, secondPassBytes?: number, adaptive: boolean, options: object, tfjs: ((tf: any) => any) | null, note?: string }} BenchOptimizer */

/** @type {BenchOptimizer[]} */
export const OPTIMIZERS = registry.map((e) => {
  const options = { ...e.bench.options };
  const buffers = e.buffers({ ...e.defaults, ...options });
  const tfjs = e.bench.tfjs;
  return {
    name: e.name,
    bytes: 12 + 8 * (e.bench.stateBuffers ?? buffers.length) + (e.bench.secondPassBytes ?? 0),
    ...(e.bench.secondPassBytes ? { secondPassBytes: e.bench.secondPassBytes } : {}),
    adaptive: e.bench.adaptive,
    options,
    tfjs: tfjs ? (tf) => tf.train[tfjs.factory](...tfjs.args) : null,
    ...(e.bench.note ? { note: e.bench.note } : {}),
  };
});

/** @param {string} name */
export function optimizerByName(name) {
  const o = OPTIMIZERS.find((x) => x.name === name);
  if (!o) throw new Error(`bench: no optimizer named ${JSON.stringify(name)} in the registry (have: ${OPTIMIZERS.map((x) => x.name).join(', ')})`);
  return o;
}
