// Adafactor against a float64 transcription of torch.optim.Adafactor's
// single-tensor step (src/reference/adafactor.ts: torch/optim/_adafactor.py at
// pytorch/pytorch 5f65158aefc31977355102011b310a7d020e5604), 25 steps on
// matrices, a 3-D tensor and vectors; its O(rows + cols) state in state dicts,
// checkpoints and memory; bit-identical builds; bad input.
import { beforeAll, describe, expect, it } from 'vitest';
import { Adafactor, Adam, memoryStats, ready } from '../src/index.js';
import { adafactorInit, adafactorStep64, type AdafactorReferenceState } from '../src/reference/adafactor.js';
import type { AdafactorOptions } from '../src/optimizers/adafactor.js';
import { bytesOf, randn, rng } from './helpers.js';

const SHAPES: number[][] = [[1, 1], [3, 5], [5, 3], [17, 4], [64, 33], [8, 128], [257, 129], [2, 5, 7], [1], [7], [100], []];
const STEPS = 25;
/**
 * Largest error allowed, relative to the tensor's largest |value| in float64
 * (parameters after every step, state after the last). Measured
 * (ADAFACTOR_MEASURE=1 npx vitest run test/adafactor.test.ts): float32
 * against float64 over 25 steps stays within 1.4e-7 .. 8.0e-7 on the configs
 * below, a few float32 ulps (each step rounds p, the moments and U once in
 * float32; the sums are in double). 1e-5 leaves a 12x margin and is still
 * 100x below what a wrong coefficient moves (one step is rho*RMS(p) >= 1e-3
 * of |p| at lr = 1e-2 after 25 steps).
 */
const TOL = 1e-5;

interface Config {
  name: string;
  options: Partial<AdafactorOptions>;
  scale?: number;
  sparse?: boolean;
}
const configs: Config[] = [
  { name: 'defaults', options: {} },
  { name: 'lr=0.05 beta2Decay=-0.5 eps=[1e-6, 1e-2] d=2 weightDecay=0.1', options: { lr: 0.05, beta2Decay: -0.5, eps: [1e-6, 1e-2], d: 2, weightDecay: 0.1 } },
  { name: 'maximize, weightDecay=0.01, d=1.5', options: { maximize: true, weightDecay: 0.01, d: 1.5 } },
  { name: 'gradients scaled 1e-3, eps=[1e-10, 1e-3]', options: { eps: [1e-10, 1e-3] }, scale: 1e-3 },
  { name: 'gradients scaled 1e3, lr=0.3', options: { lr: 0.3 }, scale: 1e3 },
  { name: 'sparse gradients (80% zero), beta2Decay=-1', options: { beta2Decay: -1 }, sparse: true },
  { name: 'lr=0 (no move, moments only), weightDecay=0.5', options: { lr: 0, weightDecay: 0.5 } },
];

const sizeOf = (s: number[]) => s.reduce((a, d) => a * d, 1);

