// Fuzzing the promise of issue 11 with fast-check: hostile arrays, hostile
// option objects, hostile state dicts and checkpoints, and random
// interleavings of create, step, load and dispose. Every case asserts the
// promise itself: either a clear error (an Error naming the call, never a
// stack overflow or a raw engine message) AND parameters, state and step
// count byte-identical to before, or a correct result (equal to a twin fed
// the genuine values). Counts: RUNS runs per property (see the report in the
// README's "Reliability" section).
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { bytesSnapshot } from './snapshot.js';

beforeAll(() => lib.ready());

const RUNS = Number(process.env.FUZZ_RUNS ?? 500);
type Rule = { type: string; firstMayBeNull?: boolean; test(v: never): boolean };
type AnyOpt = lib.Optimizer<object>;
type Ctor = new (p: unknown, o?: unknown) => AnyOpt;
const byName = Object.fromEntries(lib.registry.map((e) => [e.name, e])) as Record<string, lib.OptimizerEntry>;
const kinds = ['SGD', 'Adam', 'NAdam', 'Rprop', 'Adagrad', 'ASGD', 'Lamb'];

function make(kind: string, lengths: readonly number[], seed = 1): AnyOpt {
  const e = byName[kind]!;
  const C = e.class as unknown as Ctor;
  return new C(
    lengths.map((n, t) => Float32Array.from({ length: n }, (_, i) => Math.sin(seed + 7 * t + i))),
    { ...(e.allState as object) },
  );
}
const grad = (n: number, seed: number) => Float32Array.from({ length: n }, (_, i) => Math.cos(seed * 3 + i) * 0.5);

/** A clear error: an Error whose message names the call (`owner`), is not an engine's raw message, and is not a stack overflow. */
function expectClear(e: unknown, owner: string): void {
  expect(e).toBeInstanceOf(Error);
  const msg = (e as Error).message;
  expect(msg).toContain(owner);
  expect(msg).not.toMatch(/Maximum call stack|Invalid typed array length|is not a function|Cannot read prop|undefined is not/);
}

