// Muon against a float64 transcription of torch.optim.Muon (src/reference/muon.ts: pytorch/pytorch
// torch/optim/_muon.py at 098e03f91de9384cc3afdf5c8b9a6bbc442bd66a) and, for `useMuon: false`
// groups, of KellerJordan/Muon's adam_update: 25 steps on matrices of many shapes (wide, tall,
// square, a row, 1x1), default and non-default hyperparameters, scaled and sparse gradients.
// Also: the SIMD and scalar builds give the same bits for a whole step; bad input is refused
// with a clear message and changes nothing.
//
// Tolerance. The float32 step differs from the float64 one by rounding in the momentum, the
// norm, the products (k-term dot products, each within ~k*2^-24 relative) and the apply. Newton-
// Schulz amplifies a relative error e in its input by at most the slope of the quintic near 0
// (a = 3.4445) per iteration, so the update O (entries |O| <= ~1.5 in the singular directions)
// is off by up to ~a^nsSteps * k * 2^-24 relative in the worst direction; measured (the `worst`
// line this test prints), the parameters stay within 2e-4 of (adjusted lr) * t of the float64
// trajectory, t steps in. The bound below, 2e-3 * adjustedLr * t + 4 ulp(|p|) * t, is 10x that.
// Break a kernel (e.g. drop the Nesterov term or the transpose) and errors are O(adjustedLr).
import { beforeAll, describe, expect, it } from 'vitest';
import { Muon, ready, type MuonOptions } from '../src/index.js';
import { muonSpec, gemmWorkFloats } from '../src/optimizers/muon.js';
import { adjustLrReference, muonInit64, muonStep64, type MuonReferenceState } from '../src/reference/muon.js';
import type { Kernels } from '../src/wasm.js';
import { kernelInstance, randn, rng } from './helpers.js';

beforeAll(async () => {
  await ready();
});

type Shape = [number, number];
const SHAPES: Shape[] = [[1, 1], [3, 5], [5, 3], [17, 4], [64, 33], [8, 128], [257, 129]];
const STEPS = 25;
const ULP = 2 ** -23;

interface Config {
  name: string;
  options: Partial<MuonOptions>;
  /** gradient scale */
  scale?: number;
  /** fraction of rows whose gradient is zero */
  sparse?: number;
  /** the large shape too (costly in the float64 reference) */
  large?: boolean;
}

const CONFIGS: Config[] = [
  { name: 'defaults', options: {}, large: true },
  { name: 'non-default', options: { lr: 0.02, weightDecay: 0.01, momentum: 0.9, nesterov: false, adjustLrFn: 'match_rms_adamw', nsSteps: 3, nsCoefficients: [3, -3.2, 1.2], eps: 1e-5 } },
  { name: 'no decay, 0 NS steps', options: { weightDecay: 0, nsSteps: 0, lr: 0.01 } },
  { name: 'scaled up', options: { lr: 0.01 }, scale: 1e4 },
  { name: 'scaled down', options: { lr: 0.01 }, scale: 1e-4 },
  { name: 'sparse', options: { lr: 0.01 }, sparse: 0.7 },
];

/** The gradient of step t for a rows x cols matrix. */
function gradient(next: () => number, rows: number, cols: number, c: Config): Float32Array {
  const g = randn(next, rows * cols, c.scale ?? 1);
  if (c.sparse) for (let r = 0; r < rows; r++) if (next() < c.sparse) g.fill(0, r * cols, (r + 1) * cols);
  return g;
}

let worst = { ratio: 0, where: '' };
/** the largest |error| / (adjustedLr * t): the float32 Newton-Schulz's share, rounding of p aside */
let worstStep = 0;