/** Runs a config through the optimizer and the float64 reference; returns the worst relative error and the final params. */
function run(c: Config, seed: number): { worst: number; where: string; params: Float32Array[]; bytes: Uint8Array } {
  const next = rng(seed);
  const init = SHAPES.map((s) => randn(next, sizeOf(s)));
  const opt = new Adafactor(init.map((data, i) => ({ data: data.slice(), shape: SHAPES[i]! })), c.options);
  const x = init.map((p) => Float64Array.from(p));
  const st: AdafactorReferenceState[] = SHAPES.map((s) => adafactorInit(s));
  let worst = 0;
  let where = '';
  for (let t = 1; t <= STEPS; t++) {
    const grads = SHAPES.map((s) => {
      const g = randn(next, sizeOf(s), c.scale ?? 1);
      if (c.sparse) for (let i = 0; i < g.length; i++) if (next() < 0.8) g[i] = 0;
      return g;
    });
    opt.step(grads);
    grads.forEach((g, i) => adafactorStep64(x[i]!, g, st[i]!, c.options));
    opt.params.forEach((a, i) => {
      const e = x[i]!;
      let scale = 0;
      for (const v of e) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < a.length; j++) {
        const err = Math.abs(a[j]! - e[j]!) / (scale || 1);
        if (!(err <= worst)) {
          worst = Number.isNaN(err) ? Infinity : err;
          where = `step ${t}, shape [${SHAPES[i]}] [${j}]: got ${a[j]}, float64 ${e[j]}`;
        }
      }
    });
  }
  const params = opt.params.map((p) => p.slice());
  const sd = opt.stateDict();
  // the state too: rowVar, colVar or variance of every tensor against the float64 one
  sd.state.forEach((s, i) => {
    for (const key of ['rowVar', 'colVar', 'variance'] as const) {
      const e = st[i]![key];
      const a = s![key] as Float32Array | undefined;
      if (!e) {
        expect(a, `${key} of shape [${SHAPES[i]}]`).toBeUndefined();
        continue;
      }
      expect(a!.length).toBe(e.length);
      let scale = 0;
      for (const v of e) scale = Math.max(scale, Math.abs(v));
      for (let j = 0; j < e.length; j++) {
        const err = Math.abs(a![j]! - e[j]!) / (scale || 1);
        if (!(err <= worst)) {
          worst = Number.isNaN(err) ? Infinity : err;
          where = `state ${key} of shape [${SHAPES[i]}] [${j}]: got ${a![j]}, float64 ${e[j]}`;
        }
      }
    }
  });
  const bytes = bytesOf([...params, ...sd.state.flatMap((s) => Object.values(s!).filter((v): v is Float32Array => v instanceof Float32Array))]);
  opt.dispose();
  return { worst, where, params, bytes };
}

describe('Adafactor equals torch.optim.Adafactor (float64 transcription)', () => {
  const results: Record<string, Record<string, Uint8Array>> = { simd: {}, scalar: {} };
  describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
    beforeAll(() => ready({ simd: build === 'simd' }));
    it.each(configs.map((c, i) => [c.name, c, i] as const))('%s: 25 steps within tolerance', (_name, c, i) => {
      const r = run(c, 9100 + i);
      if (process.env.ADAFACTOR_MEASURE) console.log(`${build} ${c.name}: worst relative error ${r.worst.toExponential(2)} (${r.where})`);
      if (!(r.worst <= TOL)) expect.fail(`worst relative error ${r.worst} > ${TOL} at ${r.where}`);
      results[build]![c.name] = r.bytes;
    });
  });
  it('the SIMD and scalar builds give the same bits (parameters and state)', () => {
    for (const c of configs) expect(Buffer.compare(results.simd![c.name]!, results.scalar![c.name]!), c.name).toBe(0);
  });
});

