// Weight averaging against torch.optim.swa_utils: AveragedParams (SWA and EMA)
// and SWALR, replayed from test/fixtures/swa.json (tools/fixtures/generate_swa.py,
// torch 1.13.1 with 2.x's averaging functions, see its docstring).
//
// Two replays per case:
// - the averages alone: AveragedParams is fed torch's own parameters after each
//   step and must give torch's averages (SWA bit for bit, as both evaluate
//   a + (p - a)/(n + 1) in float32; EMA within the conformance rule, and bit for
//   bit on all but a handful of elements, see assembly/averaging.ts);
// - the whole recipe through the public API: SGD on the recorded gradients,
//   CosineAnnealingLR, then SWALR and avg.update(opt.params), against torch's
//   parameters, learning rates and averages (conformance rule,
//   |x - ref| <= 1e-5 * max(1, max |ref|)).
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AveragedParams, CosineAnnealingLR, SGD, SWALR, ready, type AveragedParamsStateDict } from '../src/index.js';
import * as lib from '../src/index.js';
import { bytesOf, conformance } from './helpers.js';

interface Step {
  grads: number[][];
  params: number[][];
  lr: number[];
  averaged: boolean;
  average?: number[][];
  nAveraged?: number;
}
interface Case {
  name: string;
  mode: 'swa' | 'ema';
  decay: number | null;
  steps: number;
  swaStart: number;
  cosineTMax: number | null;
  swalr: { swaLr: number | number[]; annealEpochs: number; annealStrategy: 'cos' | 'linear' } | null;
  groups: { params: number[]; lr: number }[];
  momentum: number;
  expected: { initial: number[][]; initialLr: number[]; initialAverage: number[][]; steps: Step[] };
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/swa.json', import.meta.url), 'utf8')) as { generator: string; sizes: number[]; cases: Case[] };
const cases = fixture.cases;
const f32 = (xs: number[][]) => xs.map((x) => new Float32Array(x));
const options = (c: Case) => (c.mode === 'ema' ? { mode: 'ema' as const, decay: c.decay! } : { mode: 'swa' as const });

beforeAll(async () => {
  await ready();
});

describe('torch.optim.swa_utils fixture', () => {
  it('holds 12 cases covering SWA, EMA on both lerp branches, SWALR cos and linear', () => {
    expect(fixture.generator).toBe('tools/fixtures/generate_swa.py');
    expect(cases.length).toBe(12);
    expect(cases.filter((c) => c.mode === 'swa').length).toBe(4);
    expect(new Set(cases.filter((c) => c.mode === 'ema').map((c) => c.decay))).toEqual(new Set([0.999, 0.9, 0.99, 0.3, 0.5, 0, 1, 0.95]));
    expect(new Set(cases.flatMap((c) => (c.swalr ? [c.swalr.annealStrategy] : [])))).toEqual(new Set(['cos', 'linear']));
    for (const c of cases) expect(c.expected.steps.length, c.name).toBe(c.steps);
  });

  describe.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    it("averages torch's parameters as torch does", () => {
      const avg = new AveragedParams(f32(c.expected.initial), options(c));
      try {
        expect(bytesOf(avg.params)).toEqual(bytesOf(f32(c.expected.initialAverage)));
        let elements = 0;
        let exact = 0;
        for (const [t, s] of c.expected.steps.entries()) {
          if (!s.averaged) continue;
          avg.update(f32(s.params));
          expect(avg.nAveraged, `step ${t}`).toBe(s.nAveraged);
          const want = f32(s.average!);
          const r = conformance(avg.params, want);
          if (r.ratio > 1) expect.fail(`step ${t}: ${r.where}`);
          avg.params.forEach((a, i) => {
            for (let j = 0; j < a.length; j++) {
              elements++;
              if (Object.is(a[j], want[i]![j])) exact++;
            }
          });
        }
        expect(elements).toBeGreaterThan(0);
        if (c.mode === 'swa') expect(exact).toBe(elements);
        else expect(exact, `${exact} of ${elements} bit-exact`).toBe(elements); // see assembly/averaging.ts for the rare exception
      } finally {
        avg.dispose();
      }
    });

    it('replays the recipe: SGD, CosineAnnealingLR, SWALR, update(opt.params)', () => {
      const init = f32(c.expected.initial);
      const opt = new SGD(
        c.groups.map((g) => ({ params: g.params.map((i) => init[i]!), lr: g.lr })),
        { lr: c.groups[0]!.lr, momentum: c.momentum },
      );
      const avg = new AveragedParams(opt.params, options(c));
      try {
        const cosine = c.cosineTMax ? new CosineAnnealingLR(opt, { TMax: c.cosineTMax }) : undefined;
        const swa = c.swalr ? new SWALR(opt, c.swalr) : undefined;
        expect(opt.paramGroups.map((g) => g.lr)).toEqual(c.expected.initialLr);
        // opt.params is in group order; the fixture's parameters are in model order
        const order = c.groups.flatMap((g) => g.params);
        const inModelOrder = (xs: readonly Float32Array[]) => order.map((_, k) => xs[order.indexOf(k)]!);
        for (const [t, s] of c.expected.steps.entries()) {
          opt.step(order.map((k) => new Float32Array(s.grads[k]!)));
          if (s.averaged) {
            avg.update(opt.params);
            swa?.step();
          } else cosine?.step();
          const p = conformance(inModelOrder(opt.params), f32(s.params));
          if (p.ratio > 1) expect.fail(`step ${t} params: ${p.where}`);
          opt.paramGroups.forEach((g, i) => {
            if (!(Math.abs(g.lr - s.lr[i]!) <= 1e-12 * Math.max(1e-3, Math.abs(s.lr[i]!)))) expect.fail(`step ${t} lr[${i}]: ${g.lr}, torch ${s.lr[i]}`);
          });
          if (s.averaged) {
            const a = conformance(inModelOrder(avg.params), f32(s.average!));
            if (a.ratio > 1) expect.fail(`step ${t} average: ${a.where}`);
          }
        }
      } finally {
        avg.dispose();
        opt.dispose();
      }
    });
  });
});

