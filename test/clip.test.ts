// Gradient clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_
// (test/fixtures/clip.json, written by tools/fixtures/generate_clip.py), with
// both builds, on caller arrays (chunked through scratch memory) and on
// opt.grads views (in place), and as the optimizers' maxGradNorm option.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD, clipGradNorm, clipGradValue, ready, type Optimizer } from '../src/index.js';
import { conformance, f32, snapshot } from './helpers.js';
import { classFor } from './registry-cases.js';

/** normType as written by json.dump: a number, or the string 'Infinity' for inf. */
type NormTypeJson = number | string;
interface NormCase { kind: 'norm'; name: string; maxNorm: number; normType: NormTypeJson; grads: string[]; total: number | string; expected: string[] }
interface ValueCase { kind: 'value'; name: string; clipValue: number; grads: string[]; expected: string[] }
interface StepCase {
  kind: 'step';
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  maxNorm: number;
  normType: NormTypeJson;
  params: string[];
  steps: { grads: string[]; params: string[]; total: number | string }[];
}
type ClipCase = NormCase | ValueCase | StepCase;
const fixture = JSON.parse(readFileSync(new URL('./fixtures/clip.json', import.meta.url), 'utf8')) as { cases: ClipCase[] };
const norm = (t: NormTypeJson) => (t === 'Infinity' ? Infinity : (t as number));
type Ctor = new (p: Float32Array[], o: object) => Optimizer<object>;
const CLASSES: Record<string, Ctor> = { SGD, Adam, AdamW, RMSprop, Adagrad } as unknown as Record<string, Ctor>;
const cases = <K extends ClipCase['kind']>(kind: K) =>
  fixture.cases.filter((c): c is Extract<ClipCase, { kind: K }> => c.kind === kind).map((c) => [c.name, c] as const);

function closeTotal(got: number, wanted: number | string, where: string) {
  const want = Number(wanted);
  if (Number.isNaN(want)) return expect(got, where).toBeNaN();
  if (!Number.isFinite(want)) return expect(got, where).toBe(want);
  expect(Math.abs(got - want), where).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want)));
}

it('the fixture holds every kind of case', () => {
  expect(cases('norm').length).toBe(18); // exactly what tools/fixtures/generate_clip.py writes
  expect(cases('value').length).toBe(4);
  expect(cases('step').length).toBe(14);
});

describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(cases('norm'))('clipGradNorm: %s', (_n, c) => {
    const expected = c.expected.map(f32);
    // caller-owned arrays
    const grads = c.grads.map(f32);
    closeTotal(clipGradNorm(grads, c.maxNorm, norm(c.normType)), c.total, 'total');
    let r = conformance(grads, expected);
    expect(r.ratio, r.where).toBeLessThanOrEqual(1);
    // views into an optimizer's memory, processed in place
    const opt = new SGD(c.grads.map(f32), {});
    opt.grads.forEach((g, i) => g.set(f32(c.grads[i]!)));
    closeTotal(clipGradNorm(opt.grads as Float32Array[], c.maxNorm, norm(c.normType)), c.total, 'total (in place)');
    r = conformance(opt.grads, expected);
    expect(r.ratio, r.where).toBeLessThanOrEqual(1);
    opt.dispose();
  });

  it.each(cases('value'))('clipGradValue: %s', (_n, c) => {
    const grads = c.grads.map(f32);
    clipGradValue(grads, c.clipValue);
    const r = conformance(grads, c.expected.map(f32));
    expect(r.ratio, r.where).toBeLessThanOrEqual(1);
  });

  it.each(cases('step'))('maxGradNorm option: %s', (_n, c) => {
    const params = c.params.map(f32);
    const opt = new CLASSES[c.optimizer]!(params, { ...c.options, maxGradNorm: c.maxNorm, gradNormType: norm(c.normType) });
    c.steps.forEach((s, t) => {
      expect(opt.step(s.grads.map(f32))).toBe(true);
      closeTotal((opt as unknown as { lastGradNorm: number }).lastGradNorm, s.total, `step ${t} norm`);
      const r = conformance(params, s.params.map(f32));
      if (!(r.ratio <= 1)) expect.fail(`step ${t}: ${r.where}`);
    });
    opt.dispose();
  });
});