describe('Adafactor state', () => {
  beforeAll(() => ready());

  it('keeps rows + cols floats per matrix (batched for 3-D) and n per vector, in state dicts', () => {
    const opt = new Adafactor([{ data: new Float32Array(257 * 129), shape: [257, 129] }, { data: new Float32Array(70), shape: [2, 5, 7] }, new Float32Array(9)]);
    opt.step([new Float32Array(257 * 129).fill(0.5), new Float32Array(70).fill(-1), new Float32Array(9).fill(2)]);
    const sd = opt.stateDict();
    expect(Object.keys(sd.state[0]!).sort()).toEqual(['colVar', 'rowVar', 'step']);
    expect((sd.state[0]!.rowVar as Float32Array).length).toBe(257);
    expect((sd.state[0]!.colVar as Float32Array).length).toBe(129);
    expect((sd.state[1]!.rowVar as Float32Array).length).toBe(2 * 5);
    expect((sd.state[1]!.colVar as Float32Array).length).toBe(2 * 7);
    expect(Object.keys(sd.state[2]!).sort()).toEqual(['step', 'variance']);
    expect((sd.state[2]!.variance as Float32Array).length).toBe(9);
    // g = 0.5 everywhere, first step (w = 1): every row and column mean is 0.25
    expect(Array.from(sd.state[0]!.rowVar as Float32Array).every((v) => v === 0.25)).toBe(true);
    opt.dispose();
  });

  it('memoryStats(): a 1024x1024 matrix costs p, g and 2048 floats of state (Adam: p, g and 2M floats)', () => {
    const n = 1024 * 1024;
    const before = memoryStats().liveBytes;
    const a = new Adafactor([{ data: new Float32Array(n), shape: [1024, 1024] }]);
    const af = memoryStats().liveBytes - before;
    const b = new Adam([{ data: new Float32Array(n), shape: [1024, 1024] }]);
    const adam = memoryStats().liveBytes - before - af;
    expect(af).toBeGreaterThanOrEqual(4 * (2 * n + 2048));
    expect(af).toBeLessThan(4 * (2 * n + 2048) + 2 * 65536); // rounded up to whole 64 KiB pages
    expect(adam).toBeGreaterThanOrEqual(4 * 4 * n);
    a.dispose();
    b.dispose();
  });

  it('round-trips through stateDict, save/load and exportState/importState, then continues identically', () => {
    const shapes = [[17, 4], [3], [2, 5, 7]];
    const next = rng(77);
    const make = () => new Adafactor(shapes.map((s) => ({ data: randn(rng(5), sizeOf(s)), shape: s })), { weightDecay: 0.01 });
    const gs = Array.from({ length: 6 }, () => shapes.map((s) => randn(next, sizeOf(s))));
    const a = make();
    for (const g of gs.slice(0, 3)) a.step(g);
    const sd = a.stateDict();
    const bytes = a.save();
    const torch = a.exportState();
    for (const restore of [(o: Adafactor) => o.loadStateDict(sd), (o: Adafactor) => o.load(bytes), (o: Adafactor) => { o.load(bytes); o.importState(torch); }]) {
      const b = make();
      restore(b);
      const c = make();
      c.load(bytes); // parameters too
      b.load(bytes);
      for (const g of gs.slice(3)) {
        b.step(g);
        c.step(g);
      }
      expect(bytesOf([...b.params])).toEqual(bytesOf([...c.params]));
      b.dispose();
      c.dispose();
    }
    const d = make();
    d.load(bytes);
    for (const g of gs.slice(3)) {
      a.step(g);
      d.step(g);
    }
    expect(bytesOf([...d.params])).toEqual(bytesOf([...a.params]));
    a.dispose();
    d.dispose();
  });

  it('refuses state of the wrong length or kind for a tensor, changing nothing', () => {
    const opt = new Adafactor([{ data: new Float32Array(12).fill(1), shape: [3, 4] }, new Float32Array(5).fill(1)]);
    opt.step([new Float32Array(12).fill(1), new Float32Array(5).fill(1)]);
    const good = opt.stateDict();
    const before = opt.save();
    const wrongLen = structuredClone(good);
    wrongLen.state[0]!.rowVar = new Float32Array(4);
    expect(() => opt.loadStateDict(wrongLen)).toThrow(/state\[0\]\.rowVar must have 3 elements, got a Float32Array of length 4/);
    const wrongKind = structuredClone(good);
    wrongKind.state[1]!.rowVar = new Float32Array(5);
    expect(() => opt.loadStateDict(wrongKind)).toThrow(/state\[1\]\.rowVar is not a state buffer of parameter 1 \(of its shape it has: variance\)/);
    const missing = structuredClone(good);
    delete missing.state[0]!.colVar;
    expect(() => opt.loadStateDict(missing)).toThrow(/state\[0\] has step 1 but no colVar/);
    expect(opt.save()).toEqual(before);
    opt.dispose();
  });

  it('rejects bad hyperparameters with a clear error', () => {
    const p = () => [new Float32Array(3)];
    expect(() => new Adafactor(p(), { beta2Decay: 0.5 })).toThrow(/invalid options.beta2Decay: expected a finite number <= 0, got 0\.5/);
    expect(() => new Adafactor(p(), { d: 0.5 })).toThrow(/invalid options.d: expected a finite number >= 1, got 0\.5/);
    expect(() => new Adafactor(p(), { eps: [-1, 1e-3] })).toThrow(RangeError);
    expect(() => new Adafactor(p(), { eps: [1e-3] as never })).toThrow(/invalid options.eps: expected a pair \[eps1, eps2\]/);
    expect(() => new Adafactor(p(), { eps: [1e-3, null] as never })).toThrow(TypeError);
    expect(() => new Adafactor(p(), { lr: -1 })).toThrow(/invalid options.lr: expected a finite number >= 0, got -1/);
    const opt = new Adafactor(p());
    expect(opt.paramGroups[0]!.eps).toEqual([null, 1e-3]);
    expect(() => (opt.paramGroups[0]!.d = 0)).toThrow(/d/);
    expect(opt.paramGroups[0]!.d).toBe(1);
    opt.dispose();
  });
});
