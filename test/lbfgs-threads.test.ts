// L-BFGS on the worker pool: its elementwise kernels (axpy, mulInto, subInto,
// allFinite, maxAbs) split into chunks, its dot into fixed blocks of
// REDUCE_BLOCK elements whose sums the caller adds in block order. So 1, 2
// and 3 threads give the same bits (one thread is what test/lbfgs.test.ts
// checks against PyTorch); a worker failing mid-step leaves parameters and
// state as before the step (L-BFGS's snapshot), and later steps match a
// one-thread twin. No timing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LBFGS, ready } from '../src/index.js';
import { kernelsFor } from '../src/arena.js';
import { failNextCall, poolStats, traceCalls } from '../src/threads/pool.js';
import { setSplitThreshold } from '../src/threads/split.js';
import { randn, rng } from './helpers.js';

/** Odd sizes above and below REDUCE_BLOCK, in one optimizer (flat padded length 56,404: four dot blocks). */
const SIZES = [40003, 5, 16390];
let oldThreshold = 0;

beforeAll(async () => {
  await ready({ simd: true, threads: 3 });
  oldThreshold = setSplitThreshold(16);
});
afterAll(async () => {
  setSplitThreshold(oldThreshold);
  await ready({ threads: 1 });
});

type Line = null | 'strong_wolfe';

/** An L-BFGS over SIZES with a smooth non-quadratic loss sum a_i x_i^2 / 2 + b_i x_i + x_i^4 / 40 (float64 loss). */
function make(threads: number, lineSearchFn: Line): { opt: LBFGS; closure: () => number; callers: Float32Array[] } {
  const next = rng(7);
  const callers = SIZES.map((n) => randn(next, n));
  const a = SIZES.map((n) => randn(next, n).map((v) => 0.5 + Math.abs(v)));
  const b = SIZES.map((n) => randn(next, n, 0.3));
  const opt = new LBFGS(callers, { lr: 0.5, maxIter: 6, historySize: 4, lineSearchFn, threads });
  const closure = () => {
    let loss = 0;
    opt.params.forEach((p, t) => {
      const g = opt.grads[t]!;
      for (let i = 0; i < p.length; i++) {
        const x = p[i]!;
        loss += (a[t]![i]! * x * x) / 2 + b[t]![i]! * x + (x * x * x * x) / 40;
        g[i] = a[t]![i]! * x + b[t]![i]! + (x * x * x) / 10;
      }
    });
    return loss;
  };
  return { opt, closure, callers };
}

/** The bytes of float32 vectors, one after another (compared with Buffer.equals: toEqual is slow on long arrays). */
const bytesOf = (vs: readonly Float32Array[]): Buffer => Buffer.concat(vs.map((v) => Buffer.from(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength))));
const params = (opt: LBFGS): Buffer => bytesOf(opt.params);
/** A state dict with its vectors as bytes. */
const sdBytes = (opt: LBFGS) => {
  const sd = opt.stateDict();
  const e = sd.state[0];
  if (!e) return sd;
  const { d, oldDirs, oldStps, prevFlatGrad, ...rest } = e;
  return { ...sd, state: [{ ...rest, vectors: bytesOf([d!, ...oldDirs!, ...oldStps!, prevFlatGrad!]).toString('base64') }] };
};
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

describe('LBFGS on the pool: bit-identical for 1, 2 and 3 threads', () => {
  it.each([null, 'strong_wolfe'] as Line[])('lineSearchFn %s: params, returned losses, state dict and save() bytes', (line) => {
    const run = (threads: number) => {
      const { opt, closure, callers } = make(threads, line);
      const losses = [0, 1, 2, 3].map(() => opt.step(closure));
      const sd = opt.stateDict();
      const out = { losses, params: params(opt), callers: bytesOf(callers), sd, sdb: sdBytes(opt), bytes: opt.save(), threads: opt.threads };
      opt.dispose();
      return out;
    };
    const one = run(1);
    expect(one.threads).toBe(1);
    expect(one.sd.state[0]!.nIter).toBeGreaterThan(8); // it iterated (and kept a history)
    expect(one.sd.state[0]!.oldDirs!.length).toBe(4);
    for (const threads of [2, 3]) {
      const before = poolStats().splitCalls;
      traceCalls();
      const many = run(threads);
      const calls = traceCalls(false);
      expect(many.threads).toBe(threads);
      // the pool was really used: dot (blocked), the elementwise kernels and the gradient checks
      expect(poolStats().splitCalls).toBeGreaterThan(before);
      for (const k of ['dot', 'axpy', 'mulInto', 'subInto', 'allFinite', 'maxAbs']) expect(calls.some((c) => c.what === `LBFGS.step (kernel ${k})`), k).toBe(true);
      expect(many.losses).toEqual(one.losses);
      expect(same(many.params, one.params)).toBe(true);
      expect(same(many.callers, one.callers)).toBe(true);
      expect(same(many.callers, one.params)).toBe(true);
      expect(many.sdb).toEqual(one.sdb);
      expect(same(many.bytes, one.bytes)).toBe(true);
    }
  });
});

