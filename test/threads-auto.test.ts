// threads: 'auto' (the default): the pool has min(available cores, 8) threads, and an optimizer
// goes on it only when one of its calls can be split; smaller ones keep ordinary memory and
// one thread, with today's dispose() semantics (views read as empty). Explicit counts keep their meaning.
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { Adam, backendInfo, LBFGS, Muon, ready, SGD } from '../src/index.js';
import { AUTO_CAP } from '../src/threads/pool.js';
import { DEFAULT_SPLIT_THRESHOLD } from '../src/threads/split.js';

afterAll(async () => {
  await ready({ threads: 1 });
});

describe("threads: 'auto'", () => {
  it('is the default of the first ready(), and is min(available cores, 8)', async () => {
    const info = await ready({ simd: true });
    const want = Math.min(AUTO_CAP, availableParallelism());
    expect(AUTO_CAP).toBe(8);
    expect(info.threads.size).toBe(want);
    expect(backendInfo()!.threads.size).toBe(want);
  });

  it('an optimizer below its split size keeps ordinary memory: one thread, views read as empty after dispose()', async () => {
    await ready({ threads: 'auto' });
    const opt = new Adam([new Float32Array(DEFAULT_SPLIT_THRESHOLD - 1)]);
    expect(opt.threads).toBe(1);
    const view = opt.params[0]!;
    opt.dispose();
    expect(view.length).toBe(0);
    // SGD splits from 64K only: 20,000 parameters stay off the pool
    const sgd = new SGD([new Float32Array(20000)], { lr: 0.1 });
    expect(sgd.threads).toBe(1);
    sgd.dispose();
    // a Muon matrix too small for its products to split
    const muon = new Muon([{ data: new Float32Array(16), shape: [4, 4] }]);
    expect(muon.threads).toBe(1);
    muon.dispose();
  });

  it('a larger optimizer goes on the pool (where there is one): its views stay readable after dispose()', async () => {
    const size = (await ready({ threads: 'auto' })).threads.size;
    const opt = new Adam([new Float32Array(DEFAULT_SPLIT_THRESHOLD)]);
    expect(opt.threads).toBe(size);
    const view = opt.params[0]!;
    opt.dispose();
    expect(view.length).toBe(size > 1 ? DEFAULT_SPLIT_THRESHOLD : 0);
    const muon = new Muon([{ data: new Float32Array(64 * 64), shape: [64, 64] }]); // 64*64*64 multiply-adds: split
    expect(muon.threads).toBe(size);
    muon.dispose();
  });

  it('LBFGS: on the pool only when its flat vectors reach the split size', async () => {
    const size = (await ready({ threads: 'auto' })).threads.size;
    const small = new LBFGS([new Float32Array(DEFAULT_SPLIT_THRESHOLD - 4)]);
    expect(small.threads).toBe(1);
    small.dispose();
    const large = new LBFGS([new Float32Array(DEFAULT_SPLIT_THRESHOLD)]);
    expect(large.threads).toBe(size);
    large.dispose();
  });

  it('an explicit count keeps its meaning: ready({ threads: 2 }) and the threads option put small optimizers on the pool too', async () => {
    await ready({ threads: 2 });
    const a = new Adam([new Float32Array(10)]);
    expect(a.threads).toBe(2);
    a.dispose();
    await ready({ threads: 'auto' });
    const b = new Adam([new Float32Array(10)], { threads: 2 });
    expect(b.threads).toBe(2);
    b.dispose();
    await ready({ threads: 1 });
    const c = new Adam([new Float32Array(1 << 16)]);
    expect(c.threads).toBe(1);
    c.dispose();
  });
});
