// Bad input: every path gets a clear error that names the argument, what was
// expected and what was given, and changes nothing.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adagrad, Adam, AdamW, Momentum, NonFiniteGradientError, RMSprop, SGD, ready, registry,
  type Optimizer,
} from '../src/index.js';
import { snapshot } from './helpers.js';
import { classFor } from './registry-cases.js';

beforeAll(() => ready());

type AnyOpt = Optimizer<object>;
type Ctor = new (p: unknown, o?: object) => AnyOpt;

/** Bad values per option, with the error class each must raise. */
const bad = {
  nonNegative: [[-1, RangeError], [NaN, RangeError], [Infinity, RangeError], ['0.1', TypeError], [null, TypeError], [true, TypeError]],
  finite: [[NaN, RangeError], [-Infinity, RangeError], ['1', TypeError]],
  unitHalfOpen: [[1, RangeError], [-0.1, RangeError], [NaN, RangeError], ['0.9', TypeError]],
  unitClosed: [[1.5, RangeError], [-0.1, RangeError], [NaN, RangeError]],
  boolean: [[1, TypeError], ['true', TypeError], [null, TypeError]],
  betas: [[[0.9, 1], RangeError], [[-0.1, 0.9], RangeError], [[NaN, 0.9], RangeError], [[0.9], TypeError], ['x', TypeError], [[0.9, '0.9'], TypeError]],
  etas: [[[0.5, 1], RangeError], [[0, 1.2], RangeError], [[1, 1.2], RangeError], [[0.5, Infinity], RangeError], [[NaN, 1.2], RangeError], [[0.5], TypeError], ['x', TypeError]],
  nonPositive: [[0.5, RangeError], [NaN, RangeError], [-Infinity, RangeError], ['-0.8', TypeError], [null, TypeError]],
  atLeastOne: [[0.5, RangeError], [NaN, RangeError], [Infinity, RangeError], ['1', TypeError]],
  adafactorEps: [[[-1, 1e-3], RangeError], [[null, -1], RangeError], [[NaN, 1e-3], RangeError], [[null, Infinity], RangeError], [[1e-3, null], TypeError], [[1e-3], TypeError], ['x', TypeError]],
  stepSizes: [[[-1e-6, 50], RangeError], [[1, 0.5], RangeError], [[0, Infinity], RangeError], [[NaN, 1], RangeError], [[1e-6], TypeError], [[1e-6, '50'], TypeError]],
  triple: [[[1, 2], TypeError], [[1, 2, 3, 4], TypeError], [[1, NaN, 3], RangeError], [[1, Infinity, 3], RangeError], [[1, '2', 3], TypeError], ['x', TypeError]],
  nsSteps: [[100, RangeError], [-1, RangeError], [2.5, RangeError], [NaN, RangeError], ['5', TypeError]],
  adjustLrFn: [['sqrt', RangeError], ['', RangeError], [null, TypeError], [1, TypeError]],
  openUnit: [[0, RangeError], [1, RangeError], [NaN, RangeError], ['0.5', TypeError]],
  blockSize: [[100, RangeError], [0, RangeError], [-16, RangeError], [16.5, RangeError], [4112, RangeError], [NaN, RangeError], ['256', TypeError]],
  wholeNumber: [[-1, RangeError], [2.5, RangeError], [Infinity, RangeError], [NaN, RangeError], ['1', TypeError]],
  sfBetas: [[[0, 0.999], RangeError], [[1, 0.9], RangeError], [[0.9, 1], RangeError], [[NaN, 0.9], RangeError], [[0.9], TypeError], ['x', TypeError]],
} as const;