const data = () => [new Float32Array([1, 2, 3]), new Float32Array([4, 5, 6, 7, 8])];
const other = (k: number) => [new Float32Array([k, k, k]), new Float32Array([k, -k, k, -k, k])];

describe('AveragedParams', () => {
  it('defaults to SWA; EMA defaults to decay 0.999 (torch)', () => {
    const a = new AveragedParams(data());
    expect([a.mode, a.decay, a.nAveraged]).toEqual(['swa', null, 0]);
    const e = new AveragedParams(data(), { mode: 'ema' });
    expect([e.mode, e.decay]).toEqual(['ema', 0.999]);
    a.dispose();
    e.dispose();
  });

  it('starts as a copy, copies on the first update, then averages', () => {
    const src = data();
    const a = new AveragedParams(src);
    src[0]![0] = 99; // a copy, not a view of the caller's array
    expect([...a.params[0]!]).toEqual([1, 2, 3]);
    a.update(other(2));
    expect([...a.params[0]!]).toEqual([2, 2, 2]);
    a.update(other(4));
    expect([...a.params[0]!]).toEqual([3, 3, 3]);
    a.update(other(9));
    expect([...a.params[1]!]).toEqual([5, -5, 5, -5, 5]);
    expect(a.nAveraged).toBe(3);
    a.dispose();
  });

  it('EMA: decay*avg + (1 - decay)*p', () => {
    const a = new AveragedParams(data(), { mode: 'ema', decay: 0.75 });
    a.update(other(4));
    a.update(other(8));
    expect([...a.params[0]!]).toEqual([5, 5, 5]); // 0.75*4 + 0.25*8
    a.dispose();
  });

  it('refuses bad options with an error naming them', () => {
    const mk = (o: unknown) => () => new AveragedParams(data(), o as never);
    expect(mk({ mode: 'mean' })).toThrow(/AveragedParams: invalid options\.mode: expected "ema" or "swa", got "mean"/);
    expect(mk({ mode: 1 })).toThrow(TypeError);
    expect(mk({ mode: 'ema', decay: 1.5 })).toThrow(/invalid options\.decay: expected a number in \[0, 1\], got 1\.5/);
    expect(mk({ mode: 'ema', decay: -0.1 })).toThrow(RangeError);
    expect(mk({ mode: 'ema', decay: NaN })).toThrow(RangeError);
    expect(mk({ mode: 'ema', decay: '0.9' })).toThrow(TypeError);
    expect(mk({ decay: 0.9 })).toThrow(/options\.decay applies to mode "ema" only/);
    expect(mk({ mode: 'ema', deacy: 0.9 })).toThrow(/unknown option "deacy"/);
    expect(mk(null)).toThrow(/options must be an object/);
    expect(() => new AveragedParams([] as never)).toThrow(/params must be a non-empty array of Float32Arrays/);
    expect(() => new AveragedParams([new Float64Array(3)] as never)).toThrow(/params\[0\] must be a Float32Array, got a Float64Array of length 3/);
  });

  it('decay at and beyond the ends of [0, 1]: 0 and 1 work (torch\'s lerp weights 1 and 0), the rest is refused', () => {
    const zero = new AveragedParams(data(), { mode: 'ema', decay: 0 });
    const one = new AveragedParams(data(), { mode: 'ema', decay: 1 });
    for (const a of [zero, one]) {
      a.update(other(4));
      a.update(other(8));
    }
    expect([...zero.params[0]!]).toEqual([8, 8, 8]); // decay 0: the latest parameters
    expect([...one.params[0]!]).toEqual([4, 4, 4]); // decay 1: the first update's copy
    for (const d of [Infinity, -Infinity, 1 + 2 ** -52, -Number.MIN_VALUE]) {
      expect(() => new AveragedParams(data(), { mode: 'ema', decay: d }), String(d)).toThrow(/^AveragedParams: invalid options\.decay: expected a number in \[0, 1\], got /);
    }
    zero.dispose();
    one.dispose();
  });

  it('update with the views of a disposed optimizer throws and changes nothing', () => {
    const opt = new SGD(data(), { lr: 0.1 });
    const a = new AveragedParams(opt.params);
    a.update(opt.params);
    const before = bytesOf(a.params);
    const views = opt.params;
    opt.dispose();
    expect(() => a.update(views)).toThrow(/^AveragedParams\.update: current\[0\] must be a Float32Array of length 3, got a detached Float32Array; nothing was changed$/);
    expect(bytesOf(a.params)).toEqual(before);
    expect(a.nAveraged).toBe(1);
    a.dispose();
  });

  it('update with the wrong arrays throws and changes nothing', () => {
    const a = new AveragedParams(data(), { mode: 'ema', decay: 0.9 });
    a.update(other(1));
    a.update(other(2));
    const before = bytesOf(a.params);
    const bad: [unknown, RegExp][] = [
      [other(3).slice(0, 1), /current must hold 2 Float32Array\(s\), one per averaged parameter, got an array of length 1/],
      [[...other(3), new Float32Array(1)], /got an array of length 3/],
      [[new Float32Array(3), new Float32Array(4)], /current\[1\] must be a Float32Array of length 5, got a Float32Array of length 4/],
      [[new Float32Array(3), new Float64Array(5)], /current\[1\] must be a Float32Array of length 5, got a Float64Array/],
      [[new Float32Array(3), [1, 2, 3, 4, 5]], /current\[1\] must be a Float32Array/],
      [new Float32Array(8), /current must be an array of 2 Float32Array/],
      [undefined, /current must be an array/],
    ];
    for (const [arg, re] of bad) {
      expect(() => a.update(arg as never)).toThrow(re);
      expect(bytesOf(a.params)).toEqual(before);
      expect(a.nAveraged).toBe(2);
    }
  });

  it('hostile input: a Proxy, a detached array, a getter that re-enters; nothing changes', () => {
    const a = new AveragedParams(data());
    a.update(other(1));
    a.update(other(3));
    const before = bytesOf(a.params);
    const proxy = new Proxy(new Float32Array(5), {});
    expect(() => a.update([new Float32Array(3), proxy])).toThrow(/current\[1\] must be a Float32Array of length 5, got an object that looks like a typed array/);
    const detached = new Float32Array(5);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    expect(() => a.update([new Float32Array(3), detached])).toThrow(/current\[1\] must be a Float32Array of length 5, got a detached Float32Array/);
    const sneaky = [new Float32Array(3)];
    Object.defineProperty(sneaky, 1, { enumerable: true, get: () => { a.update(other(9)); return new Float32Array(5); } });
    expect(() => a.update(sneaky as Float32Array[])).toThrow(lib.ReentrantCallError);
    const throwing = [new Float32Array(3)];
    Object.defineProperty(throwing, 1, { enumerable: true, get: () => { throw new Error('boom'); } });
    expect(() => a.update(throwing as Float32Array[])).toThrow(/AveragedParams\.update: reading current\[1\] threw \(Error: boom\); nothing was changed/);
    expect(bytesOf(a.params)).toEqual(before);
    expect(a.nAveraged).toBe(2);
    a.dispose();
  });

  it('accepts its own params (the average of itself is itself) and views of an optimizer', () => {
    const opt = new SGD(data(), { lr: 0.1 });
    const a = new AveragedParams(opt.params);
    a.update(opt.params);
    a.update(a.params);
    expect(bytesOf(a.params)).toEqual(bytesOf(opt.params));
    a.dispose();
    opt.dispose();
  });

  it('stateDict / loadStateDict round trip; bad dicts change nothing', () => {
    const a = new AveragedParams(data(), { mode: 'ema', decay: 0.9 });
    a.update(other(1));
    a.update(other(3));
    const sd = a.stateDict();
    expect(sd.kind).toBe('AveragedParams');
    expect(sd.nAveraged).toBe(2);
    const b = new AveragedParams(data(), { mode: 'ema', decay: 0.5 });
    b.loadStateDict(structuredClone(sd));
    expect(b.decay).toBe(0.9);
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    a.update(other(5));
    b.update(other(5));
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    const before = bytesOf(b.params);
    const bad: [unknown, RegExp][] = [
      [{ ...sd, nAveraged: -1 }, /invalid sd\.nAveraged: expected an integer >= 0, got -1/],
      [{ ...sd, nAveraged: 1.5 }, /invalid sd\.nAveraged: expected an integer >= 0, got 1\.5/],
      [{ ...sd, decay: 2 }, /invalid sd\.decay: expected a number in \[0, 1\], got 2/],
      [{ ...sd, decay: NaN }, /invalid sd\.decay: expected a number in \[0, 1\], got NaN/],
      [{ ...sd, decay: '0.9' }, /invalid sd\.decay: expected a number in \[0, 1\], got "0\.9"/],
      [{ ...sd, decay: null }, /invalid sd\.decay: expected a number in \[0, 1\], got null/],
      [{ ...sd, mode: 'mean' }, /invalid sd\.mode: expected "ema" or "swa", got "mean"/],
      [{ ...sd, mode: 'swa', decay: null }, /averages by "swa", this AveragedParams by "ema"/],
      [{ ...sd, params: [new Float32Array(3)] }, /params must hold 2 Float32Array/],
      [{ ...sd, params: [new Float32Array(3), new Float32Array(2)] }, /params\[1\] must be a Float32Array of length 5/],
      [{ ...sd, kind: 'SGD' }, /belongs to "SGD", not AveragedParams/],
      [{ ...sd, extra: 1 }, /unknown key "extra"/],
      [{ ...sd, version: 2 }, /version 2/],
    ];
    for (const [d, re] of bad) {
      expect(() => b.loadStateDict(d as AveragedParamsStateDict)).toThrow(re);
      expect(bytesOf(b.params)).toEqual(before);
      expect(b.nAveraged).toBe(3);
    }
    a.dispose();
    b.dispose();
  });

  it('save / load round trip in the checkpoint container; corrupted or foreign bytes change nothing', () => {
    const a = new AveragedParams(data());
    a.update(other(1));
    a.update(other(2));
    const bytes = a.save();
    expect(new TextDecoder().decode(bytes.subarray(0, 8))).toBe('WOPTCKPT');
    const b = new AveragedParams(data());
    b.load(bytes);
    expect(b.nAveraged).toBe(2);
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    const before = bytesOf(b.params);
    const flipped = bytes.slice();
    flipped[flipped.length - 10]! ^= 1;
    expect(() => b.load(flipped)).toThrow(/checksum does not match/);
    expect(() => b.load(bytes.subarray(0, 20))).toThrow(/not a valid wasm-optim checkpoint/);
    const sgd = new SGD(data(), { lr: 0.1 });
    expect(() => b.load(sgd.save())).toThrow(/belongs to "SGD", not AveragedParams/);
    expect(() => sgd.load(bytes)).toThrow(/belongs to "AveragedParams", not SGD/);
    const ema = new AveragedParams(data(), { mode: 'ema' });
    expect(() => ema.load(bytes)).toThrow(/averages by "swa", this AveragedParams by "ema"/);
    const small = new AveragedParams([new Float32Array(3)]);
    expect(() => small.load(bytes)).toThrow(/sizes \[3, 5\], this AveragedParams has \[3\]/);
    expect(() => b.load('x' as never)).toThrow(TypeError);
    expect(bytesOf(b.params)).toEqual(before);
    expect(b.nAveraged).toBe(2);
    for (const x of [a, b, ema, small, sgd]) x.dispose();
  });

  it('dispose detaches the views; later calls throw', () => {
    const a = new AveragedParams(data());
    const view = a.params[0]!;
    a.dispose();
    a.dispose();
    expect(a.disposed).toBe(true);
    expect(view.length).toBe(0);
    expect(() => a.update(other(1))).toThrow(/update\(\) was used after dispose\(\)/);
    expect(() => a.params).toThrow(/after dispose/);
  });
});

