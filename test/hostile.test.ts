// The hostile-input battery: every registered optimizer class (read from the
// registry, so new classes are covered automatically) and every public
// function, fed wrong types, wrong lengths, non-finite and negative numbers,
// detached, shared and offset arrays, use after dispose and foreign state.
// Each call either works correctly or throws a clear error, and nothing changes.
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { snapshot } from './helpers.js';
import { classFor } from './registry-cases.js';

type AnyOpt = lib.Optimizer<object>;
type Ctor = new (p: unknown, o?: unknown) => AnyOpt;
const classes = lib.registry.map((e) => [e.name, classFor(e)]) as unknown as [string, Ctor][];

beforeAll(() => lib.ready());

const detached = () => {
  const a = new Float32Array(5);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
};
const hostileValues: unknown[] = [NaN, Infinity, -Infinity, -1, -0.5, 1e300, '0.1', null, undefined, {}, [], true, [0.9, 1], [1, 0.9], [-0.1, 0.5], [NaN, 0.9], [0.5], () => 1, 10n];
const hostileArrays: [string, () => unknown][] = [
  ['a Float64Array', () => new Float64Array(5)],
  ['an Int32Array', () => new Int32Array(5)],
  ['a plain array', () => [1, 2, 3, 4, 5]],
  ['a string', () => 'abcde'],
  ['null', () => null],
  ['undefined', () => undefined],
  ['a detached Float32Array', detached],
  ['a too short Float32Array', () => new Float32Array(4)],
  ['a too long Float32Array', () => new Float32Array(6)],
  ['an empty Float32Array', () => new Float32Array(0)],
];
const okArrays: [string, () => Float32Array][] = [
  ['a SharedArrayBuffer-backed Float32Array', () => new Float32Array(new SharedArrayBuffer(20)).fill(0.5)],
  ['a Float32Array at byteOffset 4 of a larger buffer', () => new Float32Array(new ArrayBuffer(64), 4, 5).fill(0.5)],
  ['a Float32Array at byteOffset 36', () => new Float32Array(new ArrayBuffer(64), 36, 5).fill(0.5)],
];

function clearError(e: unknown, ...mustContain: string[]) {
  expect(e).toBeInstanceOf(Error);
  const msg = (e as Error).message;
  expect(msg.length).toBeGreaterThan(20);
  for (const s of mustContain) expect(msg).toContain(s);
}

function fresh(C: Ctor): { opt: AnyOpt; w: Float32Array } {
  const w = new Float32Array([1, -2, 3, -4, 5]);
  const opt = new C([w, new Float32Array([0.5, 0.25])]);
  opt.step([new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]), new Float32Array([1, -1])]);
  return { opt, w };
}

it('covers every optimizer class the package exports', () => {
  const exported = Object.entries(lib).filter(([, v]) => typeof v === 'function' && v.prototype instanceof lib.Optimizer).map(([k]) => k);
  expect(classes.map(([n]) => n).sort()).toEqual(exported.sort());
});