describe('dot on the pool', () => {
  it('returns the same double for 1, 2 and 3 threads, the documented order (blocks of 16384 summed left to right)', () => {
    for (const n of [16388, 40004, 70004]) {
      const next = rng(n);
      const x = randn(next, n).map((v, i) => v * 10 ** ((i % 13) - 6));
      let want = 0;
      for (let j = 0; j < n; j += 16384) {
        const s = new Array<number>(8).fill(0);
        for (let i = j; i < Math.min(n, j + 16384); i++) s[(i - j) & 7]! += x[i]! * x[i]!;
        want += ((s[0]! + s[1]!) + (s[2]! + s[3]!)) + ((s[4]! + s[5]!) + (s[6]! + s[7]!));
      }
      for (const threads of [1, 2, 3]) {
        const opt = new LBFGS([Float32Array.from(x)], { threads });
        const p = opt.params[0]!;
        const before = poolStats().splitCalls;
        expect(kernelsFor(p.buffer)!.dot(p.byteOffset, p.byteOffset, n)).toBe(want);
        expect(poolStats().splitCalls - before).toBe(threads > 1 ? 1 : 0);
        opt.dispose();
      }
    }
  });
});

describe('LBFGS on the pool: a worker failing mid-step', () => {
  /** split calls in one step (after two), so the failure points below fall inside a step */
  const callsPerStep = (line: Line): number => {
    const { opt, closure } = make(2, line);
    opt.step(closure);
    opt.step(closure);
    const before = poolStats().splitCalls;
    opt.step(closure);
    const n = poolStats().splitCalls - before;
    opt.dispose();
    return n;
  };

  it.each([null, 'strong_wolfe'] as Line[])('lineSearchFn %s: an error naming the call, nothing changed, later steps match a one-thread twin', (line) => {
    const per = callsPerStep(line);
    expect(per).toBeGreaterThan(20);
    for (const how of ['throw', 'die', 'throwAfter'] as const) {
      for (const at of [1, Math.floor(per / 2), per - 1]) {
        const twin = make(1, line);
        const { opt, closure, callers } = make(3, line);
        for (let s = 0; s < 2; s++) {
          twin.opt.step(twin.closure);
          opt.step(closure);
        }
        const bytes = opt.save();
        const ps = params(opt);
        const cs = bytesOf(callers);
        const sd = sdBytes(opt);
        failNextCall(how, at);
        expect(() => opt.step(closure), `${how} at call ${at}`).toThrow(
          /^LBFGS\.step \(kernel \w+\): a worker of the thread pool (threw|exited) .*The step was not applied: parameters and optimizer state are as they were before it/,
        );
        expect(same(opt.save(), bytes)).toBe(true);
        expect(same(params(opt), ps)).toBe(true);
        expect(same(bytesOf(callers), cs)).toBe(true);
        expect(sdBytes(opt)).toEqual(sd);
        expect(sdBytes(opt)).toEqual(sdBytes(twin.opt));
        for (let s = 0; s < 2; s++) expect(opt.step(closure)).toBe(twin.opt.step(twin.closure));
        expect(same(opt.save(), twin.opt.save())).toBe(true);
        expect(same(params(opt), params(twin.opt))).toBe(true);
        opt.dispose();
        twin.opt.dispose();
      }
    }
  });
});

describe('LBFGS: the threads option', () => {
  it('is validated like every optimizer\'s, and is not a hyperparameter (not in the state dict)', () => {
    const p = () => [new Float32Array(8)];
    expect(() => new LBFGS(p(), { threads: 0 })).toThrow(/^LBFGS: invalid options\.threads: expected a whole number from 1 to 65, got 0/);
    expect(() => new LBFGS(p(), { threads: 2.5 })).toThrow(/options\.threads: expected a whole number from 1 to 65, got 2\.5/);
    expect(() => new LBFGS(p(), { threads: '2' as unknown as number })).toThrow(TypeError);
    expect(() => new LBFGS([{ params: p(), threads: 2 } as never])).toThrow(/"threads" in params\[0\] is an optimizer-wide option/);
    expect(() => new LBFGS(p(), { thread: 2 } as never)).toThrow(/unknown option "thread" in options \(valid options: lr, .*lineSearchFn, threads\)/);
    const opt = new LBFGS(p(), { threads: 2 });
    expect(opt.threads).toBe(2);
    expect(opt.stateDict().paramGroups[0]).not.toHaveProperty('threads');
    opt.dispose();
  });
});