/** The bad values of each validation rule, found by what the rule says it expects (src/validate.ts). */
const KIND_OF_RULE: Record<string, keyof typeof bad> = {
  'a finite number >= 0': 'nonNegative',
  'a finite number': 'finite',
  'a number in [0, 1)': 'unitHalfOpen',
  'a number in [0, 1]': 'unitClosed',
  'true or false': 'boolean',
  'a pair [beta1, beta2] of numbers in [0, 1)': 'betas',
  'a pair [etaminus, etaplus] of finite numbers with 0 < etaminus < 1 < etaplus': 'etas',
  'a pair [min, max] of finite numbers with 0 <= min <= max': 'stepSizes',
  'a finite number <= 0': 'nonPositive',
  'a finite number >= 1': 'atLeastOne',
  'a pair [eps1, eps2] of finite numbers >= 0 (eps1 may be null: float32 machine epsilon)': 'adafactorEps',
  'three finite numbers [a, b, c]': 'triple',
  'an integer in [0, 99] (torch refuses 100 or more)': 'nsSteps',
  'one of "original", "match_rms_adamw"': 'adjustLrFn',
  'a number in (0, 1)': 'openUnit',
  'a whole number >= 0': 'wholeNumber',
  'a positive multiple of 16 (at most 4096)': 'blockSize',
  'a pair [beta1, beta2] with beta1 in (0, 1) and beta2 in [0, 1)': 'sfBetas',
};

/** Every registered optimizer, and the kind of each of its options (from the rules the registry declares). */
const table: [string, Ctor, Record<string, keyof typeof bad>][] = registry.map((e) => [
  e.name,
  classFor(e) as unknown as Ctor,
  Object.fromEntries(Object.entries(e.rules).map(([k, rule]) => [k, KIND_OF_RULE[(rule as { expected: string }).expected]!])),
]);

it('every rule of every registered optimizer has bad values to try', () => {
  for (const e of registry) {
    for (const [k, rule] of Object.entries(e.rules)) {
      expect(KIND_OF_RULE[(rule as { expected: string }).expected], `${e.name}.${k}: add bad values for the rule "${(rule as { expected: string }).expected}"`).toBeDefined();
    }
  }
});

it('a few rules as PyTorch documents them (stricter where the README says so)', () => {
  const kind = (name: string, option: string) => table.find(([n]) => n === name)![2][option];
  expect(kind('SGD', 'dampening')).toBe('finite');
  expect(kind('Momentum', 'beta')).toBe('unitHalfOpen');
  expect(kind('RMSprop', 'alpha')).toBe('unitClosed');
  expect(kind('Adadelta', 'rho')).toBe('unitClosed');
  expect(kind('Adam', 'betas')).toBe('betas');
  expect(kind('Rprop', 'etas')).toBe('etas');
  expect(kind('Rprop', 'stepSizes')).toBe('stepSizes');
});