describe.each(classes)('%s', (name, C) => {
  it('hyperparameter assignment: every hostile value works or throws naming the option, and nothing changes', () => {
    const { opt } = fresh(C);
    const group = opt.paramGroups[0] as unknown as Record<string, unknown>;
    for (const key of Object.keys(group).filter((k) => k !== 'params')) {
      for (const v of hostileValues) {
        const before = snapshot(opt);
        let threw: unknown;
        try {
          group[key] = v;
        } catch (e) {
          threw = e;
        }
        if (threw) {
          clearError(threw, name, key);
          expect(snapshot(opt), `${key} = ${String(v)}`).toEqual(before);
        } else {
          // accepted: the value is stored and a step still works
          expect(group[key]).toEqual(v);
          opt.step([new Float32Array(5).fill(0.1), new Float32Array(2).fill(0.1)]);
        }
        // back to a fresh state for the next case
        opt.loadStateDict((before as { state: never }).state);
        opt.params.forEach((p, i) => p.set((before as { params: number[][] }).params[i]!));
      }
    }
    opt.dispose();
  });

  it('construction: hostile options and params throw clear errors', () => {
    const key = Object.keys(fresh(C).opt.paramGroups[0]!).find((k) => k !== 'params')!;
    for (const v of hostileValues) {
      try {
        new C([new Float32Array(3)], { [key]: v }).dispose();
      } catch (e) {
        clearError(e, name);
      }
    }
    for (const [what, make] of hostileArrays) {
      if (what.includes('Float32Array') && !what.includes('detached')) continue; // any length is a valid parameter
      expect(() => new C([make()]), what).toThrow(/params/);
      expect(() => new C([{ params: [make()] }]), what).toThrow(/params/);
    }
    for (const bad of [undefined, null, 5, 'w', {}, new Float32Array(3)]) expect(() => new C(bad)).toThrow(new RegExp(name));
    expect(() => new C([new Float32Array(2)], 'fast')).toThrow(/options must be an object/);
  });

  it('step: hostile gradients throw clear errors and change nothing; shared and offset arrays work', () => {
    const { opt, w } = fresh(C);
    for (const [what, make] of hostileArrays) {
      const before = snapshot(opt);
      const callerBefore = w.slice();
      let err: unknown;
      try {
        opt.step([make() as Float32Array, new Float32Array(2)]);
      } catch (e) {
        err = e;
      }
      clearError(err, `${name}.step`, 'grads[0]');
      expect(snapshot(opt), what).toEqual(before);
      expect(w).toEqual(callerBefore);
    }
    for (const bad of [null, 'x', {}, [new Float32Array(5)]]) {
      const before = snapshot(opt);
      expect(() => opt.step(bad as never)).toThrow(/grads|gradient/);
      expect(snapshot(opt)).toEqual(before);
    }
    for (const bad of [NaN, Infinity, -Infinity]) {
      const before = snapshot(opt);
      expect(() => opt.step([new Float32Array([0, 0, bad, 0, 0]), new Float32Array(2)])).toThrow(lib.NonFiniteGradientError);
      expect(snapshot(opt)).toEqual(before);
    }
    for (const [what, make] of okArrays) {
      const twin = fresh(C);
      opt.loadStateDict(twin.opt.stateDict());
      opt.params.forEach((p, i) => p.set(twin.opt.params[i]!));
      opt.step([make(), new Float32Array([0.5, 0.5])]);
      twin.opt.step([new Float32Array(5).fill(0.5), new Float32Array([0.5, 0.5])]);
      expect(opt.params[0], what).toEqual(twin.opt.params[0]);
      twin.opt.dispose();
    }
    opt.dispose();
  });

  it('use after dispose is a clear error; dispose twice is harmless', () => {
    const { opt } = fresh(C);
    const sd = opt.stateDict();
    const bytes = opt.save();
    const torchBytes = opt.exportState();
    const group = opt.paramGroups[0] as unknown as Record<string, unknown>;
    const key = Object.keys(group).find((k) => k !== 'params')!;
    opt.dispose();
    opt.dispose();
    const calls: [string, () => unknown][] = [
      ['step()', () => opt.step()],
      ['step(grads)', () => opt.step([new Float32Array(5), new Float32Array(2)])],
      ['params', () => opt.params],
      ['grads', () => opt.grads],
      ['paramGroups', () => opt.paramGroups],
      ['stateDict()', () => opt.stateDict()],
      ['loadStateDict()', () => opt.loadStateDict(sd)],
      ['save()', () => opt.save()],
      ['load()', () => opt.load(bytes)],
      ['exportState()', () => opt.exportState()],
      ['importState()', () => opt.importState(torchBytes)],
      ['stepCount', () => opt.stepCount],
      ['a group option', () => (group[key] = group[key])],
    ];
    for (const [what, call] of calls) expect(call, what).toThrow(/after dispose\(\)/);
    expect(opt.disposed).toBe(true);
  });

  it('state of every other optimizer kind is refused, and nothing changes', () => {
    const { opt } = fresh(C);
    const before = snapshot(opt);
    for (const [otherName, Other] of classes) {
      if (otherName === name) continue;
      const other = fresh(Other).opt;
      expect(() => opt.loadStateDict(other.stateDict() as never)).toThrow(new RegExp(`belongs to "${otherName}", not ${name}`));
      expect(() => opt.load(other.save())).toThrow(new RegExp(`belongs to "${otherName}", not ${name}`));
      expect(() => opt.importState(other.exportState())).toThrow(new RegExp(`${name}\\.importState: this file holds the state of "[\\w.]+\\.${otherName}", not `));
      other.dispose();
    }
    for (const bad of [null, 7, 'state', [], { kind: name }, { kind: name, version: 1, state: [], paramGroups: [] }]) {
      expect(() => opt.loadStateDict(bad as never)).toThrow(new RegExp(`${name}.loadStateDict`));
    }
    for (const bad of [null, 7, 'bytes', new Uint8Array(3), new Float32Array(8), new Uint8Array(64)]) {
      expect(() => opt.load(bad as never)).toThrow(new RegExp(`${name}.load`));
      expect(() => opt.importState(bad as never)).toThrow(new RegExp(`${name}.importState`));
    }
    expect(snapshot(opt)).toEqual(before);
    opt.dispose();
  });
});