/** Steps Muon and the reference together; returns the problems found. */
function compare(groups: { shape: Shape; options: Partial<MuonOptions> }[], c: Config, base: Partial<MuonOptions>, seed: number): string[] {
  const next = rng(seed);
  const init = groups.map((g) => randn(next, g.shape[0] * g.shape[1]));
  const opt = new Muon(
    groups.map((g, i) => ({ params: [{ data: init[i]!, shape: g.shape }], ...g.options })),
    { ...base },
  );
  const p64 = init.map((x) => Float64Array.from(x));
  const st: MuonReferenceState[] = groups.map((g) => muonInit64(g.shape[0] * g.shape[1], g.shape));
  const problems: string[] = [];
  for (let t = 1; t <= STEPS; t++) {
    const grads = groups.map((g) => (g.options.useMuon === false ? randn(next, g.shape[0] * g.shape[1]) : gradient(next, g.shape[0], g.shape[1], c)));
    opt.step(grads);
    groups.forEach((g, i) => {
      const o = { ...muonSpec.defaults, ...base, ...g.options };
      muonStep64(p64[i]!, Float64Array.from(grads[i]!), st[i]!, o);
      const lrAdj = o.useMuon ? adjustLrReference(o.lr, o.adjustLrFn, g.shape[0], g.shape[1]) : o.lr;
      const got = opt.params[i]!;
      for (let j = 0; j < got.length; j++) {
        const ref = p64[i]![j]!;
        const err = Math.abs(got[j]! - ref);
        const bound = 2e-3 * lrAdj * t + 4 * ULP * Math.abs(ref) * t;
        const ratio = err / bound;
        worstStep = Math.max(worstStep, err / (lrAdj * t));
        if (ratio > worst.ratio) worst = { ratio, where: `${c.name} ${g.shape.join('x')} step ${t} [${j}]: ${got[j]} vs ${ref}` };
        if (!(err <= bound) && problems.length < 5) problems.push(`${g.shape.join('x')} step ${t} [${j}]: got ${got[j]}, reference ${ref}, |error| ${err} > ${bound}`);
      }
    });
  }
  // the state: momentumBuffer (Muon groups), expAvg and expAvgSq (AdamW groups), against the reference
  const sd = opt.stateDict();
  groups.forEach((g, i) => {
    const s = sd.state[i]! as unknown as Record<string, Float32Array>;
    const names = g.options.useMuon === false ? (['expAvg', 'expAvgSq'] as const) : (['momentumBuffer'] as const);
    for (const name of names) {
      const ref = st[i]![name];
      const got = s[name]!;
      expect(got.length).toBe(ref.length);
      // a float32 running average over 25 steps: within a few ulp per step of its largest entry
      const scale = ref.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
      for (let j = 0; j < ref.length; j++) {
        const err = Math.abs(got[j]! - ref[j]!);
        if (!(err <= 4 * ULP * STEPS * scale) && problems.length < 5) problems.push(`${name}[${j}]: got ${got[j]}, reference ${ref[j]}, |error| ${err}`);
      }
    }
  });
  opt.dispose();
  return problems;
}

