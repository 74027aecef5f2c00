// The 8-bit optimizers (Adam8bit, AdamW8bit, Lion8bit) against their plain-JS
// reference (src/reference/eightbit.ts, a transcription of bitsandbytes'
// blockwise kernels in float32 arithmetic): codes, absmax and parameters bit
// for bit over 25 steps, in the SIMD and the scalar builds; the maps against
// bitsandbytes' create_dynamic_map run under PyTorch 1.13.1
// (tools/fixtures/generate_qmap.py -> test/fixtures/qmap.json); memory,
// checkpoints, state dicts and bad input.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Adam, Adam8bit, AdamW, AdamW8bit, Lion, Lion8bit, memoryStats, ready, reference } from '../src/index.js';
import { signedMap, unsignedMap } from '../src/eightbit.js';
import { CELLS, OFFSETS, TOP, cellOf, cellRange, quantizationConstants } from '../src/quantization-table.js';
import { quantizeCode, signedCode } from '../src/reference/eightbit.js';
import { randn, rng } from './helpers.js';

const qmap = JSON.parse(readFileSync(new URL('./fixtures/qmap.json', import.meta.url), 'utf8')) as { signed: number[]; unsigned: number[] };
const bitsOf = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const codesOf = (packed: Float32Array, n: number) => new Uint8Array(packed.buffer, packed.byteOffset, n);

it('keeps bitsandbytes\' dynamic maps (create_dynamic_map under PyTorch 1.13.1)', () => {
  expect(bitsOf(signedMap)).toEqual(qmap.signed);
  expect(bitsOf(unsignedMap)).toEqual(qmap.unsigned);
  // sorted, 0 and 1 where bitsandbytes' kernels expect them
  for (let i = 1; i < 256; i++) expect(signedMap[i]!).toBeGreaterThan(signedMap[i - 1]!);
  expect([signedMap[127], signedMap[255], unsignedMap[0], unsignedMap[255]]).toEqual([0, 1, 0, 1]);
});

describe('the quantization tables equal bitsandbytes\' binary search (quantize_2D, src/reference/eightbit.ts)', () => {
  // the bytes each 8-bit optimizer writes into its memory, read as the kernel reads them
  const bytes = quantizationConstants();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const f32 = new Float32Array(1);
  const u32 = new Uint32Array(f32.buffer);
  const fromBits = (b: number) => ((u32[0] = b >>> 0), f32[0]!);
  const bitsOf = (x: number) => ((f32[0] = x), u32[0]!);
  /** assembly/eightbit.ts codeSigned / codeUnsigned, in JS over the same bytes */
  const byTable = (x: number, signed: boolean) => {
    const b = bitsOf(x);
    const c = cellOf(b) + (signed && b >>> 31 ? CELLS : 0);
    const e = view.getUint32((signed ? OFFSETS.signedCells : OFFSETS.unsignedCells) + 3 * c, true);
    const k = (e >>> 16) & 255, low = e & 0xffff;
    return x > fromBits(((b & 0xffff0000) | low) >>> 0) ? k + 1 : k;
  };
  const search = (x: number, signed: boolean) => (signed ? signedCode(x, 1) : quantizeCode(unsignedMap, x, false));
  /** every float32 where a table cell begins or ends, and on both sides of every threshold (each map's midpoints) */
  function points(signed: boolean): number[] {
    const out: number[] = [];
    for (let c = 0; c <= TOP; c++) {
      const [lo, hi] = cellRange(c);
      for (const b of [lo, hi, lo + 1, hi - 1]) if (b >= 0 && b <= 0x3f800000) out.push(fromBits(b), ...(signed ? [-fromBits(b)] : []));
    }
    const map = signed ? signedMap : unsignedMap;
    for (let k = 0; k < 255; k++) {
      const mid = Math.fround(Math.fround(map[k]! + map[k + 1]!) * 0.5);
      const b = bitsOf(Math.abs(mid));
      for (const d of [-2, -1, 0, 1, 2]) out.push(Math.sign(mid) * fromBits(b + d));
    }
    return out;
  }
  it.each([true, false])('signed %s: at both ends of every cell and around every threshold, ties included', (signed) => {
    let checked = 0;
    for (const x of points(signed)) {
      if (byTable(x, signed) !== search(x, signed)) expect([x, byTable(x, signed)]).toEqual([x, search(x, signed)]);
      checked++;
    }
    expect(checked).toBeGreaterThan(4 * CELLS);
    // +0 and -0: bitsandbytes gives a negative moment a negative code
    if (signed) expect([byTable(0, true), byTable(-0, true), search(0, true), search(-0, true)]).toEqual([127, 126, 127, 126]);
  });
  it.each([true, false])('signed %s: on 200000 random float32 in [-1, 1], and the search never decreases along them', (signed) => {
    const next = rng(signed ? 11 : 12);
    const xs = Array.from({ length: 200000 }, () => {
      const x = fromBits(Math.floor(next() * 0x3f800001));
      return signed && next() < 0.5 ? -x : x;
    }).sort((a, b) => a - b);
    let last = -1;
    for (const x of xs) {
      const want = search(x, signed);
      if (byTable(x, signed) !== want) expect([x, byTable(x, signed)]).toEqual([x, want]);
      if (want < last) expect([x, want]).toEqual([x, `>= ${last}`]);
      last = want;
    }
  });
});

