// Replays learning-rate schedules recorded from real PyTorch against
// wasm-optim's schedulers, then resumes every case from a mid-run state dict.
//
// test/fixtures/schedulers.json is written by tools/fixtures/generate_schedulers.py:
// torch.optim.lr_scheduler on a torch optimizer (SGD, Adam, RMSprop), the lr of
// every group, get_last_lr() and the cycled momentum / beta1 after
// construction and after every step.
//
// Tolerance (the project's conformance rule): |x - ref| <= 1e-5 * max(1, M),
// M the largest |ref| over the case. Learning rates are small, so that bound is
// loose; a second, strict check asks for agreement to 1e-9 relative (plus
// 1e-15 absolute for values at 0), which only last-bit differences of cos, pow
// and log between V8 and glibc may use.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { Adam, RMSprop, SGD, ready, type ChainableScheduler, type Scheduler } from '../src/index.js';

/** How many cases the generator wrote; an emptied or truncated fixture must fail. */
const GENERATED_CASES = 83;
const RTOL = 1e-5;
const STRICT = 1e-9;

type FnSpec = { fn: keyof typeof FUNCTIONS; args: number[] };
interface SchedSpec {
  kind: string;
  options?: Record<string, unknown>;
  schedulers?: SchedSpec[];
}
interface Record_ {
  lr: number[];
  lastLr: number[];
  momentum?: number[];
  beta1?: number[];
}
interface FixtureCase {
  name: string;
  optimizer: { kind: 'SGD' | 'Adam' | 'RMSprop'; options: Record<string, unknown>; groups: Record<string, unknown>[] };
  scheduler: SchedSpec;
  track: 'momentum' | 'beta1' | null;
  steps: (number | null)[];
  metrics: boolean;
  expected: Record_[];
}

/** The generator's FUNCTIONS, the same formulas in JavaScript. */
const FUNCTIONS = {
  pow: (a: number) => (e: number) => a ** e,
  warmup: (n: number) => (e: number) => Math.min(1.0, (e + 1) / n),
  const: (a: number) => (_e: number) => a,
  stepdecay: (n: number, g: number) => (e: number) => g ** Math.floor(e / n),
  inv: (a: number) => (x: number) => 1 / (1 + a * x),
};

const fixture = JSON.parse(readFileSync(new URL('./fixtures/schedulers.json', import.meta.url), 'utf8')) as {
  generator: string;
  torch: string;
  cases: FixtureCase[];
};
const cases = fixture.cases;

const OPTIMIZERS = { SGD, Adam, RMSprop } as unknown as Record<string, new (p: unknown, o?: unknown) => lib.SchedulableOptimizer & { step(g?: Float32Array[]): boolean; stateDict(): unknown; loadStateDict(sd: unknown): void; dispose(): void }>;
const SCHEDULERS = lib as unknown as Record<string, new (...args: unknown[]) => Scheduler>;

function fnOf(spec: FnSpec | FnSpec[]): unknown {
  if (Array.isArray(spec)) return spec.map(fnOf);
  const make = FUNCTIONS[spec.fn] as (...a: number[]) => (x: number) => number;
  return make(...spec.args);
}

function makeOptimizer(c: FixtureCase) {
  const Cls = OPTIMIZERS[c.optimizer.kind]!;
  return new Cls(
    c.optimizer.groups.map((g) => ({ params: [new Float32Array(3)], ...g })),
    c.optimizer.options,
  );
}

function makeScheduler(spec: SchedSpec, opt: lib.SchedulableOptimizer): Scheduler {
  if (spec.kind === 'SequentialLR') {
    const schedulers = spec.schedulers!.map((s) => makeScheduler(s, opt));
    return new lib.SequentialLR(opt, { schedulers: schedulers as lib.LRScheduler[], milestones: spec.options!.milestones as number[] });
  }
  if (spec.kind === 'ChainedScheduler') {
    return new lib.ChainedScheduler(spec.schedulers!.map((s) => makeScheduler(s, opt)) as ChainableScheduler[]);
  }
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(spec.options ?? {})) options[k] = k === 'lrLambda' || k === 'scaleFn' ? fnOf(v as FnSpec) : v;
  const Cls = SCHEDULERS[spec.kind];
  if (!Cls) throw new Error(`unknown scheduler ${spec.kind}`);
  return new Cls(opt, options);
}

function stepScheduler(s: Scheduler, arg: number | null): void {
  if (s instanceof lib.ReduceLROnPlateau) s.step(arg!);
  else if (s instanceof lib.CosineAnnealingWarmRestarts) s.step(arg ?? undefined);
  else {
    if (arg !== null) throw new Error('only CosineAnnealingWarmRestarts and ReduceLROnPlateau take a step argument');
    (s as ChainableScheduler).step();
  }
}

function observe(opt: lib.SchedulableOptimizer, s: Scheduler, track: FixtureCase['track']): Record_ {
  const groups = opt.paramGroups;
  const r: Record_ = { lr: groups.map((g) => g.lr), lastLr: s.getLastLr() };
  if (track === 'momentum') r.momentum = groups.map((g) => g.momentum!);
  if (track === 'beta1') r.beta1 = groups.map((g) => g.betas![0]);
  return r;
}

/**
 * The one documented deviation: where PyTorch's OneCycleLR leaves a negative lr
 * in the optimizer (linear annealing evaluated one step past the cycle's end),
 * which wasm-optim's optimizers refuse, the optimizer holds the cycle's end,
 * minLr = maxLr / divFactor / finalDivFactor (getLastLr() keeps PyTorch's value).
 */
