// Binary checkpoints: round trips with identical bytes, and refusal of every
// kind of bad input (truncated, corrupted, foreign, other kind, other shapes,
// future version), all or nothing, fuzzed.
import { beforeAll, describe, expect, it } from 'vitest';
import CRC32 from 'crc-32';
import { Adam, SGD, ready, type Optimizer } from '../src/index.js';
import { everyOptimizer } from './registry-cases.js';
import { bytesOf, randn, rng, snapshot } from './helpers.js';

beforeAll(() => ready());

type Make = (p: Float32Array[]) => Optimizer<object>;
/** Every registered optimizer, over two param groups, with every state buffer in use. */
const makers: [string, Make][] = everyOptimizer.map((c) => [c.name, (p) => c.makeGroups(p)]);
const SIZES = [3, 17, 1, 64];
const init = (seed: number) => SIZES.map((n) => randn(rng(seed + n), n));
const grads = (seed: number) => SIZES.map((n) => randn(rng(seed * 7 + n), n));

/** Rewrites the trailing CRC so that a mutation reaches the parser behind the checksum. */
function reseal<T extends Uint8Array>(b: T): T {
  if (b.length < 4) return b;
  new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(b.length - 4, CRC32.buf(b.subarray(0, b.length - 4)) >>> 0, true);
  return b;
}

describe.each(makers)('%s checkpoints', (name, make) => {
  it('save/load mid-run resumes with identical bytes, with or without parameters', () => {
    const a = make(init(1));
    for (let t = 0; t < 5; t++) a.step(grads(t));
    const ck = a.save();
    const ckNoParams = a.save({ params: false });
    expect(ckNoParams.length).toBeLessThan(ck.length);
    const b = make(init(99)); // other starting values: load must restore them
    b.load(ck);
    const c = make(a.params.map((p) => p.slice()));
    c.load(ckNoParams);
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    for (let t = 5; t < 12; t++) [a, b, c].forEach((o) => o.step(grads(t)));
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    expect(bytesOf(c.params)).toEqual(bytesOf(a.params));
    expect(b.save()).toEqual(a.save());
    [a, b, c].forEach((o) => o.dispose());
  });

  it('refuses truncated, corrupted, foreign and mismatched checkpoints and changes nothing', () => {
    const a = make(init(1));
    a.step(grads(1));
    const ck = a.save();
    const b = make(init(2));
    b.step(grads(2));
    b.step(grads(3));
    const before = snapshot(b);
    const other = name === 'Adam' ? new SGD(init(1)) : new Adam(init(1));
    other.step(grads(1));
    const bigger = make(SIZES.map((n) => new Float32Array(n + 1)));
    const future = reseal((() => { const x = ck.slice(); x[8] = 2; return x; })());
    const bad: [string, unknown, RegExp][] = [
      ['empty', new Uint8Array(0), /too short/],
      ['truncated', ck.subarray(0, ck.length - 9), /checksum/],
      ['a flipped bit', (() => { const x = ck.slice(); x[ck.length >> 1] = x[ck.length >> 1]! ^ 4; return x; })(), /checksum/],
      ['foreign bytes', new TextEncoder().encode('{"kind":"Adam","state":[]}......'), /magic/],
      ['not bytes', [1, 2, 3], /expected the Uint8Array written by save\(\), got \[1, 2, 3\]/],
      ['a future version', future, /format version 2.*newer/],
      ['another optimizer', other.save(), new RegExp(`belongs to "${other.kind}", not ${name}`)],
      ['other shapes', bigger.save(), /sizes \[4, 18, 2, 65\], this optimizer has \[3, 17, 1, 64\]/],
    ];
    for (const [what, bytes, re] of bad) {
      expect(() => b.load(bytes as Uint8Array), what).toThrow(re);
      expect(snapshot(b), what).toEqual(before);
    }
    [a, b, other, bigger].forEach((o) => o.dispose());
  });
});

describe('checkpoint fuzzing', () => {
  it('thousands of mutated checkpoints never crash and never load partially', () => {
    const next = rng(2026);
    const a = new Adam([{ params: [new Float32Array(5).fill(1)] }, { params: [new Float32Array(3).fill(2)], amsgrad: true }], { lr: 0.1 });
    a.step([new Float32Array(5).fill(0.5), new Float32Array(3).fill(0.25)]);
    const ck = a.save();
    const b = new Adam([{ params: [new Float32Array(5)] }, { params: [new Float32Array(3)], amsgrad: true }], { lr: 0.2 });
    b.step([new Float32Array(5).fill(3), new Float32Array(3).fill(1)]);
    const before = snapshot(b);
    const restore = { state: b.stateDict(), params: b.params.map((p) => p.slice()) };
    /** The same layout as b, freshly constructed: never stepped, zero parameters, other hyperparameters. */
    const fresh = () => new Adam([{ params: [new Float32Array(5)] }, { params: [new Float32Array(3)], amsgrad: true }], { lr: 0.3 });
    const headerEnd = 16 + new DataView(ck.buffer).getUint32(12, true);
    let loaded = 0;
    let refused = 0;
    for (let i = 0; i < 4000; i++) {
      let x = ck.slice();
      const kind = i % 5;
      if (kind === 0) x = x.subarray(0, Math.floor(next() * x.length));
      else if (kind === 1) {
        const at = Math.floor(next() * x.length);
        x[at] = x[at]! ^ (1 << Math.floor(next() * 8));
      }
      else if (kind === 2) {
        // mutate the header, then fix the checksum so the parser is exercised
        x[16 + Math.floor(next() * (headerEnd - 16))] = 32 + Math.floor(next() * 95);
        reseal(x);
      } else if (kind === 3) {
        // a random length field and resealed checksum
        new DataView(x.buffer).setUint32(12, Math.floor(next() * 2 ** 32), true);
        reseal(x);
      } else {
        const extra = new Uint8Array(Math.floor(next() * 16));
        const y = new Uint8Array(x.length + extra.length);
        y.set(x);
        x = reseal(y);
      }
      let error: unknown;
      try {
        b.load(x);
      } catch (e) {
        error = e;
      }
      if (error === undefined) {
        loaded++;
        // A mutation that still loads must be a complete state: b (stepped,
        // other values everywhere) now holds exactly what an optimizer that
        // never stepped holds after loading the same bytes: nothing of b's own
        // state, hyperparameters or parameters is left over.
        const c = fresh();
        c.load(x);
        expect(snapshot(b), `mutation ${i}`).toEqual(snapshot(c));
        c.dispose();
        b.load(ck);
        b.loadStateDict(structuredClone(restore.state));
        b.params.forEach((p, j) => p.set(restore.params[j]!));
      } else {
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/^Adam\.load: /);
        refused++;
      }
      expect(snapshot(b)).toEqual(before);
    }
    expect(refused).toBeGreaterThan(3500);
    expect(loaded + refused).toBe(4000);
    expect(loaded).toBeGreaterThan(0); // the seeded mutations above include some that load
  });
});