function attempt(f: () => void): { ok: true } | { ok: false; error: unknown } {
  try {
    f();
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

// ---------------------------------------------------------------------------
// Hostile arrays: what a gradient (or a parameter) can be.

interface Hostile {
  label: string;
  make: (n: number, values: Float32Array) => unknown;
  /** whether the library must accept it (a genuine, live Float32Array of the right length) */
  valid: boolean;
}

/** A resizable ArrayBuffer (ES2024; typed loosely for ES2022 libs). */
const resizable = (n: number, max: number): ArrayBuffer => new (ArrayBuffer as unknown as new (n: number, o: object) => ArrayBuffer)(n, { maxByteLength: max });

const detachedOf = (n: number) => {
  const a = new Float32Array(n);
  structuredClone(a.buffer, { transfer: [a.buffer] });
  return a;
};

const hostileArrays: Hostile[] = [
  { label: 'genuine', valid: true, make: (_n, v) => v.slice() },
  { label: 'at an offset of a larger buffer', valid: true, make: (n, v) => { const a = new Float32Array(new ArrayBuffer(4 * n + 12), 12, n); a.set(v); return a; } },
  { label: 'SharedArrayBuffer-backed', valid: true, make: (n, v) => { const a = new Float32Array(new SharedArrayBuffer(4 * n)); a.set(v); return a; } },
  { label: 'resizable buffer, fixed length', valid: true, make: (n, v) => { const a = new Float32Array(resizable(4 * n, 8 * n + 8), 0, n); a.set(v); return a; } },
  { label: 'resizable buffer, length-tracking', valid: true, make: (n, v) => { const a = new Float32Array(resizable(4 * n, 8 * n + 8)); a.set(v); return a; } },
  {
    label: 'resizable buffer shrunk below its view', valid: false,
    make: (n, v) => { const b = resizable(4 * n, 8 * n + 8); const a = new Float32Array(b, 0, n); a.set(v); (b as unknown as { resize(n: number): void }).resize(4 * n - 4); return a; },
  },
  {
    label: 'length-tracking, grown', valid: false,
    make: (n, v) => { const b = resizable(4 * n, 8 * n + 8); const a = new Float32Array(b); a.set(v); (b as unknown as { resize(n: number): void }).resize(4 * n + 4); return a; },
  },
  {
    label: 'subclass with a lying length', valid: false,
    make: (n, v) => {
      class Liar extends Float32Array {
        override get length() {
          return n;
        }
      }
      const a = new Liar(Math.max(0, n - 1));
      a.set(v.subarray(0, n - 1));
      return a;
    },
  },
  {
    label: 'subclass with a lying length, right size', valid: true,
    make: (n, v) => {
      class Liar extends Float32Array {
        override get length() {
          return 1;
        }
      }
      const a = new Liar(n);
      a.set(v);
      return a;
    },
  },
  { label: 'own length property, short', valid: false, make: (n, v) => { const a = v.slice(0, n - 1); Object.defineProperty(a, 'length', { value: n }); return a; } },
  { label: 'Proxy of a Float32Array', valid: false, make: (_n, v) => new Proxy(v.slice(), {}) },
  { label: 'look-alike from the prototype', valid: false, make: (n) => Object.defineProperty(Object.create(Float32Array.prototype), 'length', { value: n }) },
  { label: 'detached', valid: false, make: (n) => detachedOf(n) },
  { label: 'Float64Array', valid: false, make: (_n, v) => Float64Array.from(v) },
  { label: 'plain array', valid: false, make: (_n, v) => Array.from(v) },
  { label: 'too long', valid: false, make: (n, v) => { const a = new Float32Array(n + 1); a.set(v); return a; } },
  { label: 'null', valid: false, make: () => null },
  { label: 'a number', valid: false, make: (n) => n },
];

/** A list holding `items`: a real array, an array with index getters, or a Proxy of an array (reads counted). */
function hostileList(items: unknown[], how: number, reads: { n: number }, sideEffect: () => void): unknown {
  if (how === 0) return items;
  if (how === 1) {
    const arr: unknown[] = new Array(items.length);
    items.forEach((x, i) =>
      Object.defineProperty(arr, i, {
        enumerable: true,
        get: () => {
          reads.n++;
          sideEffect();
          return x;
        },
      }),
    );
    return arr;
  }
  return new Proxy(items, {
    get(t, k, r) {
      reads.n++;
      sideEffect();
      return Reflect.get(t, k, r);
    },
    getOwnPropertyDescriptor(t, k) {
      reads.n++;
      sideEffect();
      return Reflect.getOwnPropertyDescriptor(t, k);
    },
  });
}

describe('fuzz: hostile arrays', () => {
  it('step(grads) with any mix of hostile gradients and lists, with re-entrant getters: correct result or clear error and nothing changed', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...kinds),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: hostileArrays.length - 1 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 2 }),
        fc.constantFrom('none', 'step', 'dispose', 'construct', 'load', 'setLr'),
        (kind, lengths, picks, how, reenter) => {
          const opt = make(kind, lengths);
          const twin = make(kind, lengths);
          opt.step(lengths.map((n) => grad(n, 1)));
          twin.step(lengths.map((n) => grad(n, 1)));
          const before = bytesSnapshot(opt);
          const saved = opt.save();
          const values = lengths.map((n, t) => grad(n, 2 + t));
          const chosen = lengths.map((_, t) => hostileArrays[picks[t]!]!);
          const reentrantErrors: unknown[] = [];
          const sideEffect = () => {
            if (reenter === 'none') return;
            try {
              if (reenter === 'step') opt.step();
              else if (reenter === 'dispose') opt.dispose();
              else if (reenter === 'construct') make('SGD', [3]).dispose();
              else if (reenter === 'load') opt.load(saved);
              else (opt.paramGroups[0] as unknown as { lr: number }).lr = 0.5;
            } catch (e) {
              reentrantErrors.push(e);
            }
          };
          const reads = { n: 0 };
          const list = hostileList(lengths.map((n, t) => chosen[t]!.make(n, values[t]!)), how, reads, sideEffect);
          const r = attempt(() => opt.step(list as Float32Array[]));
          // every re-entrant call from a getter or trap was refused clearly
          for (const e of reentrantErrors) expect(String(e)).toMatch(/ReentrantCallError: .*while \w+\.step was reading its arguments/);
          if (how !== 0 && reenter !== 'none') expect(reentrantErrors.length).toBeGreaterThan(0);
          expect(opt.disposed).toBe(false);
          if (chosen.every((c) => c.valid)) {
            expect(r.ok).toBe(true);
            twin.step(values);
            expect(bytesSnapshot(opt)).toEqual(bytesSnapshot(twin));
          } else {
            expect(r.ok).toBe(false);
            if (!r.ok) expectClear(r.error, `${kind}.step`);
            expect(bytesSnapshot(opt)).toEqual(before);
          }
          opt.dispose();
          twin.dispose();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('constructor params: hostile arrays are refused clearly (nothing allocated) or used by their internal slots', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.integer({ min: 2, max: 9 }), fc.integer({ min: 0, max: hostileArrays.length - 1 }), (kind, n, pick) => {
        const h = hostileArrays[pick]!;
        const values = grad(n, 5);
        const arenas = lib.memoryStats().liveArenas;
        const C = byName[kind]!.class as unknown as Ctor;
        let opt: AnyOpt | undefined;
        const r = attempt(() => (opt = new C([h.make(n, values)])));
        if (h.valid || h.label === 'too long') {
          expect(r.ok).toBe(true);
          const len = h.label === 'too long' ? n + 1 : n;
          expect(opt!.params[0]!.length).toBe(len);
          expect(Array.from(opt!.params[0]!.subarray(0, n))).toEqual(Array.from(values));
          opt!.dispose();
        } else if (!r.ok) {
          expectClear(r.error, kind);
          expect(lib.memoryStats().liveArenas).toBe(arenas);
        } else {
          // a short or detached array is a legitimate (if odd) parameter of its true length
          expect(['resizable buffer shrunk below its view', 'subclass with a lying length', 'own length property, short', 'length-tracking, grown']).toContain(h.label);
          opt!.dispose();
        }
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Hostile option objects.

const keysPool = ['lr', 'betas', 'eps', 'momentum', 'weightDecay', 'maximize', 'checkFinite', 'maxGradNorm', 'toString', '__proto__', 'constructor', 'valueOf', 'hasOwnProperty', 'foreach', 'etas'];

/** A hostile value: plain, getter-wrapped (changing on the second read), iterator-lying pairs, proxies, deep nesting. */
const hostileValue: fc.Arbitrary<() => unknown> = fc.oneof(
  fc.constantFrom(0.01, 0.5, 0, -1, NaN, Infinity, 1e300, '0.1', null, undefined, true, false, 10n).map((v) => () => v),
  fc.tuple(fc.double({ min: 0, max: 0.999, noNaN: true }), fc.double({ min: 0, max: 0.999, noNaN: true })).map(([a, b]) => () => [a, b]),
  fc.constantFrom(
    () => {
      let n = 0;
      const a = [0, 0.99];
      Object.defineProperty(a, 0, { get: () => (n++ === 0 ? 0.9 : NaN), enumerable: true });
      return a;
    },
    () => {
      const a = [0.9, 0.99];
      (a as unknown as Record<symbol, unknown>)[Symbol.iterator] = function* () {
        yield NaN;
        yield NaN;
      };
      return a;
    },
    () => new Proxy([0.9, 0.99], { get: (t, k, r) => (k === '0' ? NaN : Reflect.get(t, k, r)) }),
    () => {
      let d: unknown = 0.1;
      for (let i = 0; i < 5000; i++) d = [d];
      return d;
    },
    () => {
      let d: unknown = 0.1;
      for (let i = 0; i < 5000; i++) d = { lr: d };
      return d;
    },
    // eslint-disable-next-line no-sparse-arrays
    () => [0.9, , 0.99],
    () => new Float64Array([0.9, 0.99]),
    () => ({ valueOf: () => 0.1 }),
  ),
);

function hostileOptions(entries: [string, () => unknown, boolean][], asProxy: boolean, reads: Map<string, number>): object {
  const o: Record<string, unknown> = {};
  for (const [k, v, getter] of entries) {
    const value = v();
    if (getter) {
      Object.defineProperty(o, k, {
        enumerable: true,
        configurable: true,
        get: () => {
          reads.set(k, (reads.get(k) ?? 0) + 1);
          return reads.get(k)! > 1 ? NaN : value;
        },
      });
    } else Object.defineProperty(o, k, { value, enumerable: true, configurable: true, writable: true });
  }
  return asProxy ? new Proxy(o, {}) : o;
}

describe('fuzz: hostile option objects', () => {
  it('constructor options: stored values satisfy their rules (read once), or a clear error with nothing allocated', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('SGD', 'Adam', 'Rprop', 'RMSprop'),
        fc.array(fc.tuple(fc.constantFrom(...keysPool), hostileValue, fc.boolean()), { maxLength: 4 }),
        fc.boolean(),
        (kind, entries, asProxy) => {
          const reads = new Map<string, number>();
          const options = hostileOptions(entries, asProxy, reads);
          const arenas = lib.memoryStats().liveArenas;
          const C = byName[kind]!.class as unknown as Ctor;
          let opt: AnyOpt | undefined;
          const r = attempt(() => (opt = new C([new Float32Array([1, 2, 3])], options)));
          for (const n of reads.values()) expect(n).toBe(1);
          if (!r.ok) {
            expectClear(r.error, kind);
            expect(lib.memoryStats().liveArenas).toBe(arenas);
            return;
          }
          const rules = byName[kind]!.rules as Record<string, Rule>;
          const g = opt!.paramGroups[0] as unknown as Record<string, unknown>;
          for (const [k, rule] of Object.entries(rules)) {
            const v = g[k];
            if (rule.type === 'pair') expect(Array.isArray(v) && (v as unknown[]).every((x, i) => typeof x === 'number' || (i === 0 && rule.firstMayBeNull && x === null))).toBe(true);
            else expect(typeof v).toBe(rule.type);
            expect(rule.test(v as never)).toBe(true);
          }
          expect(opt!.step([new Float32Array([0.1, 0.2, 0.3])])).toBe(true);
          opt!.dispose();
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('hyperparameter assignment: a hostile value is stored as read once, or refused clearly with nothing changed', () => {
    fc.assert(
      fc.property(fc.constantFrom('Adam', 'SGD', 'Rprop'), fc.constantFrom('lr', 'betas', 'etas', 'stepSizes', 'momentum', 'toString'), hostileValue, (kind, key, v) => {
        const opt = make(kind, [3]);
        opt.step([grad(3, 1)]);
        const before = bytesSnapshot(opt);
        const group = opt.paramGroups[0] as unknown as Record<string, unknown>;
        const r = attempt(() => (group[key] = v()));
        if (!r.ok) {
          expectClear(r.error, kind);
          expect(bytesSnapshot(opt)).toEqual(before);
        } else {
          const rule = (byName[kind]!.rules as Record<string, Rule>)[key]!;
          expect(rule.test(group[key] as never)).toBe(true);
          expect(opt.step([grad(3, 2)])).toBe(true);
        }
        opt.dispose();
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Hostile state dicts and checkpoints.

type Path = (string | number)[];
function paths(v: unknown, prefix: Path = [], out: Path[] = []): Path[] {
  if (v === null || typeof v !== 'object' || v instanceof Float32Array) return out;
  for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(v))) {
    if (k === 'length' || !('value' in d)) continue; // never run a getter planted by an earlier mutation
    const x = d.value as unknown;
    const p = [...prefix, Array.isArray(v) ? Number(k) : k];
    out.push(p);
    paths(x, p, out);
  }
  return out;
}

const mutation = fc.oneof(
  fc.constantFrom(NaN, -1, 0, 1.5, 2 ** 60, '1', null, undefined, true, [], {}, [0, 1]).map((v) => ({ kind: 'set' as const, v })),
  fc.constant({ kind: 'getter-changes' as const }),
  fc.constant({ kind: 'getter-reenters' as const }),
  fc.constant({ kind: 'proxy' as const }),
  fc.constant({ kind: 'hole' as const }),
  fc.constant({ kind: 'float-array' as const }),
  fc.constant({ kind: 'delete' as const }),
);

describe('fuzz: hostile state dicts and checkpoints', () => {
  it('loadStateDict of a mutated state dict: loads and round-trips exactly, or a clear error with nothing changed', () => {
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.array(fc.tuple(fc.nat(), mutation), { minLength: 1, maxLength: 3 }), (kind, muts) => {
        const opt = make(kind, [3, 2]);
        opt.step([grad(3, 1), grad(2, 1)]);
        const other = make(kind, [3, 2], 9);
        other.step([grad(3, 4), grad(2, 4)]);
        other.step([grad(3, 5), grad(2, 5)]);
        const before = bytesSnapshot(opt);
        const sd = other.stateDict() as unknown as Record<string, unknown>;
        const reenter: unknown[] = [];
        for (const [at, m] of muts) {
          const all = paths(sd);
          if (!all.length) break;
          const path = all[at % all.length]!;
          const parent = path.slice(0, -1).reduce((o: any, k) => o?.[k], sd) as Record<string | number, unknown> | undefined;
          if (parent === null || typeof parent !== 'object') continue;
          const key = path[path.length - 1]!;
          const desc = Object.getOwnPropertyDescriptor(parent, key);
          if (!desc || !('value' in desc)) continue; // already a getter: leave it
          const old = desc.value;
          const put = (value: unknown) => Object.defineProperty(parent, key, { value, enumerable: true, configurable: true, writable: true });
          if (m.kind === 'set') put(m.v);
          else if (m.kind === 'delete') delete parent[key];
          else if (m.kind === 'hole') put([0, , 0]); // eslint-disable-line no-sparse-arrays
          else if (m.kind === 'float-array') put(ArrayBuffer.isView(old) && old instanceof Float32Array ? Array.from(old) : new Float32Array(3));
          else if (m.kind === 'proxy' && old !== null && typeof old === 'object') put(new Proxy(old, {}));
          else if (m.kind === 'getter-changes' || m.kind === 'getter-reenters') {
            let n = 0;
            Object.defineProperty(parent, key, {
              enumerable: true,
              configurable: true,
              get: () => {
                if (m.kind === 'getter-reenters') {
                  try {
                    opt.step([grad(3, 7), grad(2, 7)]);
                  } catch (e) {
                    reenter.push(e);
                  }
                  try {
                    opt.dispose();
                  } catch (e) {
                    reenter.push(e);
                  }
                }
                return n++ === 0 ? old : NaN;
              },
            });
          }
        }
        const r = attempt(() => opt.loadStateDict(sd as never));
        for (const e of reenter) expect(e).toBeInstanceOf(lib.ReentrantCallError);
        expect(opt.disposed).toBe(false);
        if (!r.ok) {
          expectClear(r.error, `${kind}.loadStateDict`);
          expect(bytesSnapshot(opt)).toEqual(before);
        } else {
          // what was accepted round-trips exactly: loading what stateDict() reports changes nothing
          const after = bytesSnapshot(opt);
          opt.loadStateDict(opt.stateDict());
          expect(bytesSnapshot(opt)).toEqual(after);
          const copy = make(kind, [3, 2]);
          copy.loadStateDict(opt.stateDict());
          expect(bytesSnapshot(copy).state).toEqual(after.state);
          expect(bytesSnapshot(copy).stepCount).toBe(after.stepCount);
          copy.dispose();
        }
        opt.dispose();
        other.dispose();
      }),
      { numRuns: RUNS },
    );
  });

  it('load of a checkpoint whose header was mutated (with a valid CRC): loads and round-trips, or a clear error with nothing changed', async () => {
    const CRC32 = (await import('crc-32')).default;
    const hostileJson = fc.oneof(
      fc.constantFrom('null', '-1', '1e400', '"x"', '[]', '{}', 'true', '0', '2', '[0,1]', '{"__proto__":{"lr":1}}', '{"toString":1}', '9007199254740993'),
      fc.integer({ min: 33, max: 60_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)),
    );
    fc.assert(
      fc.property(fc.constantFrom(...kinds), fc.nat(), hostileJson, fc.boolean(), (kind, at, replacement, withParams) => {
        const src = make(kind, [3, 2], 4);
        src.step([grad(3, 1), grad(2, 1)]);
        const bytes = src.save({ params: withParams });
        const hlen = new DataView(bytes.buffer).getUint32(12, true);
        const header = new TextDecoder().decode(bytes.subarray(16, 16 + hlen));
        // replace one JSON value (a number, string, literal, array or object) in the header
        const tokens = [...header.matchAll(/-?\d+(\.\d+)?(e[-+]?\d+)?|"[^"]*"(?!:)|true|false|null|\[[^[\]{}]*\]/g)];
        const t = tokens[at % tokens.length]!;
        const mutated = header.slice(0, t.index) + replacement + header.slice(t.index! + t[0].length);
        const json = new TextEncoder().encode(mutated);
        const start = (16 + json.length + 3) & ~3;
        const oldStart = (16 + hlen + 3) & ~3;
        const data = bytes.subarray(oldStart, bytes.length - 4);
        const out = new Uint8Array(start + data.length + 4);
        out.set(bytes.subarray(0, 16));
        new DataView(out.buffer).setUint32(12, json.length, true);
        out.set(json, 16);
        out.set(data, start);
        new DataView(out.buffer).setUint32(start + data.length, CRC32.buf(out.subarray(0, start + data.length)) >>> 0, true);

        const opt = make(kind, [3, 2]);
        const before = bytesSnapshot(opt);
        const r = attempt(() => opt.load(out));
        if (!r.ok) {
          expectClear(r.error, `${kind}.load`);
          expect(bytesSnapshot(opt)).toEqual(before);
        } else {
          const after = bytesSnapshot(opt);
          const again = make(kind, [3, 2]);
          again.load(opt.save());
          expect(bytesSnapshot(again)).toEqual(after);
          again.dispose();
        }
        opt.dispose();
        src.dispose();
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------
// Random interleavings of create, step, save/load, stateDict, dispose.

const command = fc.oneof(
  fc.record({ c: fc.constant('create' as const), kind: fc.constantFrom(...kinds), lengths: fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 3 }) }),
  fc.record({ c: fc.constant('step' as const), who: fc.nat(), seed: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ c: fc.constant('stepZeroCopy' as const), who: fc.nat(), seed: fc.integer({ min: 0, max: 50 }) }),
  fc.record({ c: fc.constant('roundTrip' as const), who: fc.nat() }),
  fc.record({ c: fc.constant('dispose' as const), who: fc.nat() }),
  fc.record({ c: fc.constant('bigCreateDispose' as const), n: fc.integer({ min: 1000, max: 200_000 }) }),
);

describe('fuzz: interleavings', () => {
  it('any sequence of create/step/save+load/dispose: each optimizer evolves exactly as alone, sees no other memory, and a disposed one refuses everything', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 25 }), (cmds) => {
        type Live = { opt: AnyOpt; kind: string; lengths: number[]; history: ((o: AnyOpt) => void)[] };
        const all: Live[] = [];
        const pick = (who: number) => (all.length ? all[who % all.length]! : undefined);
        for (const cmd of cmds) {
          if (cmd.c === 'create') {
            const opt = make(cmd.kind, cmd.lengths);
            // nothing of another optimizer is visible through its memory: only its own initial values and zeros/initial state
            const fresh = new Float32Array(opt.params[0]!.buffer);
            const own = opt.params.reduce((s, p) => s + p.length, 0);
            let nonZero = 0;
            for (let i = 0; i < fresh.length; i++) if (fresh[i] !== 0) nonZero++;
            const stateFloats = 4 * 4 * own + 64; // initial state fills (Rprop's step sizes, Adagrad's sum) at most
            expect(nonZero).toBeLessThanOrEqual(own + stateFloats);
            all.push({ opt, kind: cmd.kind, lengths: cmd.lengths, history: [] });
          } else if (cmd.c === 'bigCreateDispose') {
            const big = new lib.SGD([new Float32Array(cmd.n).fill(3)]);
            big.dispose();
          } else {
            const l = pick(cmd.who);
            if (!l) continue;
            const { opt, lengths } = l;
            if (opt.disposed) {
              expect(() => opt.step()).toThrow(/after dispose\(\)/);
              expect(() => opt.params).toThrow(/after dispose\(\)/);
              expect(() => opt.load(new Uint8Array(32))).toThrow(/after dispose\(\)/);
              continue;
            }
            if (cmd.c === 'step') {
              const f = (o: AnyOpt) => o.step(lengths.map((n) => grad(n, cmd.seed)));
              f(opt);
              l.history.push(f);
            } else if (cmd.c === 'stepZeroCopy') {
              const f = (o: AnyOpt) => {
                o.grads.forEach((g, t) => g.set(grad(g.length, cmd.seed + t)));
                o.step();
              };
              f(opt);
              l.history.push(f);
            } else if (cmd.c === 'roundTrip') {
              const before = bytesSnapshot(opt);
              opt.load(opt.save());
              expect(bytesSnapshot(opt)).toEqual(before);
            } else if (cmd.c === 'dispose') {
              const views = opt.params;
              opt.dispose();
              for (const v of views) expect(v.length).toBe(0);
            }
          }
        }
        // replay each live optimizer's history alone: the bytes are the same
        for (const l of all) {
          if (l.opt.disposed) continue;
          const alone = make(l.kind, l.lengths);
          for (const f of l.history) f(alone);
          expect(bytesSnapshot(l.opt)).toEqual(bytesSnapshot(alone));
          alone.dispose();
          l.opt.dispose();
        }
      }),
      { numRuns: Math.max(20, RUNS / 2) },
    );
  });
});
