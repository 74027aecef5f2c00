// The 1,000-step Adam trajectory on 10,000 parameters whose bytes must be the
// same in Node and in Chromium. Shared by both sides; inputs come from a
// seeded generator so no data has to be shipped.
/**
 * @param {Pick<typeof import('../../dist/index.js'), 'ready' | 'Adam'>} lib wasm-optim (dist/, in Node and in the page)
 * @param {{ simd?: boolean, steps?: number, n?: number }} [options]
 * @returns {Promise<string>} hex SHA-256 of the final checkpoint
 */
export async function trajectory(lib, { simd, steps = 1000, n = 10_000 } = {}) {
  await lib.ready({ simd });
  let a = 12345;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296 - 0.5;
  };
  const w = new Float32Array(n).map(() => next());
  const opt = new lib.Adam([w], { lr: 1e-3, weightDecay: 1e-4, amsgrad: true });
  const g = opt.grads[0];
  for (let t = 0; t < steps; t++) {
    for (let i = 0; i < n; i++) g[i] = next() * (i % 3 === 0 ? 1e-3 : 1);
    opt.step();
  }
  const bytes = opt.save({ params: true });
  opt.dispose();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(bytes)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}
