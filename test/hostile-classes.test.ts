// Deterministic regressions, one or more per class of issue 11 ("read once,
// check, then write"). Each failed on the code before its fix. The promise:
// bad input gets a clear error (naming the argument, what was expected, what
// was given) and parameters, state and step count stay byte for byte as they
// were; or the call works correctly.
import CRC32 from 'crc-32';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, Adagrad, NAdam, SGD, memoryStats, ready } from '../src/index.js';
import { bytesSnapshot } from './snapshot.js';
import { rssGrowthOk } from './rss-judge.js';

beforeAll(() => ready());

const w5 = () => new Float32Array([1, -2, 3, -4, 5]);
const g5 = () => new Float32Array([0.1, 0.2, 0.3, 0.4, 0.5]);

function stepped(): Adam {
  const opt = new Adam([w5()], { lr: 0.1 });
  opt.step([g5()]);
  return opt;
}

/** A checkpoint with the given header object (and data) and a valid CRC. */
function craft(headerJson: string, data = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(headerJson);
  const start = (16 + json.length + 3) & ~3;
  const out = new Uint8Array(start + data.length + 4);
  out.set(new TextEncoder().encode('WOPTCKPT'));
  const view = new DataView(out.buffer);
  view.setUint32(8, 1, true);
  view.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(data, start);
  view.setUint32(start + data.length, CRC32.buf(out.subarray(0, start + data.length)) >>> 0, true);
  return out;
}

describe('1. checked once, read again', () => {
  it('betas whose element getter answers differently on a second read store the value that was checked', () => {
    let reads = 0;
    const betas = [0, 0.999];
    Object.defineProperty(betas, 0, { get: () => (reads++ === 0 ? 0.9 : NaN), enumerable: true });
    const opt = new Adam([w5()], { betas: betas as unknown as [number, number] });
    expect(opt.paramGroups[0]!.betas).toEqual([0.9, 0.999]);
    expect(reads).toBe(1);
    opt.step([g5()]);
    expect(opt.params[0]!.every(Number.isFinite)).toBe(true);
  });

  it('a pair whose iterator lies is read by index, once', () => {
    const opt = stepped();
    const betas = [0.8, 0.99];
    (betas as unknown as { [Symbol.iterator]: unknown })[Symbol.iterator] = function* () {
      yield NaN;
      yield NaN;
    };
    opt.paramGroups[0]!.betas = betas as unknown as [number, number];
    expect(opt.paramGroups[0]!.betas).toEqual([0.8, 0.99]);
  });

  it('a state dict whose entry getter answers differently on a second read loads what was checked, once', () => {
    const src = new NAdam([w5()], { lr: 0.1 });
    src.step([g5()]);
    const sd = src.stateDict();
    const good = sd.state[0];
    let reads = 0;
    Object.defineProperty(sd.state, 0, {
      enumerable: true,
      get: () => (reads++ === 0 ? good : { step: 1, muProduct: NaN, expAvg: new Float32Array(5).fill(NaN), expAvgSq: new Float32Array(5) }),
    });
    const opt = new NAdam([w5()], { lr: 0.1 });
    opt.loadStateDict(sd);
    expect(reads).toBe(1);
    expect(bytesSnapshot(opt)).toEqual({ ...bytesSnapshot(src), params: bytesSnapshot(opt).params });
  });
});

