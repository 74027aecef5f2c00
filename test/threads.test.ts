// The worker pool (src/threads/): a step split across 2, 3 and 4 threads
// gives the same bits as the same optimizer on one thread (which the fixture
// tests check against PyTorch), for every registered optimizer, on sizes
// with odd tails, two groups and clipping; errors in a worker become errors
// on the caller; idle workers do not keep a process alive. No timing.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, backendInfo, memoryStats, NonFiniteGradientError, ready } from '../src/index.js';
import { failNextCall, poolStats } from '../src/threads/pool.js';
import { setSplitThreshold } from '../src/threads/split.js';
import { SPLIT_KERNELS } from '../src/threads/protocol.js';
import { randn, rng } from './helpers.js';
import { everyOptimizerRows, type AnyOpt, type OptimizerCase } from './registry-cases.js';

/** Odd sizes: tails of 1..15 floats after the 64-byte chunks, one tensor shorter than a chunk. */
const SIZES = [1003, 37, 5, 2050];
let oldThreshold = 0;

beforeAll(async () => {
  await ready({ simd: true, threads: 4 });
  oldThreshold = setSplitThreshold(16); // split even these small calls, so tails and tiny chunks are exercised
});
afterAll(async () => {
  setSplitThreshold(oldThreshold);
  await ready({ threads: 1 });
});

function run(c: OptimizerCase, threads: number, groups: boolean, extra: Record<string, unknown> = {}): { opt: AnyOpt; bytes: Uint8Array } {
  const next = rng(42);
  const params = SIZES.map((n) => randn(next, n));
  const opt = (groups ? c.makeGroups : c.make)(params, { ...extra, threads });
  for (let t = 0; t < 5; t++) opt.step(SIZES.map((n) => randn(next, n, 0.1 * (t + 1))));
  return { opt, bytes: opt.save() };
}

/** Methods whose kernels work block by block (not split: a chunk would have to follow block boundaries and have its own scratch). */
const BLOCKWISE = new Set(['Adam8bit', 'AdamW8bit', 'Lion8bit']);

describe('threads: bit-identical for 1, 2, 3 and 4 threads', () => {
  it.each(everyOptimizerRows)('%s', (_name, c) => {
    for (const [groups, extra] of [
      [false, {}],
      [true, { maxGradNorm: 1 }],
      [false, { maxGradNorm: 0.5, gradNormType: Infinity }],
    ] as const) {
      const one = run(c, 1, groups, extra);
      expect(one.opt.threads).toBe(1);
      for (const threads of [2, 3, 4]) {
        const before = poolStats().splitCalls;
        const many = run(c, threads, groups, extra);
        expect(many.opt.threads).toBe(threads);
        // the pool was really used, by every method with an elementwise kernel (Adafactor's are per-tensor reductions: calling thread;
        // the 8-bit methods' blockwise kernels run there too, and their allState puts every tensor in 8 bits)
        if (c.entry.kernels.some((k) => k in SPLIT_KERNELS) && !BLOCKWISE.has(c.entry.name)) expect(poolStats().splitCalls).toBeGreaterThan(before);
        expect(many.bytes).toEqual(one.bytes);
        many.opt.params.forEach((p, i) => expect(new Uint32Array(p.buffer, p.byteOffset, p.length)).toEqual(new Uint32Array(one.opt.params[i]!.buffer, one.opt.params[i]!.byteOffset, p.length)));
        many.opt.dispose();
      }
      one.opt.dispose();
    }
  });
});