type Ctor = new (params: Float32Array[], options?: object) => {
  step(g: Float32Array[]): boolean; params: readonly Float32Array[]; stateDict(): { state: (Record<string, Float32Array | number> | null)[] };
  save(): Uint8Array; load(b: Uint8Array): void; dispose(): void; paramGroups: Record<string, unknown>[];
};
const cases: [string, Ctor, typeof reference.Adam8bit | typeof reference.Lion8bit, string[], object][] = [
  ['Adam8bit', Adam8bit as never, reference.Adam8bit, ['expAvg', 'expAvgSq'], { lr: 1e-2, weightDecay: 0.01 }],
  ['Adam8bit maximize blockSize 64', Adam8bit as never, reference.Adam8bit, ['expAvg', 'expAvgSq'], { lr: 3e-3, maximize: true, blockSize: 64 }],
  ['AdamW8bit', AdamW8bit as never, reference.AdamW8bit, ['expAvg', 'expAvgSq'], { lr: 1e-2, weightDecay: 0.1, min8bitSize: 1000 }],
  ['Lion8bit', Lion8bit as never, reference.Lion8bit, ['expAvg'], { lr: 1e-3, weightDecay: 0.1 }],
  ['Lion8bit blockSize 16', Lion8bit as never, reference.Lion8bit, ['expAvg'], { lr: 1e-3, betas: [0.95, 0.98], blockSize: 16, min8bitSize: 0 }],
];
const SIZES = [5000, 300, 4096, 1001];

describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
  it.each(cases)('%s: codes, absmax and parameters equal the reference bit for bit over 25 steps', async (_n, C, ref, moments, options) => {
    await ready({ simd: build === 'simd' });
    const next = rng(8);
    const init = SIZES.map((n) => randn(next, n));
    const opt = new C(init.map((a) => a.slice()), options);
    const rp = init.map((a) => a.slice());
    const rs = SIZES.map((n) => ref.init(n, options as never)) as never[];
    for (let t = 0; t < 25; t++) {
      // gradients of varying scale per block, and a few exact zeros
      const grads = SIZES.map((n) => randn(next, n, 10 ** ((t % 5) - 2)).map((v, i) => (i % 97 === 0 ? 0 : v * (1 + (i >> 8)))));
      opt.step(grads);
      rp.forEach((p, i) => ref.step(p, grads[i]!, rs[i]!, options as never));
    }
    const sd = opt.stateDict();
    let eight = 0;
    SIZES.forEach((n, i) => {
      expect(bitsOf(opt.params[i]!)).toEqual(bitsOf(rp[i]!));
      const st = rs[i]! as Record<string, { values: Float32Array; codes: Uint8Array; absmax: Float32Array }>;
      for (const m of moments) {
        const s = sd.state[i]!;
        if (st[m]!.codes.length) {
          eight++;
          expect(Array.from(codesOf(s[m] as Float32Array, n))).toEqual(Array.from(st[m]!.codes));
          expect(bitsOf(s[`${m}Absmax`] as Float32Array)).toEqual(bitsOf(st[m]!.absmax));
        } else {
          expect(bitsOf(s[m] as Float32Array)).toEqual(bitsOf(st[m]!.values));
          expect(s[`${m}Absmax`]).toBe(undefined);
        }
      }
    });
    expect(eight).toBeGreaterThan(0);
    opt.dispose();
  });
});

it('with every tensor below min8bitSize, equals the float32 optimizer bit for bit', async () => {
  await ready();
  const next = rng(3);
  const init = [randn(next, 300), randn(next, 7)];
  for (const [A, B, o] of [[Adam, Adam8bit, { lr: 1e-2, weightDecay: 0.1 }], [AdamW, AdamW8bit, { lr: 1e-2 }], [Lion, Lion8bit, { lr: 1e-3, weightDecay: 0.1 }]] as const) {
    const a = new (A as unknown as Ctor)(init.map((x) => x.slice()), o);
    const b = new (B as unknown as Ctor)(init.map((x) => x.slice()), o);
    for (let t = 0; t < 10; t++) {
      const g = init.map((x) => randn(next, x.length));
      a.step(g);
      b.step(g);
    }
    a.params.forEach((p, i) => expect(bitsOf(b.params[i]!)).toEqual(bitsOf(p)));
    a.dispose();
    b.dispose();
  }
});