describe('clipping: bad input and non-finite norms', () => {
  beforeAll(() => ready());

  it('validates its arguments and changes nothing on error', () => {
    const g = new Float32Array([3, 4]);
    expect(() => clipGradNorm(g as never, 1)).toThrow(/clipGradNorm: grads must be an array of Float32Arrays, got a Float32Array of length 2/);
    expect(() => clipGradNorm([g], -1)).toThrow(/clipGradNorm: invalid maxNorm: expected a number >= 0 .*got -1/);
    expect(clipGradNorm([g], Infinity)).toBe(5); // measures without clipping, as PyTorch
    expect(() => clipGradNorm([g], 1, 2, { errorIfNonfinite: 'no' } as never)).toThrow(/errorIfNonfinite must be true or false, got "no"/);
    expect(() => clipGradNorm([g], 1, 3 as never)).toThrow(/invalid normType: expected 1, 2 or Infinity, got 3/);
    expect(() => clipGradNorm([g, new Float64Array(2) as never], 1)).toThrow(/grads\[1\] must be a Float32Array, got a Float64Array/);
    expect(() => clipGradValue([g], NaN)).toThrow(/clipGradValue: invalid clipValue/);
    expect(Array.from(g)).toEqual([3, 4]);
    expect(() => new Adam([g], { maxGradNorm: -1 })).toThrow(/maxGradNorm: expected a number >= 0 .*got -1/);
    expect(() => new Adam([g], { gradNormType: 1 })).toThrow(/gradNormType needs options.maxGradNorm/);
    expect(() => new Adam([{ params: [g], maxGradNorm: 1 } as never])).toThrow(/optimizer-wide option.*constructor's options/);
    expect(() => new Adam([g], { gradNormType: 0 as never })).toThrow(/gradNormType: expected 1, 2 or Infinity, got 0/);
  });

  it('errorIfNonfinite throws and leaves the gradients alone', () => {
    const g = new Float32Array([3, NaN, 4]);
    expect(() => clipGradNorm([g], 1, 2, { errorIfNonfinite: true })).toThrow(/total 2-norm of the gradients is NaN/);
    expect(Array.from(g)).toEqual([3, NaN, 4]);
  });

  it('with maxGradNorm a non-finite gradient still throws by default, or is skipped, and nothing changes', () => {
    const w = new Float32Array([1, 2, 3]);
    const opt = new Adam([w], { maxGradNorm: 1 });
    opt.step([new Float32Array([1, 1, 1])]);
    const before = snapshot(opt);
    expect(() => opt.step([new Float32Array([1, Infinity, 1])])).toThrow(/grads\[0\]\[1\] is Infinity/);
    expect(snapshot(opt)).toEqual(before);
    const skip = new Adam([w.slice()], { maxGradNorm: 1, skipNonFinite: true });
    expect(skip.step([new Float32Array([NaN, 1, 1])])).toBe(false);
    expect(skip.lastGradNorm).toBeUndefined();
  });

  it('a large caller array is clipped chunk by chunk exactly like in place', () => {
    const n = (1 << 16) * 3 + 5;
    const a = new Float32Array(n).map((_, i) => Math.sin(i));
    const opt = new SGD([new Float32Array(n)], {});
    opt.grads[0]!.set(a);
    const t1 = clipGradNorm([a], 1);
    const t2 = clipGradNorm(opt.grads as Float32Array[], 1);
    expect(Math.abs(t1 - t2)).toBeLessThan(1e-12 * t2); // chunked sums associate differently
    const r = conformance([a], opt.grads);
    expect(r.ratio, r.where).toBeLessThanOrEqual(0.01);
    expect(Math.hypot(...a.subarray(0, 1000))).toBeLessThan(1);
  });
});

describe('maxGradNorm on every optimizer class equals clipGradNorm before an unclipped step', () => {
  beforeAll(() => ready());
  // an optimizer of matrices (Muon) gets each tensor as one row (registry-cases.ts)
  const classes = Object.entries(lib)
    .filter(([, v]) => typeof v === 'function' && v.prototype instanceof lib.Optimizer)
    .map(([n, v]) => [n, lib.isOptimizerName(n) ? classFor(lib.optimizerEntry(n) as { matrices?: boolean; class: unknown }) : v]) as [string, Ctor][];
  it.each(classes)('%s', (_name, C) => {
    const sizes = [3, 17, 64];
    const init = sizes.map((n, i) => Float32Array.from({ length: n }, (_, j) => Math.sin(i * 7 + j)));
    const a = new C(init.map((x) => x.slice()), { maxGradNorm: 0.5 });
    const b = new C(init.map((x) => x.slice()), {});
    for (let t = 0; t < 12; t++) {
      const grads = sizes.map((n, i) => Float32Array.from({ length: n }, (_, j) => Math.cos(t * 3 + i * 5 + j) * (t % 3 === 0 ? 0.01 : 3)));
      a.step(grads);
      const clipped = grads.map((g) => g.slice());
      const total = clipGradNorm(clipped, 0.5);
      b.step(clipped);
      closeTotal((a as unknown as { lastGradNorm: number }).lastGradNorm, total, `step ${t} norm`);
    }
    const r = conformance(a.params, b.params);
    expect(r.ratio, r.where).toBeLessThanOrEqual(1);
    a.dispose();
    b.dispose();
  });
});