function deviation(c: FixtureCase, ref: Record_): Record_ {
  if (!ref.lr.some((x) => x < 0)) return ref;
  const o = c.scheduler.options ?? {};
  expect(c.scheduler.kind, `${c.name}: a negative reference lr outside OneCycleLR`).toBe('OneCycleLR');
  const maxLr = o.maxLr as number | number[];
  const div = (o.divFactor as number | undefined) ?? 25;
  const finalDiv = (o.finalDivFactor as number | undefined) ?? 1e4;
  return { ...ref, lr: ref.lr.map((x, i) => (x < 0 ? (Array.isArray(maxLr) ? maxLr[i]! : maxLr) / div / finalDiv : x)) };
}

/** Compares one observation with the reference; returns the problems found. */
function compare(got: Record_, ref: Record_, tol: number, where: string): string[] {
  const out: string[] = [];
  for (const key of ['lr', 'lastLr', 'momentum', 'beta1'] as const) {
    const r = ref[key];
    if (!r) continue;
    const g = got[key];
    if (!g || g.length !== r.length) {
      out.push(`${where} ${key}: got ${JSON.stringify(g)}, expected ${JSON.stringify(r)}`);
      continue;
    }
    r.forEach((x, i) => {
      const err = Math.abs(g[i]! - x);
      if (!(err <= tol)) out.push(`${where} ${key}[${i}]: got ${g[i]}, reference ${x} (|error| ${err} > tolerance ${tol})`);
      else if (!(err <= STRICT * Math.abs(x) + 1e-15)) out.push(`${where} ${key}[${i}]: got ${g[i]}, reference ${x} (|error| ${err}, beyond the strict relative 1e-9)`);
    });
  }
  return out;
}

function toleranceOf(c: FixtureCase): number {
  let m = 0;
  for (const r of c.expected) for (const v of [...r.lr, ...r.lastLr, ...(r.momentum ?? []), ...(r.beta1 ?? [])]) m = Math.max(m, Math.abs(v));
  return RTOL * Math.max(1, m);
}

const zeros = (opt: { paramGroups: readonly unknown[] }) => opt.paramGroups.map(() => new Float32Array(3));

/** Replays `c` from step `from` (observations already at `from`), returning problems. */
function replayFrom(c: FixtureCase, opt: ReturnType<typeof makeOptimizer>, s: Scheduler, from: number, label: string): string[] {
  const tol = toleranceOf(c);
  const problems = compare(observe(opt, s, c.track), deviation(c, c.expected[from]!), tol, `${label} after ${from === 0 ? 'construction' : `step ${from}`}`);
  for (let t = from; t < c.steps.length; t++) {
    opt.step(zeros(opt));
    stepScheduler(s, c.steps[t]!);
    problems.push(...compare(observe(opt, s, c.track), deviation(c, c.expected[t + 1]!), tol, `${label} step ${t + 1}`));
  }
  return problems;
}

beforeAll(async () => {
  await ready();
});

describe('PyTorch scheduler fixture', () => {
  it(`holds at least ${GENERATED_CASES} cases of at least 30 steps, covering every scheduler`, () => {
    expect(fixture.generator).toBe('tools/fixtures/generate_schedulers.py');
    expect(cases.length).toBe(GENERATED_CASES);
    expect(new Set(cases.map((c) => c.name)).size).toBe(cases.length);
    const kinds = new Set<string>();
    const walk = (s: SchedSpec) => {
      kinds.add(s.kind);
      s.schedulers?.forEach(walk);
    };
    for (const c of cases) {
      expect(c.steps.length, c.name).toBeGreaterThanOrEqual(30);
      expect(c.expected.length, c.name).toBe(c.steps.length + 1);
      walk(c.scheduler);
    }
    expect([...kinds].sort()).toEqual(
      [
        'ChainedScheduler', 'ConstantLR', 'CosineAnnealingLR', 'CosineAnnealingWarmRestarts', 'CyclicLR', 'ExponentialLR',
        'LambdaLR', 'LinearLR', 'MultiStepLR', 'MultiplicativeLR', 'OneCycleLR', 'PolynomialLR', 'ReduceLROnPlateau',
        'SequentialLR', 'StepLR', 'SWALR',
      ].sort(),
    );
    expect(cases.filter((c) => c.track === 'momentum').length).toBeGreaterThan(5);
    expect(cases.filter((c) => c.track === 'beta1').length).toBeGreaterThan(2);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const opt = makeOptimizer(c);
    try {
      const s = makeScheduler(c.scheduler, opt);
      const problems = replayFrom(c, opt, s, 0, 'run');
      if (problems.length) expect.fail(`${problems.length} problem(s):\n  ${problems.slice(0, 8).join('\n  ')}`);
    } finally {
      opt.dispose();
    }
  });
});

describe('stateDict round trip mid-sequence', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const k = Math.floor(c.steps.length / 2) + 1;
    const a = makeOptimizer(c);
    const b = makeOptimizer(c);
    try {
      const sa = makeScheduler(c.scheduler, a);
      for (let t = 0; t < k; t++) {
        a.step(zeros(a));
        stepScheduler(sa, c.steps[t]!);
      }
      // The scheduler's dict goes through JSON; the optimizer's (Float32Array state) through structuredClone.
      const sd = JSON.parse(JSON.stringify(sa.stateDict())) as lib.SchedulerStateDict;
      const od = structuredClone(a.stateDict());
      const sb = makeScheduler(c.scheduler, b); // a fresh schedule, at its start
      b.loadStateDict(od);
      sb.loadStateDict(sd);
      expect(sb.stateDict()).toEqual(sa.stateDict());
      const problems = replayFrom(c, b, sb, k, 'resumed');
      if (problems.length) expect.fail(`${problems.length} problem(s):\n  ${problems.slice(0, 8).join('\n  ')}`);
    } finally {
      a.dispose();
      b.dispose();
    }
  });
});