describe('Muon against the float64 transcription of torch.optim.Muon', () => {
  const rows: [string, Config, Shape][] = CONFIGS.flatMap((c) => SHAPES.filter((s) => c.large || s[0] < 200).map((s) => [`${c.name} ${s.join('x')}`, c, s] as [string, Config, Shape]));
  it.each(rows)('%s, 25 steps', (_name, c, shape) => {
    const problems = compare([{ shape, options: {} }], c, c.options, shape[0] * 1000 + shape[1]);
    if (problems.length) expect.fail(problems.join('\n'));
  });

  it('several matrices in one group and across groups with their own options', () => {
    const problems = compare(
      [
        { shape: [6, 10], options: {} },
        { shape: [12, 7], options: { lr: 0.03, nesterov: false } },
        { shape: [4, 4], options: { momentum: 0.5, adjustLrFn: 'match_rms_adamw' } },
      ],
      { name: 'groups', options: {} },
      { lr: 0.01 },
      7,
    );
    if (problems.length) expect.fail(problems.join('\n'));
  });

  it('MuonWithAuxAdam: useMuon: false groups step with AdamW (1-D allowed), with their own lr, betas, eps and weightDecay', () => {
    const problems = compare(
      [
        { shape: [16, 24], options: { lr: 0.02, weightDecay: 0 } },
        { shape: [1, 24], options: { useMuon: false, lr: 3e-4, betas: [0.9, 0.95], eps: 1e-10, weightDecay: 0 } },
        { shape: [1, 10], options: { useMuon: false, lr: 1e-3, betas: [0.8, 0.99], eps: 1e-8, weightDecay: 0.1 } },
      ],
      { name: 'aux adam', options: {} },
      {},
      11,
    );
    if (problems.length) expect.fail(problems.join('\n'));
  });

  it('a 1-D parameter in a useMuon: false group is accepted (a bias)', () => {
    const bias = new Float32Array([1, 2, 3]);
    const opt = new Muon([{ params: [{ data: new Float32Array(6), shape: [2, 3] }] }, { params: [bias], useMuon: false, lr: 0.1, weightDecay: 0 }]);
    opt.step([new Float32Array(6).fill(1), new Float32Array([1, -1, 0])]);
    // Adam's first step moves each element by lr*sign(g) (up to eps)
    expect(Array.from(opt.params[1]!)).toEqual([1 - 0.1, 2 + 0.1, 3].map((x) => Math.fround(x)));
    opt.dispose();
  });

  it('reports its worst error against the tolerance', () => {
    console.log(`Muon vs float64 reference, worst |error| / bound: ${worst.ratio.toExponential(2)} (${worst.where}); worst |error| / (adjusted lr * t): ${worstStep.toExponential(2)}`);
    expect(worst.ratio).toBeGreaterThan(0);
    expect(worst.ratio).toBeLessThanOrEqual(1);
  });
});

/** Runs muonSpec.run directly on a kernel instance of one build: returns p and the buffer after `steps` steps. */
function runBuild(build: 'simd' | 'scalar', shapes: Shape[], options: Partial<MuonOptions>, steps: number, seed: number): Uint8Array {
  const o = { ...muonSpec.defaults, ...options };
  const pad4 = (n: number) => (n + 3) & ~3;
  const lengths = shapes.map(([r, c]) => r * c);
  const n = lengths.reduce((a, b) => a + pad4(b), 0);
  const scratch = muonSpec.scratchFloats!(shapes, o);
  const bytes = 64 + 4 * (3 * n + scratch);
  const memory = new WebAssembly.Memory({ initial: Math.ceil(bytes / 65536) + 1 });
  const k: Kernels = kernelInstance(build, memory);
  const heap = new Float32Array(memory.buffer);
  const addr = { p: 64, g: 64 + 4 * n, state: { momentumBuffer: 64 + 8 * n }, n, sizes: { momentumBuffer: n }, scratch: 64 + 12 * n, constants: 0 };
  let off = 0;
  const tensors = shapes.map((shape, i) => {
    const t = { offset: 4 * off, length: lengths[i]!, shape, state: { momentumBuffer: { offset: 4 * off, length: lengths[i]! } } };
    off += pad4(lengths[i]!);
    return t;
  });
  const next = rng(seed);
  for (const t of tensors) heap.set(randn(next, t.length), (addr.p + t.offset) / 4);
  for (let s = 1; s <= steps; s++) {
    for (const t of tensors) heap.set(randn(next, t.length), (addr.g + t.offset) / 4);
    muonSpec.run(k, addr, o, { t: s, started: new Set(), gradScale: s === 2 ? 0.37 : 1, group: 0, tensors, scalars: {} });
  }
  return new Uint8Array(memory.buffer.slice(64, 64 + 12 * n));
}