describe('SWALR', () => {
  it('is a scheduler saved with its optimizer', () => {
    const opt = new SGD(data(), { lr: 0.1 });
    const s = new SWALR(opt, { swaLr: 0.01, annealEpochs: 4, annealStrategy: 'linear' });
    s.step();
    s.step();
    const bytes = opt.save({ schedulers: [s] });
    const opt2 = new SGD(data(), { lr: 0.1 });
    const s2 = new SWALR(opt2, { swaLr: 0.5 });
    opt2.load(bytes, { schedulers: [s2] });
    s.step();
    s2.step();
    expect(opt2.paramGroups[0]!.lr).toBe(opt.paramGroups[0]!.lr);
    expect(s2.stateDict()).toEqual(s.stateDict());
    opt.dispose();
    opt2.dispose();
  });

  it('a bad state dict is refused with an error naming the field, and nothing changes', () => {
    const opt = new SGD(data(), { lr: 0.1 });
    const s = new SWALR(opt, { swaLr: 0.01, annealEpochs: 3 });
    s.step();
    const sd = s.stateDict();
    const lr = opt.paramGroups[0]!.lr;
    const bad: [unknown, RegExp][] = [
      [{ ...sd, swaLr: [0.05, 0.05] }, /invalid sd\.swaLr: expected 1 value\(s\), one per param group, got an array of length 2/],
      [{ ...sd, swaLr: [-1] }, /invalid sd\.swaLr\[0\]: expected a finite number >= 0, got -1/],
      [{ ...sd, annealEpochs: NaN }, /invalid sd\.annealEpochs: expected an integer >= 0, got NaN/],
      [{ ...sd, annealStrategy: 'cosine' }, /invalid sd\.annealStrategy: expected one of "cos", "linear", got "cosine"/],
      [{ ...sd, lastEpoch: -5 }, /invalid sd\.lastEpoch: expected an integer >= -1, got -5/],
      [{ ...sd, kind: 'StepLR' }, /belongs to "StepLR", not SWALR/],
    ];
    for (const [d, re] of bad) {
      expect(() => s.loadStateDict(d as never)).toThrow(re);
      expect(s.stateDict()).toEqual(sd);
      expect(opt.paramGroups[0]!.lr).toBe(lr);
    }
    opt.dispose();
  });
});