describe('threads: the pool and the options', () => {
  it('backendInfo reports the pool; ready and the option validate', async () => {
    expect(backendInfo()?.threads).toMatchObject({ size: 4, reason: undefined });
    await expect(ready({ threads: 0 })).rejects.toThrow(/options\.threads .*'auto' or a whole number from 1 to 65, got 0/);
    await expect(ready({ threads: 'all' as never })).rejects.toThrow(/got "all"/);
    expect(() => new Adam([new Float32Array(4)], { threads: 1.5 })).toThrow(/options\.threads.*whole number from 1 to 65.*1\.5/);
    expect(() => new Adam([{ params: [new Float32Array(4)], threads: 2 }] as never)).toThrow(/optimizer-wide option/);
  });

  it('the default comes from ready({ threads }); dispose detaches the memory from the pool', () => {
    const before = poolStats().attached;
    const live = memoryStats().liveArenas;
    const opt = new Adam([new Float32Array(100)]);
    expect(opt.threads).toBe(4);
    expect(poolStats().attached).toBe(before + 1);
    expect(opt.params[0]!.buffer).toBeInstanceOf(SharedArrayBuffer);
    opt.dispose();
    expect(poolStats().attached).toBe(before);
    expect(memoryStats().liveArenas).toBe(live);
    expect(() => opt.step()).toThrow(/after dispose/);
  });

  it('a non-finite gradient throws and changes nothing, as on one thread', () => {
    const opt = new Adam([new Float32Array(1000).fill(1)], { threads: 3 });
    opt.step([new Float32Array(1000).fill(0.5)]);
    const saved = opt.save();
    for (const at of [0, 500, 999]) {
      // allFinite is split too (chunks 0, 1, 2 of 336 elements): each thread's chunk must see it
      const g = new Float32Array(1000).fill(0.5);
      g[at] = at === 500 ? Infinity : NaN;
      expect(() => opt.step([g])).toThrow(NonFiniteGradientError);
      expect(opt.save()).toEqual(saved);
    }
    opt.dispose();
  });

  it('a checkpoint of a threaded optimizer loads into a one-thread one and they continue alike', () => {
    const next = rng(7);
    const p = randn(next, 999);
    const a = new Adam([p.slice()], { threads: 2, lr: 0.01 });
    a.step([randn(next, 999)]);
    const b = new Adam([p.slice()], { threads: 1, lr: 0.01 });
    b.load(a.save());
    const g = randn(next, 999);
    a.step([g]);
    b.step([g]);
    expect(a.save()).toEqual(b.save());
    a.dispose();
    b.dispose();
  });
});

describe('threads: stress', () => {
  it('optimizers created, stepped and disposed in random order on the pool match their one-thread twins', () => {
    const next = rng(3);
    const live: { a: AnyOpt; b: AnyOpt }[] = [];
    const attached = poolStats().attached;
    for (let i = 0; i < 200; i++) {
      const r = next();
      if (r < 0.3 || live.length === 0) {
        const n = 1 + Math.floor(next() * 3000);
        const p = randn(next, n);
        const threads = 2 + Math.floor(next() * 3);
        live.push({ a: new Adam([p.slice()], { threads, lr: 0.01 }), b: new Adam([p.slice()], { threads: 1, lr: 0.01 }) });
      } else if (r < 0.45) {
        const [o] = live.splice(Math.floor(next() * live.length), 1);
        expect(o!.a.save()).toEqual(o!.b.save());
        o!.a.dispose();
        o!.b.dispose();
      } else {
        const o = live[Math.floor(next() * live.length)]!;
        const g = randn(next, o.a.params[0]!.length);
        o.a.step([g]);
        o.b.step([g]);
      }
    }
    for (const o of live) {
      expect(o.a.save()).toEqual(o.b.save());
      o.a.dispose();
      o.b.dispose();
    }
    expect(poolStats().attached).toBe(attached); // nothing left attached to the workers
  });
});

describe('threads: failures in the pool', () => {
  it('a chunk that throws becomes an error on the caller; the step count does not advance', () => {
    const opt = new Adam([new Float32Array(1000).fill(1)], { threads: 3 });
    opt.step([new Float32Array(1000).fill(0.5)]);
    failNextCall('throw');
    expect(() => opt.step([new Float32Array(1000).fill(0.5)])).toThrow(/a chunk threw in the thread pool \(worker \d: test hook.*step count was not advanced.*partly updated/);
    expect(opt.stepCount).toBe(1);
    opt.step([new Float32Array(1000).fill(0.5)]); // the pool still works
    expect(opt.stepCount).toBe(2);
    opt.dispose();
  });

  it('a worker that exits mid-step becomes an error; the pool is replaced at the next call', () => {
    const opt = new Adam([new Float32Array(1000).fill(1)], { threads: 3 });
    failNextCall('die');
    expect(() => opt.step([new Float32Array(1000).fill(0.5)])).toThrow(/a worker of the thread pool exited during the call.*partly updated/);
    expect(opt.stepCount).toBe(0);
    const fresh = run(everyOptimizerRows.find(([n]) => n === 'Adam')![1], 3, false);
    const ref = run(everyOptimizerRows.find(([n]) => n === 'Adam')![1], 1, false);
    expect(fresh.bytes).toEqual(ref.bytes);
    for (const o of [opt, fresh.opt, ref.opt]) o.dispose();
  });
});

describe('threads: process lifetime', () => {
  it('idle workers do not keep a Node process alive', () => {
    const script = `
      import { ready, Adam } from './dist/index.js';
      const info = await ready({ threads: 2 });
      const opt = new Adam([new Float32Array(1 << 17)]);
      opt.step([new Float32Array(1 << 17).fill(1)]);
      console.log(info.threads.size, opt.threads, opt.params[0][0].toFixed(4));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), timeout: 60000, encoding: 'utf8' });
    expect(out.trim()).toBe('2 2 -0.0010');
  });
});
