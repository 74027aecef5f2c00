// Replays reference trajectories against wasm-optim, with both kernel builds.
//
// test/fixtures/classic.json is written by tools/fixtures/generate_classic.py:
// SGD, Adagrad, RMSprop, Adam and AdamW from real PyTorch (torch.optim, CPU,
// float32, single-tensor path), Momentum from a float64 formula. Every case
// gives the initial float32 parameters and, per step, the gradients, an
// optional learning rate per group and the parameters after the step.
//
// Tolerance (see the fixture's "tolerance"): |x - ref| <= 1e-5 * max(1, M),
// M the largest finite |ref| over all expected values of all steps of the case.
//
// test/fixtures/tiny.json (tools/fixtures/generate_tiny.py) holds every one of
// its 66 combinations, including the 21 where PyTorch itself ends in NaN or
// Inf (eps = 0 and a squared gradient that underflows to 0: 0/0 or x/0). Those
// are marked "torchFinite": false and replayed too, with checkFinite on (the
// default; the gradients are finite, so it has nothing to refuse) and off:
// where the reference is NaN the value must be NaN, where it is +-Infinity the
// same infinity, elsewhere within the tolerance. None is refused; a case the
// library refused would fail here.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, Momentum, RMSprop, SGD, ready, type Optimizer } from '../src/index.js';

/** How many cases the generators wrote; an emptied, truncated or grown fixture must fail. */
const GENERATED_CASES = 150;
/** generate_tiny.py: 11 option combinations x 3 gradient scales x (dense, sparse), none dropped. */
const GENERATED_TINY = 66;
/** ... of which PyTorch ends in NaN or Inf (all with eps = 0). */
const TINY_NON_FINITE = 21;
const RTOL = 1e-5;

interface FixtureStep {
  lr: number[] | null;
  grads: string[];
  params: string[];
}

interface FixtureCase {
  name: string;
  /** tiny.json: false where PyTorch's trajectory holds NaN or Inf */
  torchFinite?: boolean;
  firstNonFinite?: { step: number; tensor: number; index: number; value: 'NaN' | 'Infinity' | '-Infinity' } | null;
  optimizer: keyof typeof CLASSES;
  reference: string;
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
  params: string[];
  steps: FixtureStep[];
}

interface Fixture {
  generator: string;
  /** tiny.json: the number of cases the generator wrote */
  generated?: number;
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
function replay(c: FixtureCase, extraOptions: Record<string, unknown> = {}): string | undefined {
  const tensors = c.params.map(f32);
  const steps = c.steps.map((s) => ({ lr: s.lr, grads: s.grads.map(f32), params: s.params.map(f32) }));

  let maxRef = 0;
  for (const s of steps) for (const p of s.params) for (let j = 0; j < p.length; j++) if (Number.isFinite(p[j]!)) maxRef = Math.max(maxRef, Math.abs(p[j]!));
  const tol = RTOL * Math.max(1, maxRef);

  // Order of the parameters across groups (opt.params and step(grads) follow it).
  const order = c.groups ? c.groups.flatMap((g) => g.params) : tensors.map((_, i) => i);
  const Cls = CLASSES[c.optimizer];
  if (!Cls) throw new Error(`${c.name}: unknown optimizer ${c.optimizer}`);
  const opt = c.groups
    ? new Cls(c.groups.map((g) => ({ params: g.params.map((i) => tensors[i]!), ...g.options })), { ...c.options, ...extraOptions })
    : new Cls(tensors, { ...c.options, ...extraOptions });

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
            const r = ref[j]!;
            // NaN where PyTorch has NaN, the same infinity, else within the tolerance (!(err <= tol) also catches NaN)
            const err = Number.isNaN(r) ? (Number.isNaN(x[j]!) ? 0 : Infinity) : Number.isFinite(r) ? Math.abs(x[j]! - r) : x[j] === r ? 0 : Infinity;
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
    expect(fixture.cases.length).toBe(GENERATED_CASES);
    expect(tiny.generator).toBe('tools/fixtures/generate_tiny.py');
    expect(tiny.generated).toBe(GENERATED_TINY);
    expect(tiny.cases.length).toBe(GENERATED_TINY);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    for (const c of cases) {
      expect(Object.keys(CLASSES)).toContain(c.optimizer);
      expect(c.steps.length).toBeGreaterThanOrEqual(20);
    }
  });
});

describe('tiny fixture: the cases where PyTorch ends in NaN or Inf', () => {
  it(`marks exactly the ${TINY_NON_FINITE} whose recorded trajectory holds NaN or Inf, at the first such value`, () => {
    const marked = tiny.cases.filter((c) => c.torchFinite === false);
    expect(marked.length).toBe(TINY_NON_FINITE);
    for (const c of tiny.cases) {
      expect(typeof c.torchFinite, c.name).toBe('boolean');
      // found from the recorded values, independently of the marks
      let first: NonNullable<FixtureCase['firstNonFinite']> | null = null;
      c.steps.forEach((s, step) =>
        s.params.forEach((b, tensor) =>
          f32(b).forEach((v, index) => {
            if (!first && !Number.isFinite(v)) first = { step, tensor, index, value: Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity' };
          }),
        ),
      );
      expect(c.torchFinite, c.name).toBe(first === null);
      expect(c.firstNonFinite, c.name).toEqual(first);
      if (!c.torchFinite) expect(c.options.eps, c.name).toBe(0);
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

    it.each(tiny.cases.filter((c) => c.torchFinite === false).map((c) => [c.name, c] as const))('%s, checkFinite: false', (_name, c) => {
      const failure = replay(c, { checkFinite: false });
      if (failure) expect.fail(failure);
    });
  });
}
