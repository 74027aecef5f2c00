// Regression tests for kernel defects, each written to fail on the code before
// its fix: AMSGrad's running maximum left subnormal, Lion's kernel flushing its
// moment (the doc and README say Lion keeps subnormals), the norm reductions
// summing in a different order in the SIMD and scalar builds (so clipping
// gave different bits), and padding lanes turning NaN with eps = 0.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../src/wasm.js';
import * as lib from '../src/index.js';
import { Adam, AdamW, Lion, clipGradNorm, ready, type Optimizer } from '../src/index.js';
import { randn, rng, kernelInstance } from './helpers.js';

/** A subnormal float32 (pure JS, no kernel involved): 0 < |x| < 2^-126. */
const subnormal = (x: number) => x !== 0 && Math.abs(x) < 2 ** -126;
function instance(build: 'simd' | 'scalar') {
  const memory = new WebAssembly.Memory({ initial: 4 });
  const k = kernelInstance(build, memory);
  return { k, memory };
}

describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it('AMSGrad flushes its running maximum on flush steps (FLUSH_EVERY = 16)', () => {
    const n = 37;
    const next = rng(5);
    const p = randn(next, n);
    // (1 - b2)*g^2 ~ 1e-43: v and its maximum decay into the subnormal range between flushes
    const g = randn(next, n, 1e-20);
    const opt = new Adam([p], { amsgrad: true });
    const state = () => opt.stateDict().state[0] as unknown as Record<string, Float32Array>;
    for (let t = 1; t <= 15; t++) opt.step([g]);
    // the scenario is real: between flush steps the state is subnormal
    expect(Array.from(state().maxExpAvgSq!).some(subnormal)).toBe(true);
    opt.step([g]); // step 16 flushes
    for (const name of ['expAvg', 'expAvgSq', 'maxExpAvgSq']) {
      const bad = Array.from(state()[name]!).filter(subnormal);
      expect(bad, `${name} after the flush step`).toEqual([]);
    }
    opt.dispose();
  });

  it("Lion's kernel never flushes its moment, whatever the threshold (Lion keeps subnormals)", () => {
    const n = 13;
    const { k, memory } = instance(build);
    const [P, G, M] = [64, 64 + 64 * 4, 64 + 128 * 4];
    new Float32Array(memory.buffer, G, n).fill(0);
    const m = new Float32Array(memory.buffer, M, n);
    m.fill(1e-38); // normal; b2*m is subnormal
    k.setFlushThreshold(2 ** -126);
    k.lion(P, G, M, n, 1e-3, 0.9, 0.99, 1, 1);
    expect(Array.from(m).every(subnormal)).toBe(true);
  });

  it('padding lanes stay zero with eps = 0 (no 0/0 in the lanes past a tensor end)', () => {
    // one tensor of 5 floats: lanes 5..7 of every buffer are padding
    const ctors: [string, object][] = [
      ['Adam', { eps: 0 }], ['AdamW', { eps: 0 }], ['Adam', { eps: 0, amsgrad: true }], ['Adagrad', { eps: 0 }], ['RMSprop', { eps: 0 }],
      ['RMSprop', { eps: 0, centered: true, momentum: 0.9 }], ['Adadelta', { eps: 0 }], ['Adamax', { eps: 0 }], ['NAdam', { eps: 0 }],
      ['RAdam', { eps: 0 }], ['Lamb', { eps: 0 }], ['SGD', { momentum: 0.9 }], ['Rprop', {}], ['ASGD', { t0: 0 }], ['Lion', {}],
    ];
    for (const [name, options] of ctors) {
      const Ctor = (lib as unknown as Record<string, new (p: Float32Array[], o: object) => Optimizer<object>>)[name]!;
      const opt = new Ctor([new Float32Array([1, -2, 3, -4, 5]), new Float32Array([0.5, 0.25, -1])], options);
      for (let t = 0; t < 12; t++) opt.step([new Float32Array([0.1, -0.2, 0.3, 0, 0.5]), new Float32Array([1, 0, -1])]);
      // the whole parameter region, padding included: a whole-buffer pass reads every lane
      const first = opt.params[0]!;
      const all = new Float32Array(first.buffer, first.byteOffset, 8 + 4);
      for (const lane of [5, 6, 7, 11]) expect(all[lane], `${name} ${JSON.stringify(options)} padding lane ${lane}`).toBe(0);
      opt.dispose();
    }
  });
});

