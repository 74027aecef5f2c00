// dispose() on the pool: the workers drop a disposed optimizer's shared memory
// before dispose() returns (a KERNEL_DRAIN pseudo-call, src/threads/pool.ts
// detachMemory), for optimizers above the split threshold (that make pool calls)
// and below it (that never do). Before, a worker dropped it only at its next
// pool call, and small optimizers' memories piled up until
// "could not allocate WebAssembly memory". No timing decides anything here:
// every count is read after the synchronous drain answered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, memoryStats, ready } from '../src/index.js';
import { poolStats } from '../src/threads/pool.js';
import { DEFAULT_SPLIT_THRESHOLD } from '../src/threads/split.js';

beforeAll(async () => {
  await ready({ simd: true, threads: 2 });
});
afterAll(async () => {
  await ready({ threads: 1 });
});

const SMALL = 100;
const LARGE = DEFAULT_SPLIT_THRESHOLD * 2 + 5;

describe('threads: dispose releases the memory in the workers', { timeout: 300_000 }, () => {
  it('create/step/dispose cycles above and below the split threshold: nothing stays attached, no worker keeps an instance', () => {
    const keep = new Adam([new Float32Array(LARGE)], { threads: 2 }); // one live optimizer: the count is meaningful
    keep.step([new Float32Array(LARGE).fill(1)]);
    expect(poolStats().workers).toBe(1);
    const live = memoryStats().liveArenas;
    for (let i = 0; i < 2000; i++) {
      const n = i % 2 === 0 ? SMALL : LARGE;
      const splitBefore = poolStats().splitCalls;
      const o = new Adam([new Float32Array(n)], { threads: 2 });
      expect(poolStats().attached).toBe(2);
      o.step([new Float32Array(n).fill(1)]);
      expect(poolStats().splitCalls > splitBefore).toBe(n === LARGE); // the small one never calls the pool
      const drains = poolStats().drains;
      o.dispose();
      const s = poolStats();
      expect(s.drains).toBe(drains + 1);
      expect(s.attached).toBe(1);
      expect(s.heldByWorkers).toBe(1); // only `keep`'s instance is left in the worker
    }
    keep.dispose();
    expect(poolStats()).toMatchObject({ attached: 0, heldByWorkers: 0, workers: 1 });
    expect(memoryStats().liveArenas).toBe(live - 1);
  });

  it('20,000 cycles of a small pooled optimizer do not run out of WebAssembly memory', () => {
    // without the drain this threw "could not allocate ... WebAssembly memory" before 20,000 cycles (after 7 s here)
    for (let i = 0; i < 20000; i++) {
      const o = new Adam([new Float32Array(SMALL)], { threads: 2 });
      o.step([new Float32Array(SMALL).fill(1)]);
      o.dispose();
    }
    expect(poolStats()).toMatchObject({ attached: 0, heldByWorkers: 0 });
  });
});