describe('free functions', () => {
  it('clipGradNorm, clipGradValue, ready and the references reject hostile input clearly', () => {
    const g = new Float32Array([3, 4]);
    for (const v of [NaN, Infinity, -1, '1', null]) {
      if (v !== Infinity) expect(() => lib.clipGradNorm([g], v as never)).toThrow(/clipGradNorm: invalid maxNorm/);
      expect(() => lib.clipGradValue([g], v as never)).toThrow(/clipGradValue: invalid clipValue/);
    }
    // a look-alike object is not a Float32Array, whatever its toStringTag says
    const fake = { [Symbol.toStringTag]: 'Float32Array', length: 2, buffer: new ArrayBuffer(8) };
    expect(() => lib.clipGradNorm([fake as never], 1)).toThrow(/grads\[0\] must be a Float32Array/);
    expect(() => new lib.SGD([fake as never])).toThrow(/params\[0\]/);
    for (const [, make] of hostileArrays.slice(0, 7)) {
      expect(() => lib.clipGradNorm([make() as Float32Array], 1)).toThrow(/clipGradNorm: grads\[0\]/);
      expect(() => lib.clipGradValue([make() as Float32Array], 1)).toThrow(/clipGradValue: grads\[0\]/);
    }
    expect(Array.from(g)).toEqual([3, 4]);
    for (const [, make] of okArrays) {
      const a = make();
      expect(lib.clipGradNorm([a], 0.5)).toBeCloseTo(Math.sqrt(5 * 0.25), 6);
    }
    return Promise.all([
      expect(lib.ready(null as never)).rejects.toThrow(/ready: expected options to be an object/),
      expect(lib.ready({ simd: 1 } as never)).rejects.toThrow(/options.simd to be a boolean/),
    ]).then(() => {
      for (const [name, ref] of Object.entries(lib.reference)) {
        const r = ref as lib.reference.ReferenceMethod<object, object>;
        expect(() => r.init(-1)).toThrow(new RegExp(`reference.${name}.init: n must be an integer >= 0, got -1`));
        const s = r.init(5);
        expect(() => r.step(new Float32Array(5), new Float32Array(4), s)).toThrow(/g must have 5 elements/);
        expect(() => r.step(new Float64Array(5) as never, new Float32Array(5), s)).toThrow(/p must be a Float32Array/);
        expect(() => r.step(new Float32Array(5), detached(), s)).toThrow(/g is a detached Float32Array/);
        expect(() => r.step(new Float32Array(5), new Float32Array(5), null as never)).toThrow(/state must be the object init\(\) returned/);
      }
    });
  });
});
