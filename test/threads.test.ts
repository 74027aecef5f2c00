// The worker pool (src/threads/): a step split across 2, 3 and 4 threads
// gives the same bits as the same optimizer on one thread (which the fixture
// tests check against PyTorch), for every registered optimizer, on sizes
// with odd tails, two groups and clipping; errors in a worker become errors
// on the caller; idle workers do not keep a process alive. No timing.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Adam, backendInfo, memoryStats, NonFiniteGradientError, ready, SGD } from '../src/index.js';
import { DEFAULT_SPLIT_THRESHOLD } from '../src/threads/split.js';
import { kernelsFor } from '../src/arena.js';
import { failNextCall, poolStats, setCallTimeout, traceCalls } from '../src/threads/pool.js';
import { snapshotCount } from '../src/step.js';
import { setSplitThreshold } from '../src/threads/split.js';
import { SPLIT_KERNELS, STRIDED_KERNELS } from '../src/threads/protocol.js';
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


describe('threads: the split threshold', () => {
  it('at the default threshold, a method splits from its own measured size (MethodSpec.splitFrom): SGD from 64K, Adam from 8K (the undo snapshot, a copy of every parameter and state float, off here: it is split by its own size)', () => {
    const old = setSplitThreshold(DEFAULT_SPLIT_THRESHOLD);
    try {
      const splits = (make: (p: Float32Array[]) => { step(g: Float32Array[]): unknown; dispose(): void }, n: number): number => {
        const opt = make([new Float32Array(n).fill(1)]);
        const before = poolStats().splitCalls;
        opt.step([new Float32Array(n).fill(0.5)]);
        opt.dispose();
        return poolStats().splitCalls - before;
      };
      expect(splits((p) => new Adam(p, { threads: 2, undoOnFailure: false }), 32768)).toBeGreaterThan(0);
      expect(splits((p) => new Adam(p, { threads: 2, undoOnFailure: false }), 4096)).toBe(0);
      expect(splits((p) => new SGD(p, { lr: 0.1, threads: 2, undoOnFailure: false }), 32768)).toBe(0);
      expect(splits((p) => new SGD(p, { lr: 0.1, threads: 2, undoOnFailure: false }), 65536)).toBeGreaterThan(0);
      // with the undo on (the default), a step that splits nothing takes no snapshot either (the snapshot's copy would split)
      expect(splits((p) => new Adam(p, { threads: 2 }), 4096)).toBe(0);
      expect(splits((p) => new SGD(p, { lr: 0.1, momentum: 0.9, threads: 2 }), 32768)).toBe(0);
      expect(splits((p) => new Adam(p, { threads: 2 }), 32768)).toBeGreaterThan(0);
    } finally {
      setSplitThreshold(old);
    }
  });
});

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
        // the pool was really used, by every method with a split kernel
        if (c.entry.kernels.some((k) => k in SPLIT_KERNELS || k in STRIDED_KERNELS)) expect(poolStats().splitCalls).toBeGreaterThan(before);
        expect(many.bytes).toEqual(one.bytes);
        many.opt.params.forEach((p, i) => expect(new Uint32Array(p.buffer, p.byteOffset, p.length)).toEqual(new Uint32Array(one.opt.params[i]!.buffer, one.opt.params[i]!.byteOffset, p.length)));
        many.opt.dispose();
      }
      one.opt.dispose();
    }
  });
});

/** Several blocks of the blocked reductions (REDUCE_BLOCK = 16,384): 3 and 2 blocks, a tail, and a tiny tensor. */
const BIG = [40000, 17, 16400];

function runSizes(c: OptimizerCase, sizes: readonly number[], threads: number, extra: Record<string, unknown>, steps = 3): { opt: AnyOpt; bytes: Uint8Array } {
  const next = rng(11);
  const params = sizes.map((n) => randn(next, n));
  const opt = c.make(params, { ...extra, threads });
  for (let t = 0; t < steps; t++) opt.step(sizes.map((n) => randn(next, n, 0.1 * (t + 1))));
  return { opt, bytes: opt.save() };
}

