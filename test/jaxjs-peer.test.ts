// The jax-js peer of the benchmark (bench/lib/jaxjs-adam.mjs): its two Adams,
// written with jax-js's numpy API as optax's scale_by_adam does it (bias
// correction in the graph, or passed in as scalars), track wasm-optim's Adam
// (which test/pytorch.test.ts checks against PyTorch) on the same data, to
// float32 rounding. This checks the instrument, so that the bench compares
// the same algorithm. No timing.
import * as jax from '@jax-js/jax';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, ready } from '../src/index.js';
import { jaxAdams } from '../bench/lib/jaxjs-adam.mjs';
import { randn, rng } from './helpers.js';

const H = { lr: 1e-2, b1: 0.9, b2: 0.999, eps: 1e-8 };

beforeAll(async () => {
  await ready();
  await jax.init('wasm');
});

describe('bench/lib/jaxjs-adam.mjs', () => {
  it.each(['optax', 'scalars'] as const)('%s: 8 steps match wasm-optim\'s Adam to float32 rounding', async (kind) => {
    const next = rng(5);
    const n = 1003;
    const p0 = randn(next, n);
    const grads = Array.from({ length: 8 }, () => randn(next, n));
    const ref = new Adam([p0.slice()], { lr: H.lr, betas: [H.b1, H.b2], eps: H.eps });
    const peer = jaxAdams(jax, H).make(kind, p0, grads[0]!);
    for (const g of grads) {
      ref.step([g]);
      peer.step(g);
    }
    const got = await peer.params();
    const want = ref.params[0]!;
    let max = 0;
    let moved = 0;
    for (let i = 0; i < n; i++) {
      max = Math.max(max, Math.abs(got[i]! - want[i]!));
      moved = Math.max(moved, Math.abs(want[i]! - p0[i]!));
    }
    expect(moved).toBeGreaterThan(0.05); // 8 steps of about lr each
    expect(max).toBeLessThan(2e-6);
    peer.dispose();
    ref.dispose();
  });
});