describe('1b. user code that throws while an argument is read', () => {
  it('is reported as a TypeError naming the argument, with nothing changed', () => {
    const opt = stepped();
    const before = bytesSnapshot(opt);
    const throwing = (x: unknown) => ({ get lr() { throw x; } });
    expect(() => new Adam([w5()], throwing(42) as never)).toThrow(/^Adam: reading options\.lr threw \(42\); nothing was changed$/);
    expect(() => opt.loadStateDict({ ...opt.stateDict(), get kind(): string { throw new Error('boom'); } })).toThrow(
      /Adam\.loadStateDict: reading the state dict\.kind threw \(Error: boom\); nothing was changed/,
    );
    const { proxy, revoke } = Proxy.revocable([g5()], {});
    revoke();
    expect(() => opt.step(proxy)).toThrow(/Adam\.step: grads must be an array of 1 Float32Array\(s\), one per parameter, got an object \(a revoked Proxy\?\)/);
    const { proxy: revoked, revoke: revokeIt } = Proxy.revocable({}, {});
    revokeIt();
    expect(() => new Adam([w5()], { get lr() { throw revoked; } } as never)).toThrow(/^Adam: reading options\.lr threw \(a value that cannot be described\); nothing was changed$/);
    const grads = [g5()];
    Object.defineProperty(grads, 0, { get: () => { throw 'nope'; } });
    expect(() => opt.step(grads)).toThrow(/Adam\.step: reading grads threw \("nope"\); nothing was changed/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });
});

describe('2. look-alikes and lying lengths', () => {
  it('a Float32Array subclass whose length lies is measured by its internal slot', () => {
    class Liar extends Float32Array {
      override get length() {
        return 5;
      }
    }
    const opt = stepped();
    const before = bytesSnapshot(opt);
    expect(() => opt.step([new Liar(2)])).toThrow(/Adam\.step: grads\[0\] must have 5 elements, got a Float32Array of length 2/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });

  it('a Proxy around a Float32Array and an object made from its prototype are refused clearly', () => {
    const opt = stepped();
    const before = bytesSnapshot(opt);
    expect(() => opt.step([new Proxy(g5(), {})])).toThrow(/Adam\.step: grads\[0\] must be a Float32Array, got/);
    expect(() => opt.step([Object.create(Float32Array.prototype)])).toThrow(/Adam\.step: grads\[0\] must be a Float32Array, got/);
    expect(() => new SGD([new Proxy(w5(), {})])).toThrow(/SGD: params\[0\] must be a Float32Array.*, got an object that looks like a typed array but is not one/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });

  it("the library's own views cannot be given a shadowing length, and their own properties are never trusted", () => {
    const opt = stepped();
    for (const v of [opt.params[0]!, opt.grads[0]!]) {
      expect(Object.isExtensible(v)).toBe(false);
      expect(() => Object.defineProperty(v, 'length', { value: 1 })).toThrow(TypeError);
    }
    expect((opt.stateDict().state[0]!.expAvg as Float32Array).length).toBe(5);
  });

  it('checkpoint bytes are read through the Uint8Array slots (a lying subarray or length is never used)', () => {
    const src = stepped();
    const bytes = src.save();
    class Lying extends Uint8Array {
      override get length() {
        return 10;
      }
      override subarray(): Uint8Array<ArrayBuffer> {
        throw new Error('lying subarray called');
      }
    }
    const lying = new Lying(bytes.length);
    lying.set(bytes);
    const opt = new Adam([w5()], { lr: 0.1 });
    opt.load(lying);
    expect(bytesSnapshot(opt)).toEqual(bytesSnapshot(src));
    expect(() => opt.load(new Proxy(bytes, {}) as Uint8Array)).toThrow(/Adam\.load: expected the Uint8Array written by save\(\)/);
  });
});

describe('3. re-entrancy', () => {
  it('a gradient getter that disposes the optimizer and creates another is refused; the step goes on correctly', () => {
    const opt = stepped();
    const twin = stepped();
    const errors: unknown[] = [];
    let other: Adam | undefined;
    const grads = [g5()];
    Object.defineProperty(grads, 0, {
      get: () => {
        try {
          opt.dispose();
        } catch (e) {
          errors.push(e);
        }
        try {
          other = new Adam([new Float32Array(5).fill(9)]);
        } catch (e) {
          errors.push(e);
        }
        return g5();
      },
    });
    opt.step(grads);
    twin.step([g5()]);
    expect(opt.disposed).toBe(false);
    expect(other).toBeUndefined();
    expect(errors).toHaveLength(2);
    expect(String(errors[0])).toMatch(/ReentrantCallError: Adam\.dispose: called from a getter, Proxy trap or callback while Adam\.step was reading its arguments/);
    expect(bytesSnapshot(opt)).toEqual(bytesSnapshot(twin));
  });

  it('a Proxy trap of load options that steps the optimizer is refused and nothing changes', () => {
    const opt = stepped();
    const bytes = stepped().save();
    const before = bytesSnapshot(opt);
    const options = new Proxy({}, { ownKeys: () => (opt.step([g5()]), []) });
    expect(() => opt.load(bytes, options)).toThrow(/Adam\.step: called from a getter, Proxy trap or callback while Adam\.load was reading/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });
});

describe("3c. fit's lossAndGrad runs mid-step", () => {
  it('stepping, loading or disposing the optimizer from it is refused; the run goes on consistently', async () => {
    const { fit } = await import('../src/index.js');
    const opt = new SGD([new Float32Array([1, 2])], { lr: 0.1 });
    const bytes = opt.save();
    const refused: unknown[] = [];
    const r = fit(opt, 4, (_batch, _p, grads) => {
      for (const f of [() => opt.step(), () => opt.load(bytes), () => opt.dispose(), () => fit(opt, 1, () => 0)]) {
        try {
          f();
        } catch (e) {
          refused.push(e);
        }
      }
      grads[0]!.fill(1);
      return 1;
    }, { epochs: 2, batchSize: 2 });
    expect(refused).toHaveLength(4 * 4);
    for (const e of refused) expect(String(e)).toMatch(/ReentrantCallError: SGD\.(step|load|dispose): called from fit's lossAndGrad/);
    expect(opt.disposed).toBe(false);
    expect(r.steps).toBe(4);
    expect(opt.stepCount).toBe(4);
    const twin = new SGD([new Float32Array([1, 2])], { lr: 0.1 });
    for (let i = 0; i < 4; i++) twin.step([new Float32Array([1, 1])]);
    expect(bytesSnapshot(opt).params).toEqual(bytesSnapshot(twin).params);
  });
});

describe('3b. schedulers are recognised by a brand, not by their prototype', () => {
  it('a Proxy around a scheduler (whose traps could re-enter) is refused by save and load', async () => {
    const { StepLR } = await import('../src/index.js');
    const opt = stepped();
    const sched = new StepLR(opt, { stepSize: 2 });
    const bytes = opt.save({ schedulers: [sched] });
    const before = bytesSnapshot(opt);
    const refused: unknown[] = [];
    const proxy = new Proxy(sched, {
      get: (t, k, r) => {
        try {
          opt.dispose();
        } catch (e) {
          refused.push(e);
        }
        return Reflect.get(t, k, r);
      },
    });
    expect(() => opt.save({ schedulers: [proxy] })).toThrow(/Adam\.save: options\.schedulers\[0\] must be a scheduler/);
    expect(() => opt.load(bytes, { schedulers: [proxy] })).toThrow(/Adam\.load: options\.schedulers\[0\] must be a scheduler/);
    expect(opt.disposed).toBe(false);
    for (const e of refused) expect(String(e)).toMatch(/ReentrantCallError/);
    expect(bytesSnapshot(opt)).toEqual(before);
    opt.load(bytes, { schedulers: [sched] });
  });
});

describe('4. accepted state round-trips exactly', () => {
  it('a step count that a state dict could not hold after the step is refused, nothing changed', () => {
    const opt = stepped();
    const sd = opt.stateDict();
    sd.state[0]!.step = Number.MAX_SAFE_INTEGER;
    opt.loadStateDict(sd);
    const before = bytesSnapshot(opt);
    expect(() => opt.step([g5()])).toThrow(/Adam\.step: the step count is 9007199254740991, the largest a state dict can hold; nothing was changed/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });

  it('state with step 0 and buffers is refused (stateDict() could not report it)', () => {
    const opt = stepped();
    const before = bytesSnapshot(opt);
    const sd = opt.stateDict();
    sd.state[0] = { step: 0, expAvg: new Float32Array(5).fill(1), expAvgSq: new Float32Array(5).fill(1) };
    expect(() => opt.loadStateDict(sd)).toThrow(/Adam\.loadStateDict: state\[0\] has step 0 but holds expAvg, expAvgSq/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });

  it('-0 hyperparameters are stored as 0, so a checkpoint (JSON) gives back exactly what was accepted', () => {
    const opt = new Adam([w5()], { lr: -0, weightDecay: -0, betas: [-0, 0.5] });
    opt.step([g5()]);
    const copy = new Adam([w5()]);
    copy.load(opt.save());
    expect(bytesSnapshot(copy)).toEqual(bytesSnapshot(opt));
    expect(Object.is(opt.paramGroups[0]!.lr, 0)).toBe(true);
  });

  it('nothing is silently ignored: unknown top-level keys, and eager state missing a buffer, are refused', () => {
    const opt = stepped();
    const before = bytesSnapshot(opt);
    expect(() => opt.loadStateDict({ ...opt.stateDict(), extra: 1 } as never)).toThrow(/Adam\.loadStateDict: unknown key\(s\) "extra" in the state dict/);
    expect(bytesSnapshot(opt)).toEqual(before);
    const ada = new Adagrad([new Float32Array(3)]);
    const sd = ada.stateDict();
    sd.state[0] = { step: 0 };
    expect(() => ada.loadStateDict(sd)).toThrow(/Adagrad\.loadStateDict: state\[0\] has no sum; Adagrad keeps it for every parameter from construction/);
  });

  it('a sparse array is refused, never loaded as NaN', () => {
    const opt = new SGD([new Float32Array(3)], { momentum: 0.9 });
    opt.step([new Float32Array([1, 1, 1])]);
    const before = bytesSnapshot(opt);
    const sd = opt.stateDict();
    // eslint-disable-next-line no-sparse-arrays
    sd.state[0]!.momentumBuffer = [0, , 0] as unknown as Float32Array;
    expect(() => opt.loadStateDict(sd)).toThrow(/SGD\.loadStateDict: the state dict\.state\[0\]\.momentumBuffer is a sparse array \(index 1 of 3 is empty\)/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });

  it('every state dict that loads comes back from stateDict() exactly (number arrays included)', () => {
    const opt = new Adagrad([new Float32Array(3)]);
    const sd = opt.stateDict();
    sd.state[0] = { step: 0, sum: [0.5, 0.25, 1] as unknown as Float32Array };
    opt.loadStateDict(sd);
    expect(opt.stateDict().state[0]).toEqual({ step: 0, sum: new Float32Array([0.5, 0.25, 1]) });
    sd.state[0] = { step: 0, sum: [0.1, 0.25, 1] as unknown as Float32Array };
    expect(() => opt.loadStateDict(sd)).toThrow(/state\[0\]\.sum\[0\] is 0\.1, which a Float32Array cannot hold exactly/);
    const nadam = new NAdam([new Float32Array(2)]);
    const nsd = nadam.stateDict();
    nsd.state[0] = { step: 0, muProduct: 1 } as never;
    expect(() => nadam.loadStateDict(nsd)).toThrow(/state\[0\] has step 0 but holds muProduct/);
  });
});

describe('5. memory hygiene', () => {
  it("a new optimizer's buffer shows none of a disposed one's values, and a small one does not hold a big one's memory", () => {
    const big = new SGD([new Float32Array(1 << 20).fill(7)]);
    big.step([new Float32Array(1 << 20).fill(1)]);
    big.dispose();
    const small = new SGD([new Float32Array(4).fill(1)]);
    const all = new Float32Array(small.params[0]!.buffer);
    let nonZero = 0;
    for (let i = 0; i < all.length; i++) if (all[i] !== 0) nonZero++;
    expect(nonZero).toBe(4); // its own four parameters, nothing else
    expect(small.params[0]!.buffer.byteLength).toBeLessThanOrEqual(1 << 16);
    small.dispose();
    expect(memoryStats().pooledBytes).toBeLessThanOrEqual(64 << 20);
  });
});

describe('6. clear errors', () => {
  it('an option named toString or constructor is an unknown option, not "expected undefined"', () => {
    for (const key of ['toString', 'constructor', 'hasOwnProperty', '__proto__']) {
      const options = JSON.parse(`{"${key}": 1}`);
      expect(() => new Adam([w5()], options)).toThrow(new RegExp(`Adam: unknown option "${key}" in options \\(valid options: lr, `));
    }
  });

  it('options nested thousands deep are refused by depth, not by the call stack', () => {
    let deep: unknown = 0.1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() => new Adam([w5()], { lr: deep as number })).toThrow(/Adam: options\.lr(\[0\])+ is nested more than 32 levels deep/);
  });

  it('a checkpoint header nested thousands deep is refused by depth', () => {
    const opt = stepped();
    const before = bytesSnapshot(opt);
    const header = `{"kind":"Adam","shapes":[5],"params":false,"paramGroups":${'['.repeat(50_000)}${']'.repeat(50_000)},"state":[null]}`;
    expect(() => opt.load(craft(header))).toThrow(/Adam\.load: not a valid wasm-optim checkpoint: the header nests more than 32 levels deep/);
    expect(bytesSnapshot(opt)).toEqual(before);
  });
});

describe('6. clear errors from fit and trajectory', () => {
  it('a lossAndGrad that returns a string or undefined is a TypeError, with or without accumulation', async () => {
    const { fit } = await import('../src/index.js');
    for (const accumulate of [1, 2]) {
      for (const bad of ['0.5', undefined]) {
        const opt = new SGD([new Float32Array(2)]);
        const before = bytesSnapshot(opt);
        expect(() => fit(opt, 4, () => bad as unknown as number, { batchSize: 1, accumulate })).toThrow(
          /fit: lossAndGrad must return the batch's mean loss as a number, got/,
        );
        expect(bytesSnapshot(opt)).toEqual(before);
      }
    }
  });

  it('absurd sizes name the argument', async () => {
    const { fit, trajectory, rosenbrock } = await import('../src/index.js');
    const opt = new SGD([new Float32Array(2)]);
    expect(() => fit(opt, 2 ** 40, () => 0)).toThrow(/fit: data has 1099511627776 examples/);
    expect(() => trajectory(opt, rosenbrock, { steps: 2 ** 40 })).toThrow(/trajectory: options\.steps must be at most/);
  });
});

describe('8. the memory test judges RSS so that load cannot fail it', () => {
  // RSS (MiB) after each tenth of the second 50,000 cycles
  const busyMachine = [300, 301, 300, 346, 346, 347, 346, 346, 347, 346]; // one late GC: +45 MiB once (the CI failure)
  const leak = [300, 303, 306, 309, 312, 315, 318, 321, 324, 327]; // 3 MiB every 5,000 cycles: ~630 bytes per cycle
  it('a one-off jump from GC timing passes; the old rule (second half grows < 32 MiB) failed it', () => {
    const oldRule = (s: number[]) => s[s.length - 1]! - s[0]! < 32;
    expect(oldRule(busyMachine)).toBe(false);
    expect(rssGrowthOk(busyMachine, 2).ok).toBe(true);
  });
  it('a steady leak still fails', () => {
    expect(rssGrowthOk(leak, 2).ok).toBe(false);
  });
});