/** The first index where two byte arrays differ (-1: equal; the length when one is a prefix): fast, unlike toEqual on 100s of KB. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length))) return -1;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

describe('threads: reductions over several blocks, bit-identical for 1, 2 and 3 threads', () => {
  it.each(everyOptimizerRows)('%s', (_name, c) => {
    for (const extra of [{ maxGradNorm: 0.5 }, { maxGradNorm: 0.5, gradNormType: Infinity }, { maxGradNorm: 0.5, gradNormType: 1 }]) {
      const one = runSizes(c, BIG, 1, extra);
      for (const threads of [2, 3]) {
        const before = poolStats().splitCalls;
        const many = runSizes(c, BIG, threads, extra);
        expect(poolStats().splitCalls).toBeGreaterThan(before); // the clip norm at least is split
        expect(firstDiff(many.bytes, one.bytes)).toBe(-1);
        expect(Object.is(many.opt.lastGradNorm, one.opt.lastGradNorm)).toBe(true);
        many.opt.dispose();
      }
      one.opt.dispose();
    }
  });

  it('the sums themselves (norms, Lamb\'s two sums of squares) carry the same double bits on 1, 2 and 3 threads', () => {
    const n = 70001; // 5 blocks, the last one 4,465 elements (a tail of 1)
    const next = rng(9);
    const p = randn(next, n);
    const g = randn(next, n);
    const got = [1, 2, 3].map((threads) => {
      const opt = new Adam([p.slice()], { threads });
      opt.grads[0]!.set(g);
      const k = kernelsFor(opt.params[0]!.buffer)!;
      const pa = opt.params[0]!.byteOffset, ga = opt.grads[0]!.byteOffset;
      const m = ga + 4 * ((n + 3) & ~3), v = m + 4 * ((n + 3) & ~3); // Adam's expAvg and expAvgSq follow the gradients
      const before = poolStats().splitCalls;
      const out = [k.sumSquares(ga, n), k.sumAbs(ga, n), k.maxAbs(ga, n)];
      k.lambMoments(pa, ga, m, v, n, 1.1, 1.3, 0.9, 0.999, 1e-6, 0.01, 0.7);
      out.push(k.lambParamSumSq(), k.lambUpdateSumSq());
      if (threads > 1) expect(poolStats().splitCalls - before).toBe(4);
      const state = new Uint8Array(opt.params[0]!.buffer.slice(m, v + 4 * n) as ArrayBuffer);
      opt.dispose();
      return { out, state };
    });
    for (const r of got.slice(1)) {
      r.out.forEach((x, i) => expect(Object.is(x, got[0]!.out[i])).toBe(true));
      expect(firstDiff(r.state, got[0]!.state)).toBe(-1);
    }
  });

  it('Lamb: the trust ratios summed on the pool equal the one-thread sums', () => {
    const lamb = everyOptimizerRows.find(([n]) => n === 'Lamb')![1];
    const one = runSizes(lamb, [70000], 1, { weightDecay: 0.01 });
    const two = runSizes(lamb, [70000], 2, { weightDecay: 0.01 });
    const three = runSizes(lamb, [70000], 3, { weightDecay: 0.01 });
    expect(firstDiff(two.bytes, one.bytes)).toBe(-1);
    expect(firstDiff(three.bytes, one.bytes)).toBe(-1);
    for (const r of [one, two, three]) r.opt.dispose();
  });
});

describe('threads: Adafactor split by rows, columns and blocks, bit-identical for 1, 2 and 3 threads', () => {
  // matrices (rows and columns not multiples of 16: odd last chunks), a batch of matrices, a tall and a wide one, and a
  // vector of several 1024-element blocks with a tail of 1; the sums that cross units (||p||^2, ||U||^2, a batch's row mean)
  // are added in a fixed order, so any split gives the same bits
  const shapes = [[37, 130], [3, 40, 50], [130, 37], [2, 1000], [70001], [9]] as const;
  const sizeOf = (s: readonly number[]) => s.reduce((a, d) => a * d, 1);
  function adafactorRun(threads: number, extra: Record<string, unknown>, steps = 3): { bytes: Uint8Array; params: Float32Array[]; splits: number[] } {
    const c = everyOptimizerRows.find(([n]) => n === 'Adafactor')![1];
    const next = rng(13);
    const opt = c.make(shapes.map((s) => ({ data: randn(next, sizeOf(s)), shape: [...s] })) as never, { ...extra, threads });
    const splits: number[] = [];
    for (let t = 0; t < steps; t++) {
      const before = poolStats().splitCalls;
      opt.step(shapes.map((s) => randn(next, sizeOf(s), 0.1 * (t + 1))));
      splits.push(poolStats().splitCalls - before);
    }
    const r = { bytes: opt.save(), params: opt.params.map((p) => p.slice()), splits };
    opt.dispose();
    return r;
  }
  it.each([
    ['defaults', {}],
    ['weightDecay, maximize, d = 1.5, clipping', { weightDecay: 0.05, maximize: true, d: 1.5, maxGradNorm: 1 }],
    ['undoOnFailure: false, lr = 0.05', { undoOnFailure: false, lr: 0.05 }],
  ] as const)('%s', (_name, extra) => {
    const one = adafactorRun(1, extra);
    for (const threads of [2, 3]) {
      const many = adafactorRun(threads, extra);
      expect(firstDiff(many.bytes, one.bytes)).toBe(-1);
      many.params.forEach((p, i) => expect(firstDiff(new Uint8Array(p.buffer), new Uint8Array(one.params[i]!.buffer)), `shape [${shapes[i]}]`).toBe(-1));
      // every step, the first too (the workers check in once per step), splits every tensor's calls
      for (const s of many.splits) expect(s).toBeGreaterThan(4 * 4);
    }
  });
  it('every Adafactor kernel of a step goes to the pool, per tensor as many calls as it has units to split', () => {
    const run1 = (shape: number[]) => {
      const next = rng(4);
      const n = sizeOf(shape);
      const c = everyOptimizerRows.find(([name]) => name === 'Adafactor')![1];
      const opt = c.make([{ data: randn(next, n), shape }] as never, { threads: 2, undoOnFailure: false, checkFinite: false });
      const before = poolStats().splitCalls;
      opt.step([randn(next, n)]);
      opt.dispose();
      return poolStats().splitCalls - before;
    };
    expect(run1([37, 130])).toBe(4); // rows, columns, ||U|| parts, move (||p||^2: one block, not split)
    expect(run1([130, 40000])).toBe(5); // and ||p||^2 over 318 blocks of 16,384
    expect(run1([37, 16])).toBe(3); // 16 columns: one aligned unit of 16, not split
    expect(run1([16, 130])).toBe(1); // 16 rows: only the columns split
    expect(run1([70001])).toBe(3); // ||p||^2 (5 blocks), variance and ||U|| parts (69 blocks of 1,024), move
    expect(run1([5000])).toBe(1); // 5 blocks of 1,024 (fewer than the 8 a chunk aligns to): only the move
    // at the default threshold, Adafactor splits calls of 32K elements of work and more (its MethodSpec.splitFrom)
    const old = setSplitThreshold(DEFAULT_SPLIT_THRESHOLD);
    try {
      expect(run1([128, 128])).toBe(0);
      expect(run1([128, 255])).toBe(0);
      expect(run1([128, 256])).toBe(5); // rows, columns, ||U|| parts, move, and ||p||^2 (2 blocks of 16,384)
      expect(run1([1 << 15])).toBe(3); // ||p||^2, the variance blocks, the move
    } finally {
      setSplitThreshold(old);
    }
  });
});

describe('threads: Muon products split by rows, bit-identical for 1, 2 and 3 threads', () => {
  it('Newton-Schulz on matrices of odd shapes (rows of C split among threads), with clipping', async () => {
    const { Muon } = await import('../src/index.js');
    const shapes = [[96, 80], [70, 33], [5, 40], [130, 7]] as const;
    const results: Uint8Array[] = [];
    for (const threads of [1, 2, 3]) {
      const next = rng(5);
      const opt = new Muon(shapes.map(([r, c]) => ({ data: randn(next, r * c), shape: [r, c] })), { threads, maxGradNorm: 2, lr: 0.02 });
      const before = poolStats().splitCalls;
      for (let t = 0; t < 3; t++) opt.step(shapes.map(([r, c]) => randn(next, r * c, 0.1 * (t + 1))));
      if (threads > 1) expect(poolStats().splitCalls - before).toBeGreaterThan(3 * 5 * 3); // at least the products of every Newton-Schulz iteration
      results.push(opt.save());
      opt.dispose();
    }
    expect(firstDiff(results[1]!, results[0]!)).toBe(-1);
    expect(firstDiff(results[2]!, results[0]!)).toBe(-1);
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

describe('threads: failures in the pool are all or nothing', () => {
  // The hooks act where a worker really can fail: in its own JavaScript, before it checks in to a
  // call (src/threads/pool.ts runSplit). A writing call then opens its gate only if every worker
  // checked in; otherwise nobody, the calling thread included, writes.
  const before = {
    throw: /a worker of the thread pool threw before the call began writing, so no thread wrote anything \(worker \d: test hook: a worker that throws before its chunk/,
    die: /a worker of the thread pool exited before the call began writing, so no thread wrote anything/,
    kill: /worker\(s\) of the thread pool did not (check in|finish) within 3 s \(killed or hung\)/,
  } as const;
  const restored = /step was not applied: parameters and optimizer state are as they were before it/;
  /** Fails the `call`-th split call of the next step of `opt` with `how` (`readOnly`: a call before any barrier); checks the error and that nothing changed. */
  function failStep(opt: AnyOpt, grads: Float32Array[], how: 'throw' | 'die' | 'kill', call: number, readOnly = false): void {
    const saved = opt.save();
    const paramsBefore = opt.params.map((p) => p.slice());
    const count = opt.stepCount;
    failNextCall(how, call);
    // (a killed worker never answers: only the call timeout finds it; 3 s here instead of 30)
    const oldTimeout = setCallTimeout(how === 'kill' ? 3000 : 30000);
    try {
      // a read-only call (a norm, before any write) has no barrier: its failure says the step was not applied
      expect(() => opt.step(grads)).toThrow(readOnly ? /not applied; nothing was changed|as they were before it/ : new RegExp(`${before[how].source}.*${restored.source}`));
    } finally {
      setCallTimeout(oldTimeout);
    }
    expect(firstDiff(opt.save(), saved)).toBe(-1);
    opt.params.forEach((p, i) => expect(firstDiff(new Uint8Array(p.buffer, p.byteOffset, 4 * p.length), new Uint8Array(paramsBefore[i]!.buffer))).toBe(-1));
    expect(opt.stepCount).toBe(count);
  }

  it.each(['throw', 'die', 'kill'] as const)('one writing call (Adam, one group): a worker that %ss before check-in changes nothing, and no snapshot is taken', (how) => {
    const c = everyOptimizerRows.find(([n]) => n === 'Adam')![1];
    const next = rng(5);
    const params = [randn(next, 40003)];
    const grads = [0, 1, 2, 3].map((t) => [randn(next, 40003, 0.1 * (t + 1))]);
    const opt = c.make(params.map((p) => p.slice()), { threads: 3 });
    const twin = c.make(params.map((p) => p.slice()), { threads: 1 });
    opt.step(grads[0]!);
    twin.step(grads[0]!);
    const snaps = snapshotCount();
    let calls = poolStats().splitCalls;
    opt.step(grads[1]!);
    twin.step(grads[1]!);
    expect(poolStats().splitCalls - calls).toBe(2); // the finiteness check and the update: no snapshot copies
    for (const call of [1, 2]) {
      // call 1: the read-only finiteness check (no barrier needed); call 2: the update, behind the barrier
      const saved = opt.save();
      failNextCall(how, call);
      const oldTimeout = setCallTimeout(how === 'kill' ? 3000 : 30000);
      try {
        expect(() => opt.step(grads[2]!)).toThrow(call === 1 ? /not applied; nothing was changed|as they were before it/ : new RegExp(`${before[how].source}.*${restored.source}`));
      } finally {
        setCallTimeout(oldTimeout);
      }
      expect(firstDiff(opt.save(), saved)).toBe(-1);
      expect(opt.stepCount).toBe(2);
    }
    expect(snapshotCount()).toBe(snaps); // the shadow was never written
    calls = poolStats().splitCalls;
    for (const g of grads.slice(2)) {
      opt.step(g);
      twin.step(g);
    }
    expect(poolStats().splitCalls - calls).toBe(4); // back on a (replaced) pool
    expect(firstDiff(opt.save(), twin.save())).toBe(-1);
    opt.dispose();
    twin.dispose();
  });

  it.each(['throw', 'die', 'kill'] as const)('several writing calls (groups; Lamb\'s two passes; Muon): a worker that %ss at the step\'s check-in changes nothing, without a snapshot; after it only a bug can fail, and the error says the step may be partial', (how) => {
    for (const name of ['Adam', 'Lamb', 'Muon'] as const) {
      const c = everyOptimizerRows.find(([n]) => n === name)![1];
      const next = rng(21);
      const sizes = [3000, 1001, 40000];
      const params = sizes.map((k) => randn(next, k));
      const grads = [0, 1, 2, 3].map((t) => sizes.map((k) => randn(next, k, 0.1 * (t + 1))));
      const opt = c.makeGroups(params.map((p) => p.slice()), { threads: 3, maxGradNorm: 1 });
      const twin = c.makeGroups(params.map((p) => p.slice()), { threads: 1, maxGradNorm: 1 });
      opt.step(grads[0]!);
      twin.step(grads[0]!);
      const snaps = snapshotCount();
      traceCalls();
      opt.step(grads[1]!);
      const calls = traceCalls(false);
      twin.step(grads[1]!);
      expect(snapshotCount()).toBe(snaps); // no copy, ever
      // the first call behind the barrier is where every worker checks in for the step: Muon's first write (its momentum)
      // is on the calling thread, so its steps begin with the check-in pseudo-call (learned from the first step)
      const first = calls.findIndex((x) => x.writes) + 1;
      expect(first).toBeGreaterThan(0);
      // (Lamb's first pass over the small group is one reduction block: calling thread, so it checks in first too)
      if (name !== 'Lamb') expect(calls[first - 1]!.what.includes("the workers' check-in")).toBe(name === 'Muon');
      expect(calls.length).toBeGreaterThan(first); // pool calls after the step's first write (they used to need a snapshot)
      for (const call of how === 'kill' ? [first] : [1, first]) failStep(opt, grads[2]!, how, call, call < first);
      if (how === 'throw') {
        // a failure after the check-in (a bug: a worker that checked in cannot fail in its JavaScript): said to be partial
        const saved = opt.save();
        failNextCall('throw', calls.length);
        expect(() => opt.step(grads[2]!)).toThrow(/step count was not advanced, but parameters and optimizer state may be partly updated \(a bug after the step began writing; undoOnFailure: 'snapshot' undoes even that\)/);
        opt.load(saved);
      }
      for (const g of grads.slice(2)) {
        opt.step(g);
        twin.step(g);
      }
      expect(opt.stepCount).toBe(4);
      expect(firstDiff(opt.save(), twin.save())).toBe(-1);
      opt.dispose();
      twin.dispose();
    }
  });

  it('a worker started inside a failing call counts as started (the failure path reads its start-up message): ready() still resolves, and the worker is unref\'d', async () => {
    const next = rng(13);
    const opt = new Adam([randn(next, 40003)], { threads: 3 });
    const g = [randn(next, 40003, 0.1)];
    opt.step(g);
    failNextCall('die', 2);
    expect(() => opt.step(g)).toThrow(/exited before the call began writing/); // the pool is replaced at the next call
    failNextCall('throw', 2); // the fresh workers, started inside this synchronous step, throw at once
    expect(() => opt.step(g)).toThrow(/threw before the call began writing/);
    // without the fix the failure path swallowed their { ready } message: ready() waited for it forever
    const settled = await Promise.race([ready({ simd: true, threads: 4 }).then(() => 'ready'), new Promise((r) => setTimeout(() => r('hung'), 20000))]);
    expect(settled).toBe('ready');
    opt.step(g);
    expect(opt.stepCount).toBe(2);
    opt.dispose();
  }, 60000);

  it('a chunk that throws after the call began writing (a kernel bug): the error says the update may be partial; undoOnFailure \'snapshot\' undoes even that', () => {
    const next = rng(8);
    const p = randn(next, 40003);
    const g = [randn(next, 40003, 0.1)];
    const a = new Adam([p.slice()], { threads: 3 });
    const s = new Adam([p.slice()], { threads: 3, undoOnFailure: 'snapshot' });
    a.step(g);
    s.step(g);
    failNextCall('throwAfter', 2);
    expect(() => a.step(g)).toThrow(/a worker of the thread pool threw after the call began writing.*test hook: a chunk that throws after writing.*step count was not advanced, but parameters and optimizer state may be partly updated \(a bug after the step began writing; undoOnFailure: 'snapshot' undoes even that\)/);
    expect(a.stepCount).toBe(1);
    const saved = s.save();
    const snaps = snapshotCount();
    failNextCall('throwAfter', 4); // the finiteness check, the snapshot's two copies, the update
    expect(() => s.step(g)).toThrow(/threw after the call began writing.*as they were before it/);
    expect(snapshotCount() - snaps).toBe(1);
    expect(firstDiff(s.save(), saved)).toBe(-1);
    expect(s.stepCount).toBe(1);
    a.dispose();
    s.dispose();
  });
});

