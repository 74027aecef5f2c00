// Adam for the jax-js peer (@jax-js/jax), written with its numpy API as
// optax's scale_by_adam + scale_by_learning_rate + apply_updates do it
// (optax is not published for jax-js: @jax-js/optax is not on npm):
//   mu' = b1 mu + (1 - b1) g;  nu' = b2 nu + (1 - b2) g^2;  count' = count + 1
//   update = (mu' / (1 - b1^count')) / (sqrt(nu' / (1 - b2^count')) + eps)
//   p' = p - lr update
// `optax`: the bias correction in the graph (count is an array, b^count is
// np.power), as optax computes it; `scalars`: 1 - b1^t and 1 - b2^t computed
// in JS and passed in as scalars (what wasm-optim and PyTorch do). Each step
// is one `jit` function. Shared by bench/jaxjs.mjs (Node) and
// bench/browser/jaxjs-page.js (Chromium), which pass in the jax-js module.
// jax-js owns its arguments (reference counting): `.ref` keeps one.

/**
 * @param {any} jax the `@jax-js/jax` module
 * @param {{ lr: number, b1: number, b2: number, eps: number }} h
 */
export function jaxAdams(jax, { lr, b1, b2, eps }) {
  const { jit, numpy: np, blockUntilReady } = jax;
  const optaxStep = jit((/** @type {any} */ p, /** @type {any} */ mu, /** @type {any} */ nu, /** @type {any} */ g, /** @type {any} */ count) => {
    const c = count.add(1);
    const mu2 = mu.mul(b1).add(g.ref.mul(1 - b1));
    const nu2 = nu.mul(b2).add(g.ref.mul(g).mul(1 - b2));
    const muHat = mu2.ref.div(np.subtract(1, np.power(b1, c.ref)));
    const nuHat = nu2.ref.div(np.subtract(1, np.power(b2, c.ref)));
    return [p.sub(muHat.div(np.sqrt(nuHat).add(eps)).mul(lr)), mu2, nu2, c];
  });
  const scalarStep = jit((/** @type {any} */ p, /** @type {any} */ mu, /** @type {any} */ nu, /** @type {any} */ g, /** @type {any} */ bc1, /** @type {any} */ bc2) => {
    const mu2 = mu.mul(b1).add(g.ref.mul(1 - b1));
    const nu2 = nu.mul(b2).add(g.ref.mul(g).mul(1 - b2));
    return [p.sub(mu2.ref.div(bc1).div(np.sqrt(nu2.ref.div(bc2)).add(eps)).mul(lr)), mu2, nu2];
  });

  /**
   * An Adam over `p0` whose `step(g?)` uses `g` (a Float32Array) or the
   * resident gradient `g0`; `sync()` waits for the results.
   * @param {'optax' | 'scalars'} kind
   * @param {Float32Array} p0
   * @param {Float32Array} g0
   */
  function make(kind, p0, g0) {
    const n = p0.length;
    /** @type {any} */
    let s = { p: np.array(p0), mu: np.zeros([n]), nu: np.zeros([n]), count: np.array(0) };
    let t = 0;
    const g = np.array(g0);
    return {
      /** @param {Float32Array} [gt] */
      step(gt) {
        const grad = gt ? np.array(gt) : g.ref;
        t++;
        if (kind === 'optax') {
          const [p, mu, nu, count] = optaxStep(s.p, s.mu, s.nu, grad, s.count);
          s = { p, mu, nu, count };
        } else {
          const [p, mu, nu] = scalarStep(s.p, s.mu, s.nu, grad, np.array(1 - b1 ** t), np.array(1 - b2 ** t));
          s = { ...s, p, mu, nu };
        }
      },
      sync: () => blockUntilReady([s.p, s.mu, s.nu]),
      /** @returns {Promise<Float32Array>} */
      params: async () => /** @type {Float32Array} */ (await s.p.ref.data()),
      dispose() {
        for (const a of [s.p, s.mu, s.nu, s.count, g]) a.dispose();
      },
    };
  }
  return { make };
}

/**
 * wasm-optim's Adam with the same hyperparameters, shaped like jaxAdams'
 * implementations ({ step(grad?), sync(), params(), dispose() }): `lib` is the
 * package (dist/index.js in Node, the browser bundle in a page).
 */
export function wasmOptimAdam(lib, { lr, b1, b2, eps }, param, grad, threads) {
  const opt = new lib.Adam([param], { lr, betas: [b1, b2], eps, threads });
  opt.grads[0].set(grad);
  return {
    step(gt) {
      if (gt) opt.grads[0].set(gt);
      opt.step();
    },
    sync: async () => {},
    params: async () => opt.params[0].slice(),
    dispose: () => opt.dispose(),
  };
}