const fmt = (v: unknown): string => (Array.isArray(v) ? `[${v.map(fmt).join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : String(v));

describe.each(table)('%s hyperparameters', (name, Ctor, rules) => {
  it('rejects every bad value at construction, naming the option, the expectation and the value', () => {
    for (const [option, kind] of Object.entries(rules)) {
      for (const [value, Err] of bad[kind]) {
        let err: unknown;
        try {
          new Ctor([new Float32Array(3)], { [option]: value });
        } catch (e) {
          err = e;
        }
        expect(err, `${name} ${option}=${fmt(value)}`).toBeInstanceOf(Err);
        const msg = (err as Error).message;
        expect(msg).toContain(name);
        expect(msg).toContain(option);
        expect(msg).toContain('expected');
        expect(msg).toContain(fmt(value));
      }
    }
  });

  it('rejects every bad value in a param group and when a group value is assigned, keeping the old value', () => {
    const opt = new Ctor([{ params: [new Float32Array(3)] }]);
    for (const [option, kind] of Object.entries(rules)) {
      const group = opt.paramGroups[0] as Record<string, unknown>;
      const before = group[option];
      for (const [value, Err] of bad[kind]) {
        expect(() => new Ctor([{ params: [new Float32Array(2)], [option]: value }]), `${option}=${fmt(value)}`).toThrow(Err);
        expect(() => (group[option] = value), `${option}=${fmt(value)}`).toThrow(Err);
        expect(group[option]).toEqual(before);
      }
    }
    opt.dispose();
  });

  it("accepts and ignores PyTorch's implementation switches (foreach, fused, capturable, differentiable)", () => {
    const opt = new Ctor([new Float32Array(2)], { foreach: false, fused: null, capturable: false, differentiable: false });
    expect(Object.keys(opt.paramGroups[0]!)).not.toContain('foreach');
    expect(() => new Ctor([new Float32Array(2)], { foreach: 1 })).toThrow(/options.foreach: expected true, false or null/);
    opt.dispose();
  });

  it('rejects unknown options and typos, listing the valid ones', () => {
    expect(() => new Ctor([new Float32Array(1)], { learningRate: 0.1 })).toThrow(/unknown option "learningRate".*valid options: lr/);
    expect(() => new Ctor([{ params: [new Float32Array(1)], lR: 0.1 }])).toThrow(/unknown option "lR"/);
    const opt = new Ctor([new Float32Array(1)]);
    expect(() => ((opt.paramGroups[0] as Record<string, unknown>).learningRate = 1)).toThrow(TypeError);
    opt.dispose();
  });
});

describe('constraints between options', () => {
  it('SGD nesterov needs momentum > 0 and zero dampening, at construction and on assignment', () => {
    expect(() => new SGD([new Float32Array(1)], { nesterov: true })).toThrow(/nesterov.*momentum > 0/);
    expect(() => new SGD([new Float32Array(1)], { nesterov: true, momentum: 0.9, dampening: 0.1 })).toThrow(/dampening = 0/);
    const opt = new SGD([new Float32Array(1)], { nesterov: true, momentum: 0.9 });
    expect(() => (opt.paramGroups[0]!.momentum = 0)).toThrow(/nesterov/);
    expect(opt.paramGroups[0]!.momentum).toBe(0.9);
  });

  it('state buffers are fixed at construction: switching on momentum, centered or amsgrad later is refused', () => {
    const r = new RMSprop([new Float32Array(4)]);
    expect(() => (r.paramGroups[0]!.momentum = 0.9)).toThrow(/momentumBuffer.*at construction/);
    expect(() => (r.paramGroups[0]!.centered = true)).toThrow(/gradAvg/);
    expect(r.paramGroups[0]!.momentum).toBe(0);
    const a = new Adam([new Float32Array(4)]);
    expect(() => (a.paramGroups[0]!.amsgrad = true)).toThrow(/maxExpAvgSq/);
    const s = new SGD([new Float32Array(4)]);
    expect(() => (s.paramGroups[0]!.momentum = 0.5)).toThrow(/momentumBuffer/);
    // switching off and on again is fine when the buffer exists
    const m = new SGD([new Float32Array(4)], { momentum: 0.9 });
    m.paramGroups[0]!.momentum = 0;
    m.paramGroups[0]!.momentum = 0.5;
    expect(m.paramGroups[0]!.momentum).toBe(0.5);
  });

  it('betas arrays are frozen copies: mutating one in place cannot bypass validation', () => {
    const betas: [number, number] = [0.9, 0.99];
    const a = new Adam([new Float32Array(1)], { betas });
    betas[1] = 5;
    expect(a.paramGroups[0]!.betas).toEqual([0.9, 0.99]);
    // the type says readonly; this test deliberately writes anyway to see the runtime freeze
    expect(() => ((a.paramGroups[0]!.betas as unknown as number[])[1] = 2)).toThrow(TypeError);
  });
});

describe('params', () => {
  it('rejects what is not a list of Float32Arrays or param groups', () => {
    expect(() => new Adam(new Float32Array(3) as never)).toThrow(/params must be an array.*got a Float32Array of length 3/);
    expect(() => new Adam([])).toThrow(/empty/);
    expect(() => new Adam([new Float64Array(3)] as never)).toThrow(/params\[0\] must be a Float32Array or a param group|params\[0\] must be a Float32Array/);
    expect(() => new Adam([[1, 2, 3]] as never)).toThrow(/params\[0\]/);
    expect(() => new Adam([{ params: [new Float32Array(2), new Float64Array(2)] }] as never)).toThrow(/params\[0\]\.params\[1\] must be a Float32Array, got a Float64Array of length 2/);
    expect(() => new Adam([{ lr: 0.1 }] as never)).toThrow(/param group/);
    const w = new Float32Array(3);
    expect(() => new Adam([w, w])).toThrow(/params\[1\] appears more than once/);
    expect(() => new Adam([{ params: [w] }, { params: [w] }])).toThrow(/more than once/);
    const d = new Float32Array(4);
    structuredClone(d.buffer, { transfer: [d.buffer] });
    expect(() => new Adam([d])).toThrow(/params\[0\] is a detached Float32Array/);
    expect(() => new Adam([w], 0.1 as never)).toThrow(/options must be an object/);
  });
});

describe('step', () => {
  function fresh() {
    const w = new Float32Array([1, 2, 3, 4, 5]);
    const b = new Float32Array([0.5]);
    const opt = new Adam([w, b], { lr: 0.1, amsgrad: true });
    opt.step([new Float32Array(5).fill(0.3), new Float32Array([1])]);
    return { opt, w, b };
  }

  const cases: [string, unknown, RegExp, ErrorConstructor][] = [
    ['not an array', new Float32Array(6), /grads must be an array of 2 Float32Array/, TypeError],
    ['too few', [new Float32Array(5)], /expected 2 gradient\(s\).*got 1/, RangeError],
    ['too many', [new Float32Array(5), new Float32Array(1), new Float32Array(1)], /expected 2 gradient\(s\).*got 3/, RangeError],
    ['wrong length', [new Float32Array(5), new Float32Array(2)], /grads\[1\] must have 1 elements, got a Float32Array of length 2/, RangeError],
    ['wrong type', [new Float64Array(5), new Float32Array(1)], /grads\[0\] must be a Float32Array, got a Float64Array of length 5/, TypeError],
    ['plain array', [[1, 2, 3, 4, 5], new Float32Array(1)], /grads\[0\] must be a Float32Array, got an array of length 5|grads\[0\] must be a Float32Array, got \[1, 2, 3, 4, 5\]/, TypeError],
    ['null', [null, new Float32Array(1)], /grads\[0\] must be a Float32Array, got null/, TypeError],
  ];

  it.each(cases)('%s: clear error, parameters and state unchanged', (_name, grads, re, Err) => {
    const { opt, w, b } = fresh();
    const before = snapshot(opt);
    const caller = [w.slice(), b.slice()];
    expect(() => opt.step(grads as Float32Array[])).toThrow(re);
    expect(() => opt.step(grads as Float32Array[])).toThrow(Err);
    expect(snapshot(opt)).toEqual(before);
    expect([w, b]).toEqual(caller);
    expect(opt.stepCount).toBe(1);
  });

  it('a detached gradient: clear error, nothing changed', () => {
    const { opt } = fresh();
    const before = snapshot(opt);
    const g = new Float32Array(5);
    structuredClone(g.buffer, { transfer: [g.buffer] });
    expect(() => opt.step([g, new Float32Array(1)])).toThrow(/grads\[0\] is a detached Float32Array/);
    expect(snapshot(opt)).toEqual(before);
  });

  it('a caller parameter array detached after construction: clear error, nothing changed', () => {
    const { opt, w } = fresh();
    const before = snapshot(opt);
    structuredClone(w.buffer, { transfer: [w.buffer] });
    expect(() => opt.step([new Float32Array(5), new Float32Array(1)])).toThrow(/params\[0\].*detached/);
    expect(snapshot(opt)).toEqual(before);
    expect(opt.step()).toBe(true); // the zero-copy path still works
  });

  it('accepts gradients backed by a SharedArrayBuffer or at an offset in a larger buffer', () => {
    const { opt, w } = fresh();
    const twin = fresh();
    const shared = new Float32Array(new SharedArrayBuffer(24)).fill(0.25);
    const big = new Float32Array(64).fill(0.25);
    opt.step([shared.subarray(0, 5), big.subarray(7, 8)]);
    twin.opt.step([new Float32Array(5).fill(0.25), new Float32Array([0.25])]);
    expect(w).toEqual(twin.w);
  });
});

describe('non-finite gradients', () => {
  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`${bad}: throws NonFiniteGradientError naming the element, and nothing changes (default)`, () => {
      const w = new Float32Array(37).fill(1);
      const opt = new Adam([new Float32Array(3), w], { lr: 0.1 });
      opt.step([new Float32Array(3).fill(1), new Float32Array(37).fill(1)]);
      const before = snapshot(opt);
      const callerBefore = w.slice();
      for (const pos of [0, 1, 2, 3, 4, 31, 32, 35, 36]) {
        const g = new Float32Array(37).fill(0.1);
        g[pos] = bad;
        let err: unknown;
        try {
          opt.step([new Float32Array(3), g]);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(NonFiniteGradientError);
        expect((err as NonFiniteGradientError).param).toBe(1);
        expect((err as NonFiniteGradientError).index).toBe(pos);
        expect((err as Error).message).toContain(`grads[1][${pos}] is ${bad}`);
        expect(snapshot(opt)).toEqual(before);
        expect(w).toEqual(callerBefore);
      }
    });
  }

  it('skipNonFinite: step returns false and changes nothing; finite steps return true', () => {
    const w = new Float32Array(9).fill(1);
    const opt = new RMSprop([w], { skipNonFinite: true, momentum: 0.9, centered: true });
    expect(opt.step([new Float32Array(9).fill(1)])).toBe(true);
    const before = snapshot(opt);
    for (let pos = 0; pos < 9; pos++) {
      const g = new Float32Array(9).fill(1);
      g[pos] = NaN;
      expect(opt.step([g])).toBe(false);
      expect(snapshot(opt)).toEqual(before);
    }
    expect(opt.stepCount).toBe(1);
  });

  it('checkFinite: false lets non-finite values through, as PyTorch does', () => {
    const w = new Float32Array(5).fill(1);
    const opt = new SGD([w], { lr: 0.1, checkFinite: false });
    expect(opt.step([new Float32Array([NaN, 1, 1, 1, Infinity])])).toBe(true);
    expect(w[0]).toBeNaN();
    expect(w[4]).toBe(-Infinity);
    expect(w[1]).toBeCloseTo(0.9, 6);
    expect(() => new SGD([w], { checkFinite: 'no' } as never)).toThrow(/checkFinite: expected true or false, got "no"/);
  });
});

describe('loadStateDict refuses foreign or broken state and changes nothing', () => {
  function pair() {
    const a = new Adam([new Float32Array(5).fill(1), new Float32Array(2)], { lr: 0.1 });
    a.step([new Float32Array(5).fill(1), new Float32Array(2).fill(1)]);
    const b = new Adam([new Float32Array(5).fill(1), new Float32Array(2)], { lr: 0.2 });
    b.step([new Float32Array(5).fill(2), new Float32Array(2).fill(2)]);
    b.step([new Float32Array(5).fill(2), new Float32Array(2).fill(2)]);
    return { sd: a.stateDict(), b };
  }
  const mutations: [string, (sd: any) => unknown, RegExp][] = [
    ['not an object', () => 42, /expected a state dict object, got 42/],
    ['another optimizer', (sd) => ({ ...sd, kind: 'SGD' }), /belongs to "SGD", not Adam/],
    ['a future version', (sd) => ({ ...sd, version: 2 }), /unsupported state dict version 2/],
    ['other group count', (sd) => ({ ...sd, paramGroups: [...sd.paramGroups, sd.paramGroups[0]] }), /expected 1 param group\(s\), got 2/],
    ['other shapes', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvg: new Float32Array(4) }, sd.state[1]] }), /state\[0\]\.expAvg must have 5 elements/],
    ['a missing parameter', (sd) => ({ ...sd, state: [sd.state[0]] }), /state for 2 parameter\(s\), got 1/],
    ['an unknown buffer', (sd) => ({ ...sd, state: [{ ...sd.state[0], momentumBuffer: new Float32Array(5) }, sd.state[1]] }), /momentumBuffer is not a state buffer/],
    ['a bad hyperparameter', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], lr: -1 }] }), /lr: expected a finite number >= 0, got -1/],
    ['steps that differ within a group', (sd) => ({ ...sd, state: [sd.state[0], { ...sd.state[1], step: 3 }] }), /share one step count/],
    ['a negative step', (sd) => ({ ...sd, state: [{ ...sd.state[0], step: -1 }, sd.state[1]] }), /step must be an integer >= 0/],
    ['other param indices', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], params: [1, 0] }] }), /params must be \[0, 1\]/],
    ['a step without its state buffers', (sd) => ({ ...sd, state: [{ step: 1 }, { step: 1 }] }), /state\[0\] has step 1 but no expAvg, expAvgSq/],
    ['amsgrad without its buffer', (sd) => ({ ...sd, paramGroups: [{ ...sd.paramGroups[0], amsgrad: true }] }), /maxExpAvgSq/],
  ];
  it.each(mutations)('%s', (_name, mutate, re) => {
    const { sd, b } = pair();
    const before = snapshot(b);
    expect(() => b.loadStateDict(mutate(structuredClone(sd)) as never)).toThrow(re);
    expect(snapshot(b)).toEqual(before);
    expect(b.paramGroups[0]!.lr).toBe(0.2);
  });
});
