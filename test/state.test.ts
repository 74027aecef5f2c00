// State, groups, zero-copy views and lifetimes.
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, Momentum, RMSprop, SGD, memoryStats, ready, reference, type Optimizer } from '../src/index.js';
import { bytesOf, conformance, randn, rng } from './helpers.js';
import { everyOptimizer } from './registry-cases.js';

type AnyOpt = Optimizer<object>;
type Make = (params: Float32Array[]) => AnyOpt;

const makers: [string, Make][] = [
  // every registered optimizer with every state buffer in use, then variants of the classic ones
  ...everyOptimizer.map((c): [string, Make] => [c.name, (p) => c.make(p, { lr: 0.01 })]),
  ['SGD nesterov', (p) => new SGD(p, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }) as AnyOpt],
  ['SGD dampening', (p) => new SGD(p, { lr: 0.05, momentum: 0.8, dampening: 0.3 }) as AnyOpt],
  ['Momentum', (p) => new Momentum(p, { lr: 0.05, beta: 0.8 }) as AnyOpt],
  ['Adagrad', (p) => new Adagrad(p, { lr: 0.05, lrDecay: 0.01, initialAccumulatorValue: 0.1 }) as AnyOpt],
  ['RMSprop centered momentum', (p) => new RMSprop(p, { lr: 0.01, centered: true, momentum: 0.9 }) as AnyOpt],
  ['Adam amsgrad', (p) => new Adam(p, { lr: 0.01, amsgrad: true, weightDecay: 1e-3 }) as AnyOpt],
  ['AdamW', (p) => new AdamW(p, { lr: 0.01 }) as AnyOpt],
];

const SIZES = [1, 3, 5, 17, 64, 1000];

function gradsFor(seed: number, steps: number): Float32Array[][] {
  const next = rng(seed);
  return Array.from({ length: steps }, () => SIZES.map((n) => randn(next, n)));
}

beforeAll(() => ready());

describe('stateDict', () => {
  it.each(makers)('%s: a mid-run round trip through structuredClone resumes with identical bytes', (_name, make) => {
    const init = SIZES.map((n, i) => randn(rng(i + 1), n));
    const grads = gradsFor(42, 16);
    const a = make(init.map((x) => x.slice()));
    for (let s = 0; s < 7; s++) a.step(grads[s]!);
    const sd = structuredClone(a.stateDict());
    const b = make(a.params.map((x) => x.slice()));
    b.loadStateDict(sd);
    expect(b.stepCount).toBe(7);
    for (let s = 7; s < 16; s++) {
      a.step(grads[s]!);
      b.step(grads[s]!);
    }
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    expect(bytesOf(Object.values(b.stateDict().state[5]!).filter((v) => v instanceof Float32Array) as Float32Array[])).toEqual(
      bytesOf(Object.values(a.stateDict().state[5]!).filter((v) => v instanceof Float32Array) as Float32Array[]),
    );
    a.dispose();
    b.dispose();
  });

  it('restores hyperparameters and survives JSON with arrays of numbers', () => {
    const a = new Adam([new Float32Array(5)], { lr: 0.1, betas: [0.8, 0.9] });
    a.step([new Float32Array([1, 2, 3, 4, 5])]);
    const json = JSON.parse(JSON.stringify(a.stateDict(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v)));
    const b = new Adam([new Float32Array(5)], { lr: 0.5 });
    b.loadStateDict(json);
    expect(b.paramGroups[0]!.lr).toBe(0.1);
    expect(b.paramGroups[0]!.betas).toEqual([0.8, 0.9]);
    expect(b.stateDict()).toEqual(a.stateDict());
  });

  it('matches the shape of PyTorch state: SGD has no momentum buffer before its first step, Adagrad has state from construction', () => {
    const s = new SGD([new Float32Array(3)], { momentum: 0.9 });
    expect(s.stateDict().state).toEqual([null]);
    s.step([new Float32Array([1, 1, 1])]);
    expect(Array.from(s.stateDict().state[0]!.momentumBuffer as Float32Array)).toEqual([1, 1, 1]);
    const a = new Adagrad([new Float32Array(2)], { initialAccumulatorValue: 0.5 });
    expect(a.stateDict().state[0]).toEqual({ step: 0, sum: new Float32Array([0.5, 0.5]) });
  });
});

describe('param groups and hyperparameters', () => {
  it('lr changes between steps apply from the next step, per group', () => {
    const next = rng(3);
    const w = randn(next, 37);
    const b = randn(next, 5);
    const refW = w.slice();
    const refB = b.slice();
    const opt = new Adam([{ params: [w], lr: 0.1 }, { params: [b] }], { lr: 0.01 });
    const sw = reference.Adam.init(37);
    const sb = reference.Adam.init(5);
    for (let t = 0; t < 30; t++) {
      const gw = randn(next, 37);
      const gb = randn(next, 5);
      if (t === 10) opt.paramGroups[0]!.lr = 1e-3;
      if (t === 20) opt.paramGroups[1]!.lr = 0.2;
      opt.step([gw, gb]);
      reference.Adam.step(refW, gw, sw, { lr: t < 10 ? 0.1 : 1e-3 });
      reference.Adam.step(refB, gb, sb, { lr: t < 20 ? 0.01 : 0.2 });
    }
    const { ratio, where } = conformance([w, b], [refW, refB]);
    expect(ratio, where).toBeLessThanOrEqual(1);
    expect(opt.paramGroups[1]!.params[0]).toBe(opt.params[1]);
  });
});