describe('Muon kernels', () => {
  it.each([
    ['defaults', {}],
    ['no Nesterov, match_rms_adamw', { nesterov: false, adjustLrFn: 'match_rms_adamw' as const, momentum: 0.3 }],
  ])('the SIMD and scalar builds give the same bits (%s)', (_n, options) => {
    const shapes: Shape[] = [[1, 1], [3, 5], [5, 3], [17, 4], [40, 300], [9, 9]];
    const a = runBuild('simd', shapes, options, 3, 5);
    const b = runBuild('scalar', shapes, options, 3, 5);
    expect(Buffer.compare(Buffer.from(a), Buffer.from(b))).toBe(0);
  });

  it('the scratch size mirrors gemmWorkBytes', () => {
    const k = kernelInstance('simd', new WebAssembly.Memory({ initial: 1 }));
    for (const [n, d] of [[1, 1], [3, 5], [8, 8], [9, 300], [600, 257], [1024, 1024], [129, 257]] as const) {
      expect(gemmWorkFloats(n, d) * 4).toBe(k.gemmWorkBytes(n, d));
    }
  });
});

describe('Muon: bad input', () => {
  const m = () => ({ data: new Float32Array(6).fill(0.5), shape: [2, 3] });

  it.each([
    ['a plain Float32Array', () => [new Float32Array(4)], /Muon: invalid params\[0\]: Muon only supports 2-D parameters \(matrices\), got a Float32Array of length 4 without a shape; .*useMuon: false/],
    ['a 1-D shape', () => [{ data: new Float32Array(4), shape: [4] }], /invalid params\[0\]: Muon only supports 2-D parameters \(matrices\), got shape \[4\]/],
    ['a 3-D shape', () => [m(), { data: new Float32Array(8), shape: [2, 2, 2] }], /invalid params\[1\]: .*got shape \[2, 2, 2\]/],
    ['a 1-D tensor in a Muon group', () => [{ params: [m()], useMuon: false }, { params: [new Float32Array(3)] }], /invalid params\[1\]\.params\[0\]: Muon only supports 2-D/],
  ])('refuses %s, naming it', (_n, params, re) => {
    expect(() => new Muon(params() as never)).toThrow(RangeError);
    expect(() => new Muon(params() as never)).toThrow(re);
  });

  it.each([
    [{ nsSteps: 100 }, /invalid options\.nsSteps: expected an integer in \[0, 99\].*got 100/],
    [{ nsSteps: 2.5 }, /invalid options\.nsSteps: expected an integer/],
    [{ adjustLrFn: 'sqrt' }, /invalid options\.adjustLrFn: expected one of "original", "match_rms_adamw", got "sqrt"/],
    [{ nsCoefficients: [1, 2] }, /invalid options\.nsCoefficients: expected three finite numbers \[a, b, c\], got/],
    [{ nsCoefficients: [1, 2, NaN] }, /invalid options\.nsCoefficients: expected three finite numbers/],
    [{ momentum: -0.1 }, /invalid options\.momentum: expected a finite number >= 0, got -0.1/],
    [{ lr: -1 }, /invalid options\.lr/],
  ])('refuses the options %j', (options, re) => {
    expect(() => new Muon([m()], options as never)).toThrow(re);
  });

  it('a gradient of the wrong length: a clear error, nothing changed', () => {
    const opt = new Muon([m()], { lr: 0.1 });
    const before = Float32Array.from(opt.params[0]!);
    const sd = JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v));
    expect(() => opt.step([new Float32Array(5)])).toThrow(/Muon.step: grads\[0\] must have 6 elements, got a Float32Array of length 5/);
    expect(Array.from(opt.params[0]!)).toEqual(Array.from(before));
    expect(JSON.stringify(opt.stateDict(), (_k, v) => (v instanceof Float32Array ? Array.from(v) : v))).toBe(sd);
    expect(opt.stepCount).toBe(0);
    opt.dispose();
  });

  it('a step that sees a non-finite gradient changes nothing', () => {
    const opt = new Muon([m()], { lr: 0.1 });
    const before = Float32Array.from(opt.params[0]!);
    const g = new Float32Array(6).fill(1);
    g[3] = NaN;
    expect(() => opt.step([g])).toThrow(/non-finite|NaN/i);
    expect(Array.from(opt.params[0]!)).toEqual(Array.from(before));
    opt.dispose();
  });
});