describe('schedule-free with SWALR and AveragedParams (the hostile inputs of issue 14 together)', () => {
  it('an EMA of Schedule-Free AdamW\'s x: eval() twice refused, update with y-or-x arrays of the wrong length refused, nothing changed', () => {
    const opt = new lib.AdamWScheduleFree(data(), { lr: 0.1 });
    const g = [Float32Array.from([0.5, -1, 2]), Float32Array.from([1, 1, 1, 1, 1])];
    opt.step(g);
    opt.step(g);
    const ema = new AveragedParams(opt.params, { mode: 'ema', decay: 0.5 });
    opt.eval();
    ema.update(opt.params); // averages x
    const before = bytesOf([...opt.params, ...ema.params]);
    expect(() => opt.eval()).toThrow(/^AdamWScheduleFree\.eval: the optimizer is already in eval mode/);
    expect(() => ema.update([opt.params[1]!, opt.params[0]!])).toThrow(/current\[0\] must be a Float32Array of length 3, got a Float32Array of length 5/);
    expect(() => opt.step(g)).toThrow(/eval mode/);
    expect(bytesOf([...opt.params, ...ema.params])).toEqual(before);
    expect(ema.nAveraged).toBe(1);
    opt.train();
    opt.step(g);
    ema.dispose();
    opt.dispose();
  });
});