describe('zero-copy views', () => {
  it('step() on opt.grads gives the same bytes as step(grads) and leaves the caller arrays alone', () => {
    const init = SIZES.map((n, i) => randn(rng(i + 9), n));
    const grads = gradsFor(5, 10);
    const callerA = init.map((x) => x.slice());
    const callerB = init.map((x) => x.slice());
    const a = new Adam(callerA, { lr: 0.01 });
    const b = new Adam(callerB, { lr: 0.01 });
    for (const g of grads) {
      a.step(g);
      b.grads.forEach((slot, i) => slot.set(g[i]!));
      b.step();
    }
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    expect(bytesOf(callerA)).toEqual(bytesOf(a.params));
    expect(bytesOf(callerB)).toEqual(bytesOf(init));
    // the next copy-path step writes back again
    b.step(grads[0]!);
    expect(bytesOf(callerB)).toEqual(bytesOf(b.params));
  });

  it('views held by the caller never go stale while other optimizers are created, grown and disposed', () => {
    const w = randn(rng(1), 1000);
    const keep = new SGD([w], { lr: 0.1 });
    const p = keep.params[0]!;
    const g = keep.grads[0]!;
    const before = p.slice();
    const others: AnyOpt[] = [];
    for (let i = 0; i < 30; i++) {
      // sizes up to 4M floats force new memories, not only pooled ones
      const n = i % 5 === 0 ? 1 << 22 : 100 + i;
      others.push(new Adam([new Float32Array(n).fill(1)], { lr: 0.1 }) as AnyOpt);
      if (i % 3 === 0) others.splice(i % others.length, 1)[0]!.dispose();
    }
    for (const o of others) o.step(o.grads.map((x) => x.fill(0.5)));
    expect(p.length).toBe(1000);
    expect(bytesOf([p])).toEqual(bytesOf([before]));
    g.fill(1);
    keep.step();
    for (let i = 0; i < 1000; i++) expect(p[i]).toBe(Math.fround(before[i]! - Math.fround(0.1)));
    expect(keep.params[0]).toBe(p);
    for (const o of others) {
      expect(o.params[0]![0]).not.toBe(1); // each stepped on its own memory
      o.dispose();
    }
    expect(bytesOf([p]).length).toBe(4000);
    keep.dispose();
  });

  it('step(grads) with views of its own gradient slots, in any order, copies as if from separate arrays', () => {
    const a = new SGD([new Float32Array([0, 0]), new Float32Array([0, 0])], { lr: 1 });
    a.grads[0]!.set([1, 1]);
    a.grads[1]!.set([2, 2]);
    a.step([a.grads[1]!, a.grads[0]!]); // swapped
    expect(Array.from(a.params[0]!)).toEqual([-2, -2]);
    expect(Array.from(a.params[1]!)).toEqual([-1, -1]);
    a.dispose();
  });

  it('dispose detaches the optimizer\'s own views, so they can never alias a later optimizer', () => {
    const a = new Adam([new Float32Array(64).fill(1)]);
    const oldP = a.params[0]!;
    const oldG = a.grads[0]!;
    a.dispose();
    expect(oldP.length).toBe(0);
    expect(oldG.length).toBe(0);
    const b = new Adam([new Float32Array(64).fill(2)]); // likely reuses a's memory from the pool
    oldP[0] = 99; // a detached view ignores writes
    expect(b.params[0]![0]).toBe(2);
    expect(() => a.params).toThrow(/after dispose/);
    expect(() => a.step()).toThrow(/after dispose/);
    expect(() => a.stateDict()).toThrow(/after dispose/);
    expect(() => a.loadStateDict(b.stateDict())).toThrow(/after dispose/);
    expect(() => a.paramGroups).toThrow(/after dispose/);
    expect(() => a.dispose()).not.toThrow();
    b.dispose();
  });

  it('many optimizers alive at once and disposed in any order stay independent', () => {
    const liveBefore = memoryStats().liveArenas;
    const next = rng(11);
    const n = 40;
    const order = Array.from({ length: n }, (_, i) => i).sort(() => next() - 0.5);
    const runs = Array.from({ length: n }, (_, i) => {
      const [, make] = makers[i % makers.length]!;
      const init = SIZES.map((s) => randn(next, s));
      return { make, init, grads: gradsFor(100 + i, 6), opt: make(init.map((x) => x.slice())) };
    });
    // interleave: every optimizer steps once per round; dispose some between rounds
    const disposedAt = new Map<number, Uint8Array>();
    for (let round = 0; round < 6; round++) {
      runs.forEach((r, i) => {
        if (!r.opt.disposed) r.opt.step(r.grads[round]!);
      });
      for (const i of order.slice(round * 6, round * 6 + 6)) {
        disposedAt.set(i, bytesOf(runs[i]!.opt.params));
        runs[i]!.opt.dispose();
      }
    }
    runs.forEach((r, i) => {
      const solo = r.make(r.init.map((x) => x.slice()));
      const rounds = r.opt.disposed ? order.indexOf(i) / 6 + 1 : 6;
      for (let round = 0; round < Math.floor(rounds); round++) solo.step(r.grads[round]!);
      const got = disposedAt.get(i) ?? bytesOf(r.opt.params);
      expect(got, `optimizer ${i}`).toEqual(bytesOf(solo.params));
      solo.dispose();
      if (!r.opt.disposed) r.opt.dispose();
    });
    expect(memoryStats().liveArenas).toBe(liveBefore);
  });
});
