// Replays PyTorch trajectories of Adadelta, Adamax, NAdam, RAdam, Rprop and
// ASGD against wasm-optim, with both kernel builds.
//
// test/fixtures/family.json is written by tools/fixtures/generate_family.py
// from real PyTorch (torch.optim, CPU, float32; NAdam on its foreach path,
// the others single-tensor; NAdam's and RAdam's 2.x-only options emulated
// around the 1.13 optimizer, see the generator). Every case gives the initial
// parameters and, per step, the gradients, an optional learning rate per group,
// optional other hyperparameter changes ("set"), and the parameters after the
// step; after the last step, the optimizer state of every parameter.
//
// Tolerance: |x - ref| <= 1e-5 * max(1, M), M the largest |ref| over the case
// (for state buffers: over that buffer's values in the case). Running scalars
// (muProduct, eta, mu) are compared relatively, |x - ref| <= 1e-5 * |ref|
// (PyTorch keeps them as float32 tensors, wasm-optim in double); step counts
// exactly.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASGD, Adadelta, Adamax, NAdam, RAdam, Rprop, ready, type Optimizer } from '../src/index.js';
import { f32 } from './helpers.js';

/** How many cases the generator wrote; an emptied or truncated fixture must fail. */
const GENERATED_CASES = 144;
const RTOL = 1e-5;

const CLASSES = { Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD } as unknown as Record<string, Ctor>;

type AnyOptimizer = Optimizer<object> & { paramGroups: readonly Record<string, unknown>[] };
type Ctor = new (params: unknown, options?: Record<string, unknown>) => AnyOptimizer;

interface FixtureStep {
  lr: number[] | null;
  set: Record<string, unknown>[] | null;
  grads: string[];
  params: string[];
}