it('keeps at most 2.1 bytes of state per parameter above min8bitSize (memoryStats)', async () => {
  await ready();
  const n = 1 << 20;
  const before = memoryStats().liveBytes;
  const adam = new Adam([new Float32Array(n)]);
  const adamBytes = memoryStats().liveBytes - before;
  const b0 = memoryStats().liveBytes; // both live: no pooled memory is reused
  const a8 = new Adam8bit([new Float32Array(n)]);
  const bytes8 = memoryStats().liveBytes - b0;
  // p and g are 8 bytes per parameter in both; the rest is state
  expect((adamBytes - 8 * n) / n).toBeGreaterThanOrEqual(8);
  expect((bytes8 - 8 * n) / n).toBeLessThanOrEqual(2.1);
  const sd = a8.stateDict();
  a8.step([new Float32Array(n).fill(1)]);
  const s = a8.stateDict().state[0]!;
  expect(sd.state[0]).toBe(null);
  expect([(s.expAvg as Float32Array).length, (s.expAvgAbsmax as Float32Array).length]).toEqual([n / 4, n / 256]);
  a8.dispose();
  adam.dispose();
});

it('checkpoints and state dicts round-trip, and a resumed run continues bit for bit', async () => {
  await ready();
  const next = rng(5);
  const init = [randn(next, 5000), randn(next, 40)];
  const grads = Array.from({ length: 10 }, () => init.map((x) => randn(next, x.length)));
  for (const C of [Adam8bit, AdamW8bit, Lion8bit] as unknown as Ctor[]) {
    const full = new C(init.map((x) => x.slice()), { lr: 1e-2 });
    grads.forEach((g) => full.step(g));
    const half = new C(init.map((x) => x.slice()), { lr: 1e-2 });
    grads.slice(0, 5).forEach((g) => half.step(g));
    const bytes = half.save();
    const sd = half.stateDict();
    const fromCkpt = new C(init.map((x) => x.slice()), { lr: 1e-2 });
    fromCkpt.load(bytes);
    const fromSd = new C(half.params.map((x) => x.slice()), { lr: 1e-2 });
    (fromSd as unknown as { loadStateDict(s: unknown): void }).loadStateDict(sd);
    for (const o of [fromCkpt, fromSd]) {
      grads.slice(5).forEach((g) => o.step(g));
      o.params.forEach((p, i) => expect(bitsOf(p)).toEqual(bitsOf(full.params[i]!)));
      o.dispose();
    }
    full.dispose();
    half.dispose();
  }
});

it('refuses bad input with a clear error and changes nothing', async () => {
  await ready();
  const p = () => [new Float32Array(5000)];
  expect(() => new Adam8bit(p(), { blockSize: 100 })).toThrow(/blockSize.*a positive multiple of 16.*100/);
  expect(() => new Adam8bit(p(), { blockSize: 0 })).toThrow(/blockSize/);
  expect(() => new Lion8bit(p(), { min8bitSize: -1 })).toThrow(/min8bitSize.*a whole number >= 0/);
  expect(() => new Adam8bit(p(), { amsgrad: true })).toThrow(/amsgrad must be false/);
  const opt = new Adam8bit(p(), { lr: 1e-2 });
  opt.step([new Float32Array(5000).fill(1)]);
  const before = opt.save();
  expect(() => new Adam8bit(p(), { blockSize: 8192 })).toThrow(/blockSize.*at most 4096.*8192/);
  // blockSize and min8bitSize decide the layout of the state: fixed at construction
  expect(() => {
    opt.paramGroups[0]!.blockSize = 128;
  }).toThrow(/setting blockSize to 128.*tensor 0 of this group 40 float\(s\) of expAvgAbsmax, where it was created with 20/);
  const o4096 = new Adam8bit([new Float32Array(4096)]);
  expect(() => {
    o4096.paramGroups[0]!.blockSize = 272; // as many blocks (16), but another scratch
  }).toThrow(/needs 544 float\(s\) of scratch, where this group was created with 512/);
  o4096.dispose();
  const sd = opt.stateDict() as unknown as { paramGroups: Record<string, unknown>[]; state: Record<string, Float32Array>[] };
  sd.paramGroups[0]!.min8bitSize = 8000;
  expect(() => opt.loadStateDict(sd as never)).toThrow(/tensor 0 of this group 5000 float\(s\) of expAvg, where it was created with 1250/);
  expect(opt.paramGroups[0]!.blockSize).toBe(256);
  const sd2 = opt.stateDict() as unknown as { state: Record<string, Float32Array>[] };
  sd2.state[0]!.expAvgAbsmax = new Float32Array(3);
  expect(() => opt.loadStateDict(sd2 as never)).toThrow(/expAvgAbsmax must have 20 elements, got a Float32Array of length 3/);
  expect(opt.save()).toEqual(before);
  opt.paramGroups[0]!.lr = 1e-3; // other options still change
  expect(opt.paramGroups[0]!.lr).toBe(1e-3);
  opt.dispose();
});