describe('reductions and clipping: the SIMD and scalar builds give the same bits', () => {
  function sums(build: 'simd' | 'scalar', x: Float32Array, misalign: number) {
    const { k, memory } = instance(build);
    const at = 64 + misalign;
    new Float32Array(memory.buffer, at, x.length).set(x);
    return [k.sumSquares(at, x.length), k.sumAbs(at, x.length), k.maxAbs(at, x.length)];
  }

  it('sumSquares, sumAbs and maxAbs on 120 random inputs', () => {
    const next = rng(11);
    for (let c = 0; c < 120; c++) {
      const n = 1 + Math.floor(next() * 3000);
      // magnitudes over many decades, so the order of a double sum shows in its last bits
      const x = randn(next, n).map((v, i) => v * 10 ** ((i % 17) - 8));
      const misalign = c % 2 ? 4 : 0;
      const a = sums('simd', x, misalign);
      const b = sums('scalar', x, misalign);
      a.forEach((v, i) => expect(Object.is(v, b[i]), `case ${c} n=${n} reduction ${i}: simd ${v} scalar ${b[i]}`).toBe(true));
    }
  });

  async function stepBoth(make: () => Optimizer<object>, grads: Float32Array[], steps: number) {
    const out: { params: Float32Array[]; norms: (number | undefined)[] }[] = [];
    for (const simd of [true, false]) {
      await ready({ simd });
      const opt = make();
      const norms: (number | undefined)[] = [];
      for (let s = 0; s < steps; s++) {
        opt.step(grads.map((g) => g.map((v) => v * (1 + s))));
        norms.push(opt.lastGradNorm);
      }
      out.push({ params: opt.params.map((p) => p.slice()), norms });
      opt.dispose();
    }
    return out;
  }

  it.each([
    ['Adam', (p: Float32Array[]) => new Adam(p, { maxGradNorm: 0.5 })],
    ['AdamW', (p: Float32Array[]) => new AdamW(p, { maxGradNorm: 2, gradNormType: 1 })],
    ['Lion', (p: Float32Array[]) => new Lion(p, { maxGradNorm: 0.1 })],
    ['SGD', (p: Float32Array[]) => new lib.SGD(p, { lr: 0.1, momentum: 0.9, maxGradNorm: 1 })],
    ['Lamb', (p: Float32Array[]) => new lib.Lamb(p, { maxGradNorm: 0.3 })],
    ['NAdam', (p: Float32Array[]) => new lib.NAdam(p, { maxGradNorm: 0.3, gradNormType: Infinity })],
  ])('%s with maxGradNorm: bit-identical params after several steps', async (_name, ctor) => {
    const next = rng(23);
    for (let c = 0; c < 6; c++) {
      const shapes = [1 + Math.floor(next() * 700), 1 + Math.floor(next() * 900), 3];
      const params = shapes.map((n) => randn(next, n));
      const grads = shapes.map((n) => randn(next, n).map((v, i) => v * 10 ** ((i % 13) - 6)));
      const [a, b] = await stepBoth(() => ctor(params.map((p) => p.slice())), grads, 5);
      expect(a!.norms, `case ${c}: gradient norms`).toEqual(b!.norms);
      a!.norms.forEach((v, i) => expect(Object.is(v, b!.norms[i])).toBe(true));
      a!.params.forEach((p, t) => expect(Buffer.from(p.buffer).equals(Buffer.from(b!.params[t]!.buffer)), `case ${c} tensor ${t}`).toBe(true));
    }
    await ready({ simd: true });
  });

  it('clipGradNorm: bit-identical totals and gradients', async () => {
    const next = rng(31);
    for (let c = 0; c < 40; c++) {
      const shapes = [1 + Math.floor(next() * 2000), 1 + Math.floor(next() * 50)];
      const grads = shapes.map((n) => randn(next, n).map((v, i) => v * 10 ** ((i % 11) - 5)));
      const type = ([1, 2, Infinity] as const)[c % 3]!;
      const res: { total: number; g: Float32Array[] }[] = [];
      for (const simd of [true, false]) {
        await ready({ simd });
        // views into an optimizer's memory are clipped in place by that optimizer's build
        // (caller-owned arrays go through one scratch memory, of the build first used)
        const holder = new lib.SGD(grads.map((x) => x.slice()), {});
        const g = holder.grads as Float32Array[];
        g.forEach((v, i) => v.set(grads[i]!));
        const total = clipGradNorm(g, 1e-3, type);
        res.push({ total, g: g.map((v) => v.slice()) });
        holder.dispose();
      }
      expect(Object.is(res[0]!.total, res[1]!.total), `case ${c} norm ${type}: ${res[0]!.total} vs ${res[1]!.total}`).toBe(true);
      res[0]!.g.forEach((g, t) => expect(Buffer.from(g.buffer).equals(Buffer.from(res[1]!.g[t]!.buffer)), `case ${c} tensor ${t}`).toBe(true));
    }
    await ready({ simd: true });
  });
});