interface FixtureCase {
  name: string;
  optimizer: string;
  reference: string;
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
  params: string[];
  steps: FixtureStep[];
  state: (Record<string, string | number> | null)[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/family.json', import.meta.url), 'utf8')) as {
  generator: string;
  torch: string;
  cases: FixtureCase[];
};
const cases = fixture.cases;


/** Worst |error| / tolerance per optimizer and build, for the summary printed at the end. */
const worst: Record<string, { ratio: number; where: string }> = {};
function record(key: string, ratio: number, where: string) {
  if (!worst[key] || ratio > worst[key]!.ratio) worst[key] = { ratio, where };
}

/** Replays one case; returns the problems found (empty when within tolerance). */
function replay(c: FixtureCase, build: string): string[] {
  const tensors = c.params.map(f32);
  const steps = c.steps.map((s) => ({ ...s, grads: s.grads.map(f32), params: s.params.map(f32) }));
  let maxRef = 0;
  for (const s of steps) for (const p of s.params) for (const x of p) maxRef = Math.max(maxRef, Math.abs(x));
  const tol = RTOL * Math.max(1, maxRef);

  // Order of the parameters across groups (opt.params, step(grads) and state dicts follow it).
  const order = c.groups ? c.groups.flatMap((g) => g.params) : tensors.map((_, i) => i);
  const Cls = CLASSES[c.optimizer];
  if (!Cls) throw new Error(`${c.name}: unknown optimizer ${c.optimizer}`);
  const opt = c.groups
    ? new Cls(c.groups.map((g) => ({ params: g.params.map((i) => tensors[i]!), ...g.options })), c.options)
    : new Cls(tensors, c.options);

  const problems: string[] = [];
  let caseWorst = { ratio: 0, where: '' };
  const check = (what: string, x: number, ref: number, t: number) => {
    const err = Math.abs(x - ref);
    const ratio = Number.isNaN(err) ? Infinity : err / t;
    if (ratio > caseWorst.ratio) caseWorst = { ratio, where: `${c.name}: ${what}: got ${x}, reference ${ref}` };
    if (!(err <= t) && problems.length < 5) problems.push(`${what}: got ${x}, reference ${ref}, |error| ${err} > ${t}`);
  };
  try {
    steps.forEach((s, t) => {
      if (s.lr) s.lr.forEach((lr, gi) => (opt.paramGroups[gi]!.lr = lr));
      if (s.set) s.set.forEach((o, gi) => Object.assign(opt.paramGroups[gi]!, o));
      opt.step(order.map((i) => s.grads[i]!));
      const views = opt.params;
      order.forEach((ti, k) => {
        const ref = s.params[ti]!;
        for (const [where, x] of [['tensors', tensors[ti]!], ['opt.params', views[k]!]] as const) {
          expect(x.length, `${where}[${ti}]`).toBe(ref.length);
          for (let j = 0; j < ref.length; j++) check(`step ${t + 1}, ${where}[${ti}][${j}]`, x[j]!, ref[j]!, tol);
        }
      });
    });

    // The state after the last step: same entries as PyTorch's state_dict, same values.
    const sd = opt.stateDict();
    const bufferMax: Record<string, number> = {};
    for (const st of c.state) {
      for (const [key, v] of Object.entries(st ?? {})) {
        if (typeof v === 'string') for (const x of f32(v)) bufferMax[key] = Math.max(bufferMax[key] ?? 0, Math.abs(x));
      }
    }
    order.forEach((ti, k) => {
      const ref = c.state[ti];
      const got = sd.state[k] as Record<string, Float32Array | number> | null;
      if (!ref || !got) {
        expect(got, `state of tensor ${ti}`).toEqual(ref);
        return;
      }
      expect(Object.keys(got).sort(), `state keys of tensor ${ti}`).toEqual(Object.keys(ref).sort());
      for (const [key, v] of Object.entries(ref)) {
        const mine = got[key]!;
        if (typeof v === 'string') {
          const want = f32(v);
          expect((mine as Float32Array).length).toBe(want.length);
          const bt = RTOL * Math.max(1, bufferMax[key]!);
          want.forEach((x, j) => check(`final state[${ti}].${key}[${j}]`, (mine as Float32Array)[j]!, x, bt));
        } else if (key === 'step') {
          expect(mine, `state[${ti}].step`).toBe(v);
        } else {
          check(`final state[${ti}].${key}`, mine as number, v, RTOL * Math.abs(v));
        }
      }
    });
  } finally {
    opt.dispose();
  }
  record(`${c.optimizer} (${build})`, caseWorst.ratio, caseWorst.where);
  return problems;
}

describe('PyTorch fixture of the optimizer family', () => {
  it(`holds at least ${GENERATED_CASES} cases over 25 steps with final states`, () => {
    expect(fixture.generator).toBe('tools/fixtures/generate_family.py');
    expect(cases.length).toBe(GENERATED_CASES);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) {
      expect(Object.keys(CLASSES)).toContain(c.optimizer);
      expect(c.steps.length).toBeGreaterThanOrEqual(25);
      expect(c.state.length).toBe(c.params.length);
      expect(c.state.every((s) => s !== null && typeof s.step === 'number')).toBe(true);
    }
    // every optimizer, with groups, lr changes and other hyperparameter changes
    for (const kind of Object.keys(CLASSES)) {
      const mine = cases.filter((c) => c.optimizer === kind);
      expect(mine.length, kind).toBeGreaterThanOrEqual(19);
      expect(mine.some((c) => c.groups && c.groups.length >= 2), kind).toBe(true);
      expect(mine.some((c) => c.steps.some((s) => s.lr)), kind).toBe(true);
      expect(mine.some((c) => c.steps.some((s) => s.set)), kind).toBe(true);
      expect(mine.some((c) => c.params.some((p) => f32(p).length === 1000)), kind).toBe(true);
    }
  });
});

for (const build of ['simd', 'scalar'] as const) {
  describe(`${build} build`, () => {
    beforeAll(async () => {
      const info = await ready({ simd: build === 'simd' });
      expect(info.build).toBe(build);
    });

    it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
      const problems = replay(c, build);
      if (problems.length) expect.fail(`${c.name} (${c.reference}):\n  ${problems.join('\n  ')}`);
    });
  });
}

afterAll(() => {
  const lines = Object.entries(worst)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, w]) => `  ${k.padEnd(18)} ${w.ratio.toFixed(4)}   (${w.where})`);
  console.log(`Worst |error| / tolerance against PyTorch ${fixture.torch}, per optimizer:\n${lines.join('\n')}`);
});