describe('threads: undoOnFailure: false', () => {
  it('takes no snapshot and sends no check-in (no extra memory, as the default); a one-call step that fails before writing changes nothing; a bug after writing is said to be partial', () => {
    const a = new Adam([new Float32Array(5000).fill(1)], { threads: 3, undoOnFailure: 'snapshot' });
    const b = new Adam([new Float32Array(5000).fill(1)], { threads: 3, undoOnFailure: false });
    const c = new Adam([new Float32Array(5000).fill(1)], { threads: 3 });
    expect(b.params[0]!.buffer.byteLength).toBeLessThan(a.params[0]!.buffer.byteLength); // only 'snapshot' reserves the copy
    expect(c.params[0]!.buffer.byteLength).toBe(b.params[0]!.buffer.byteLength);
    c.dispose();
    const before = poolStats().splitCalls;
    b.step([new Float32Array(5000).fill(0.5)]);
    expect(poolStats().splitCalls - before).toBe(2); // the finiteness check and the update: no snapshot copies
    const saved = b.save();
    failNextCall('throw', 2);
    expect(() => b.step([new Float32Array(5000).fill(0.5)])).toThrow(/threw before the call began writing.*as they were before it/);
    expect(firstDiff(b.save(), saved)).toBe(-1);
    failNextCall('throwAfter', 2);
    expect(() => b.step([new Float32Array(5000).fill(0.5)])).toThrow(/threw after the call began writing.*may be partly updated \(undoOnFailure: false\): restore them from a checkpoint/);
    expect(b.stepCount).toBe(1);
    expect(() => new Adam([new Float32Array(4)], { undoOnFailure: 1 } as never)).toThrow(/options\.undoOnFailure.*true, false or 'snapshot'.*1/);
    a.dispose();
    b.dispose();
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
