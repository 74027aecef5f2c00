// Replays reference trajectories against wasm-optim, with both kernel builds.
//
// test/fixtures/classic.json is written by tools/fixtures/generate_classic.py:
// SGD, Adagrad, RMSprop, Adam and AdamW from real PyTorch (torch.optim, CPU,
// float32, single-tensor path), Momentum from a float64 formula. Every case
// gives the initial float32 parameters and, per step, the gradients, an
// optional learning rate per group and the parameters after the step.
//
// Tolerance (see the fixture's "tolerance"): |x - ref| <= 1e-5 * max(1, M),
// M the largest |ref| over all expected values of all steps of the case.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, Momentum, RMSprop, SGD, ready, type Optimizer } from '../src/index.js';

/** How many cases the generator wrote; an emptied or truncated fixture must fail. */
const GENERATED_CASES = 150;
const RTOL = 1e-5;

interface FixtureStep {
  lr: number[] | null;
  grads: string[];
  params: string[];
}

interface FixtureCase {
  name: string;
  optimizer: keyof typeof CLASSES;
  reference: string;
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
  params: string[];
  steps: FixtureStep[];
}

interface Fixture {
  generator: string;
  torch: string;
  tolerance: string;
  cases: FixtureCase[];
}

type AnyOptimizer = Optimizer<object> & { paramGroups: readonly Record<string, unknown>[] };
type Ctor = new (params: unknown, options?: Record<string, unknown>) => AnyOptimizer;

const CLASSES = { SGD, Momentum, Adagrad, RMSprop, Adam, AdamW } as unknown as Record<
  'SGD' | 'Momentum' | 'Adagrad' | 'RMSprop' | 'Adam' | 'AdamW',
  Ctor
>;

const fixture = JSON.parse(readFileSync(new URL('./fixtures/classic.json', import.meta.url), 'utf8')) as Fixture;
/** Gradients small enough to drive state into subnormals, eps down to 0 (tools/fixtures/generate_tiny.py). */
const tiny = JSON.parse(readFileSync(new URL('./fixtures/tiny.json', import.meta.url), 'utf8')) as Fixture;
const cases = [...fixture.cases, ...tiny.cases];

/** base64 of little-endian float32 bytes -> Float32Array (a fresh, aligned copy). */
function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 4 !== 0) throw new Error(`fixture: a float32 array has ${bytes.length} bytes`);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

interface Worst {
  excess: number;
  step: number;
  tensor: number;
  where: string;
  index: number;
  value: number;
  ref: number;
}

/** Replays one case; returns a description of the failure, or undefined when within tolerance. */
function replay(c: FixtureCase): string | undefined {
  const tensors = c.params.map(f32);
  const steps = c.steps.map((s) => ({ lr: s.lr, grads: s.grads.map(f32), params: s.params.map(f32) }));

  let maxRef = 0;
  for (const s of steps) for (const p of s.params) for (let j = 0; j < p.length; j++) maxRef = Math.max(maxRef, Math.abs(p[j]!));
  const tol = RTOL * Math.max(1, maxRef);

  // Order of the parameters across groups (opt.params and step(grads) follow it).
  const order = c.groups ? c.groups.flatMap((g) => g.params) : tensors.map((_, i) => i);
  const Cls = CLASSES[c.optimizer];
  if (!Cls) throw new Error(`${c.name}: unknown optimizer ${c.optimizer}`);
  const opt = c.groups
    ? new Cls(c.groups.map((g) => ({ params: g.params.map((i) => tensors[i]!), ...g.options })), c.options)
    : new Cls(tensors, c.options);

  let worst: Worst | undefined;
  let first: Worst | undefined;
  let violations = 0;
  try {
    steps.forEach((s, t) => {
      if (s.lr) s.lr.forEach((lr, gi) => (opt.paramGroups[gi]!.lr = lr));
      opt.step(order.map((i) => s.grads[i]!));
      const views = opt.params;
      order.forEach((ti, k) => {
        const ref = s.params[ti]!;
        for (const [where, x] of [['tensors', tensors[ti]!], ['opt.params', views[k]!]] as const) {
          if (x.length !== ref.length) throw new Error(`${c.name}: step ${t}: ${where}[${ti}] has length ${x.length}, expected ${ref.length}`);
          for (let j = 0; j < ref.length; j++) {
            const err = Math.abs(x[j]! - ref[j]!);
            // !(err <= tol) also catches NaN.
            if (!(err <= tol)) {
              const e: Worst = { excess: Number.isNaN(err) ? Infinity : err, step: t, tensor: ti, where, index: j, value: x[j]!, ref: ref[j]! };
              violations++;
              first ??= e;
              if (!worst || e.excess > worst.excess) worst = e;
            }
          }
        }
      });
    });
  } finally {
    opt.dispose();
  }
  if (!worst || !first) return undefined;
  const show = (e: Worst) =>
    `step ${e.step} (1-based ${e.step + 1}), tensor ${e.tensor} (length ${tensors[e.tensor]!.length}, ${e.where}), ` +
    `element ${e.index}: got ${e.value}, reference ${e.ref}, |error| ${Math.abs(e.value - e.ref)}`;
  return (
    `${c.name} (${c.reference}): ${violations} value(s) outside the tolerance ${tol} (1e-5 * max(1, ${maxRef}))\n` +
    `  worst: ${show(worst)}\n  first: ${show(first)}`
  );
}

describe('PyTorch fixture', () => {
  it(`holds at least ${GENERATED_CASES} cases`, () => {
    expect(fixture.generator).toBe('tools/fixtures/generate_classic.py');
    expect(fixture.cases.length).toBeGreaterThanOrEqual(GENERATED_CASES);
    expect(tiny.generator).toBe('tools/fixtures/generate_tiny.py');
    expect(tiny.cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) {
      expect(Object.keys(CLASSES)).toContain(c.optimizer);
      expect(c.steps.length).toBeGreaterThanOrEqual(20);
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
      const failure = replay(c);
      if (failure) expect.fail(failure);
    });
  });
}
