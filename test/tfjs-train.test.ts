// wasm-optim/tfjs `train.*` against real TF.js 4.22 tf.train.
//
// test/fixtures/tfjs.json is written by tools/fixtures/generate_tfjs.mjs from
// @tensorflow/tfjs-core + @tensorflow/tfjs-backend-cpu 4.22: every factory and
// option combination, sizes with SIMD tails, scaled and sparse gradients, one
// two-variable case per combination, 25 steps. Each case is replayed through
// train.* with both kernel builds; tolerance |x - ref| <= 1e-5 * max(1, M), M
// the largest finite |ref| of the case; where TF.js gives NaN (centered
// RMSprop's sqrt of a negative number) the replay must give NaN.
// The behaviour tests compare with tf.train run live next to train.*.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ready } from '../src/index.js';
import { train, type NamedTensor } from '../src/tfjs/index.js';

/** generate_tfjs.mjs: 17 option combinations x (6 + 3 x 2 single-variable cases + 1 two-variable case). */
const GENERATED_CASES = 17 * 13;
/** ... of which TF.js itself ends in NaN (centered RMSprop, small gradients). */
const TFJS_NAN_CASES = 10;
const RTOL = 1e-5;

interface FixtureCase {
  name: string;
  factory: keyof typeof train;
  args: (number | boolean | null)[];
  vars: { name: string; shape: number[]; init: string }[];
  steps: { grads: string[]; params: string[] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/tfjs.json', import.meta.url), 'utf8')) as { steps: number; cases: FixtureCase[] };

function f32(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});
afterAll(async () => {
  await ready({ simd: true });
});

let uid = 0;
const fresh = (prefix: string) => `${prefix}_${uid++}`;

/** Replays one case; returns the worst |x - ref| / (RTOL * max(1, M)) and whether NaN was met. */
function replay(c: FixtureCase): { worst: number; nan: boolean } {
  const tag = fresh('fx');
  const vars = c.vars.map((v) => tf.variable(tf.tensor(f32(v.init), v.shape), true, `${tag}_${v.name}`));
  const create = train[c.factory] as (...a: unknown[]) => tf.Optimizer;
  const opt = create(...c.args);
  let m = 0;
  for (const s of c.steps) for (const p of s.params) for (const x of f32(p)) if (Number.isFinite(x)) m = Math.max(m, Math.abs(x));
  const tol = RTOL * Math.max(1, m);
  let worst = 0;
  let nan = false;
  c.steps.forEach((s, t) => {
    const pairs: NamedTensor[] = vars.map((v, j) => ({ name: v.name, tensor: tf.tensor(f32(s.grads[j]!), c.vars[j]!.shape) }));
    if (t % 2 === 1) pairs.reverse(); // variables are matched by name, in any order
    if (t % 3 === 2) opt.applyGradients(Object.fromEntries(pairs.map((p) => [p.name, p.tensor]))); // the map form
    else opt.applyGradients(pairs);
    pairs.forEach((p) => p.tensor.dispose());
    vars.forEach((v, j) => {
      const got = v.dataSync();
      const ref = f32(s.params[j]!);
      for (let i = 0; i < ref.length; i++) {
        const r = ref[i]!, x = got[i]!;
        if (Number.isNaN(r)) {
          nan = true;
          if (!Number.isNaN(x)) throw new Error(`${c.name}: step ${t + 1}, ${c.vars[j]!.name}[${i}]: TF.js gives NaN, got ${x}`);
          continue;
        }
        const err = Math.abs(x - r);
        if (!(err <= tol)) throw new Error(`${c.name}: step ${t + 1}, ${c.vars[j]!.name}[${i}]: ${x} vs TF.js ${r} (|diff| ${err} > ${tol})`);
        worst = Math.max(worst, err / tol);
      }
    });
  });
  opt.dispose();
  vars.forEach((v) => v.dispose());
  return { worst, nan };
}

describe('train.* replays TF.js 4.22 tf.train trajectories (test/fixtures/tfjs.json)', () => {
  it(`holds exactly ${GENERATED_CASES} cases of ${25} steps, ${TFJS_NAN_CASES} of them with NaN from TF.js`, () => {
    expect(fixture.cases.length).toBe(GENERATED_CASES);
    expect(fixture.steps).toBe(25);
    for (const c of fixture.cases) expect(c.steps.length, c.name).toBe(25);
    const factories = new Set(fixture.cases.map((c) => c.factory));
    expect([...factories].sort()).toEqual(Object.keys(train).sort());
    const withNaN = fixture.cases.filter((c) => c.steps.some((s) => s.params.some((p) => f32(p).some(Number.isNaN))));
    expect(withNaN.length).toBe(TFJS_NAN_CASES);
    for (const c of withNaN) expect(c.name, 'only centered RMSprop gives NaN').toMatch(/^rmsprop\(.*true\)/);
  });
  for (const simd of [true, false]) {
    it(`every case within tolerance (${simd ? 'SIMD' : 'scalar'} build)`, async () => {
      await ready({ simd });
      let worst = 0;
      let nanCases = 0;
      for (const c of fixture.cases) {
        const r = replay(c);
        worst = Math.max(worst, r.worst);
        if (r.nan) nanCases++;
      }
      console.log(`tfjs fixtures (${simd ? "simd" : "scalar"}): worst |x - ref| / tolerance = ${worst}`);
      expect(nanCases).toBe(TFJS_NAN_CASES);
      // the kernels follow TF.js op for op in float32: far inside the tolerance
      expect(worst).toBe(0); // the same bits as TF.js on the cpu backend (the tolerance is the contract)
      await ready({ simd: true });
    });
  }
});

/** Runs `steps` steps of the same gradients through a tf.train optimizer and a train.* one; returns both variables' values. */
function sideBySide(make: 'sgd' | 'momentum' | 'adam', args: number[], gradsFor: (t: number) => Record<string, Float32Array | null>, shapes: Record<string, number[]>, steps: number) {
  const run = (opt: tf.Optimizer, tag: string) => {
    const vs = Object.fromEntries(Object.entries(shapes).map(([k, shape]) => [k, tf.variable(tf.fill(shape, 0.5), true, `${tag}_${k}`)]));
    for (let t = 0; t < steps; t++) {
      const g = gradsFor(t);
      const named = Object.entries(g).filter(([, x]) => x).map(([k, x]) => ({ name: vs[k]!.name, tensor: tf.tensor(x!, shapes[k]) }));
      opt.applyGradients(named);
      named.forEach((n) => n.tensor.dispose());
    }
    const out = Object.fromEntries(Object.entries(vs).map(([k, v]) => [k, v.dataSync().slice()]));
    Object.values(vs).forEach((v) => v.dispose());
    opt.dispose();
    return out;
  };
  const ref = run((tf.train[make] as (...a: number[]) => tf.Optimizer)(...args), fresh('ref'));
  const got = run((train[make] as (...a: number[]) => tf.Optimizer)(...args), fresh('got'));
  return { ref, got };
}

describe('train.* as a tf.Optimizer', () => {
  it('is a tf.Optimizer for all seven factories, with the defaults of tf.train', () => {
    for (const [name, make] of Object.entries(train)) {
      const o = (make as (...a: unknown[]) => tf.Optimizer)(0.01, 0.9);
      expect(o instanceof tf.Optimizer, name).toBe(true);
      expect(o.iterations).toBe(0);
      o.dispose();
    }
    const ref = [tf.train.adam(), tf.train.adamax(), tf.train.adadelta(), tf.train.rmsprop(0.1), tf.train.adagrad(0.1)];
    const got = [train.adam(), train.adamax(), train.adadelta(), train.rmsprop(0.1), train.adagrad(0.1)];
    ref.forEach((r, i) => expect(got[i]!.getConfig()).toEqual(r.getConfig()));
    ref.forEach((r) => r.dispose());
    got.forEach((g) => g.dispose());
  });

  it('minimize(f, returnCost, varList) and computeGradients behave as tf.train', () => {
    const results = [tf.train.adam(0.1), train.adam(0.1)].map((opt) => {
      const w = tf.variable(tf.tensor1d([1, -2, 3]), true, fresh('w'));
      const b = tf.variable(tf.scalar(0.5), true, fresh('b'));
      const loss = () => tf.add(tf.sum(tf.square(w)), tf.square(b)) as tf.Scalar;
      const costs: number[] = [];
      for (let i = 0; i < 5; i++) {
        const c = opt.minimize(loss, true, [w]); // b is not in varList: unchanged
        costs.push(c!.dataSync()[0]!);
        c!.dispose();
      }
      const bAfterVarList = b.dataSync()[0];
      expect(opt.minimize(loss, false)).toBeNull(); // no varList: all trainable variables, b too
      const { value, grads } = opt.computeGradients(loss, [w, b]);
      const out = { w: w.dataSync().slice(), b: bAfterVarList, b2: b.dataSync()[0], costs, iterations: opt.iterations, g: Object.keys(grads).length, v: value.dataSync()[0] };
      value.dispose();
      tf.dispose(grads);
      w.dispose();
      b.dispose();
      opt.dispose();
      return out;
    });
    const [ref, got] = results as [typeof results[0], typeof results[0]];
    expect(got.iterations).toBe(6);
    expect(got.iterations).toBe(ref.iterations);
    expect(got.b).toBe(0.5);
    expect(got.b2).toBe(ref.b2);
    expect(got.b2).not.toBe(0.5);
    expect(got.g).toBe(2);
    expect(got.costs).toEqual(ref.costs);
    expect([...got.w]).toEqual([...ref.w]);
    expect(got.v).toBe(ref.v);
  });

  it('trains a small dense network through minimize() exactly as tf.train does (no model.fit: tf.variable + minimize)', () => {
    // 2 layers (kernels [8, 16], [16, 3] and their biases), softmax cross-entropy, 30 steps, every factory
    const x = tf.randomUniform([32, 8], -1, 1, 'float32', 11);
    const y = tf.oneHot(tf.tensor1d(Array.from({ length: 32 }, (_, i) => i % 3), 'int32'), 3);
    for (const [name, args] of [['sgd', [0.1]], ['momentum', [0.05, 0.9, true]], ['adagrad', [0.05]], ['adadelta', [1]], ['adam', [0.01]], ['adamax', [0.01]], ['rmsprop', [0.01, 0.9, 0.5]]] as const) {
      const [ref, got] = [tf.train, train].map((ns) => {
        const v = tf.tidy(() => [
          tf.variable(tf.randomNormal([8, 16], 0, 0.5, 'float32', 1), true, fresh('k1')),
          tf.variable(tf.zeros([16]), true, fresh('b1')),
          tf.variable(tf.randomNormal([16, 3], 0, 0.5, 'float32', 2), true, fresh('k2')),
          tf.variable(tf.zeros([3]), true, fresh('b2')),
        ]) as [tf.Variable, tf.Variable, tf.Variable, tf.Variable];
        const opt = (ns[name] as (...a: readonly (number | boolean)[]) => tf.Optimizer)(...args);
        const loss = () => tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(tf.relu(tf.add(tf.matMul(x, v[0]), v[1])), v[2]), v[3])) as tf.Scalar;
        const costs: number[] = [];
        for (let t = 0; t < 30; t++) {
          const c = opt.minimize(loss, true, v)!;
          costs.push(c.dataSync()[0]!);
          c.dispose();
        }
        const out = { costs, params: v.flatMap((w) => [...w.dataSync()]) };
        opt.dispose();
        tf.dispose(v);
        return out;
      }) as [{ costs: number[]; params: number[] }, { costs: number[]; params: number[] }];
      expect(got.costs.at(-1)!, name).toBeLessThan(got.costs[0]!); // it trains
      expect(got.costs, name).toEqual(ref.costs);
      expect(got.params, name).toEqual(ref.params);
    }
    tf.dispose([x, y]);
  });

  it('matches variables by name in any order and subset; a variable joining later gets fresh state', () => {
    // momentum has no per-call state, so a late variable's trajectory equals that of a fresh tf.train.momentum
    const gA = (t: number) => new Float32Array([0.1 * t, -0.2, 0.3, 1]);
    const gB = (t: number) => new Float32Array([Math.sin(t), 0.25]);
    const { ref, got } = sideBySide('momentum', [0.1, 0.9], (t) => ({ a: gA(t), b: null }), { a: [4], b: [2] }, 4);
    expect([...got.a!]).toEqual([...ref.a!]);
    // now b joins after 4 steps of a; its trajectory must equal b alone under a fresh optimizer
    const opt = train.momentum(0.1, 0.9);
    const a = tf.variable(tf.fill([4], 0.5), true, fresh('a'));
    const b = tf.variable(tf.fill([2], 0.5), true, fresh('b'));
    for (let t = 0; t < 4; t++) tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor(gA(t)) }));
    for (let t = 0; t < 6; t++) {
      tf.tidy(() => opt.applyGradients(t % 2 ? { [b.name]: tf.tensor(gB(t)), [a.name]: tf.tensor(gA(t)) } : { [b.name]: tf.tensor(gB(t)) }));
    }
    const alone = sideBySide('momentum', [0.1, 0.9], (t) => ({ b: gB(t) }), { b: [2] }, 6);
    expect([...b.dataSync()]).toEqual([...alone.ref.b!]);
    opt.dispose();
    a.dispose();
    b.dispose();
  });

  it('leaks no tensor: numTensors flat over 10,000 steps, and back to before the optimizer after dispose()', () => {
    const w = tf.variable(tf.randomNormal([33]), true, fresh('w'));
    const v = tf.variable(tf.randomNormal([4, 5]), true, fresh('v'));
    const g1 = tf.randomNormal([33]);
    const g2 = tf.randomNormal([4, 5]);
    for (const [name, make] of Object.entries(train)) {
      const before = tf.memory().numTensors;
      const opt = (make as (...a: unknown[]) => tf.Optimizer)(0.001, 0.9);
      opt.applyGradients({ [w.name]: g1, [v.name]: g2 });
      const during = tf.memory().numTensors;
      for (let i = 0; i < 10_000; i++) opt.applyGradients(i % 2 ? { [w.name]: g1, [v.name]: g2 } : [{ name: v.name, tensor: g2 }]);
      expect(tf.memory().numTensors, name).toBe(during);
      opt.dispose();
      expect(tf.memory().numTensors, name).toBe(before);
    }
    tf.dispose([w, v, g1, g2]);
  });
});

describe('train.* refuses bad input and changes nothing', () => {
  function setup() {
    const opt = train.adam(0.1);
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, fresh('a'));
    const b = tf.variable(tf.tensor1d([4, 5]), true, fresh('b'));
    opt.applyGradients({ [a.name]: tf.tensor1d([1, 1, 1]), [b.name]: tf.tensor1d([1, 1]) });
    return { opt, a, b, snap: () => [...a.dataSync(), ...b.dataSync()] };
  }
  const cases: [string, (a: tf.Variable, b: tf.Variable) => unknown, RegExp][] = [
    ['an unknown variable', (a) => ({ [a.name]: tf.tensor1d([1, 1, 1]), nope: tf.tensor1d([1]) }), /no variable named "nope" is registered/],
    ['a gradient of the wrong dtype', (a, b) => ({ [a.name]: tf.tensor1d([1, 1, 1]), [b.name]: tf.tensor1d([1, 1], 'int32') }), /gradient of ".*" to be float32, got int32/],
    ['a gradient of the wrong shape', (a, b) => [{ name: a.name, tensor: tf.tensor1d([1, 1, 1]) }, { name: b.name, tensor: tf.tensor1d([1, 1, 1]) }], /variable's shape \[2\], got \[3\]/],
    ['a gradient that is not a tensor', (a, b) => ({ [a.name]: tf.tensor1d([1, 1, 1]), [b.name]: [1, 1] }), /to be a tf\.Tensor, got an array of length 2/],
    ['a malformed list element', (a) => [{ name: a.name, tensor: tf.tensor1d([1, 1, 1]) }, 7], /expected element 1 to be \{ name: string, tensor \}, got 7/],
    ['a variable given twice', (a) => [{ name: a.name, tensor: tf.tensor1d([1, 1, 1]) }, { name: a.name, tensor: tf.tensor1d([1, 1, 1]) }], /given twice/],
    ['not a map or list', () => 42, /expected a map \{ name: gradient \} or an array of \{ name, tensor \}, got 42/],
  ];
  for (const [what, grads, msg] of cases) {
    it(`refuses ${what}`, () => {
      const { opt, a, b, snap } = setup();
      const before = snap();
      const g = tf.tidy(() => grads(a, b) as tf.NamedTensorMap);
      expect(() => opt.applyGradients(g)).toThrow(msg);
      expect(snap()).toEqual(before);
      expect(opt.iterations).toBe(1);
      // state unchanged too: the next step equals that of an optimizer that never saw the bad call
      const { opt: o2, a: a2, b: b2 } = setup();
      tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor1d([0.5, -1, 2]) }));
      tf.tidy(() => o2.applyGradients({ [a2.name]: tf.tensor1d([0.5, -1, 2]) }));
      expect([...a.dataSync()]).toEqual([...a2.dataSync()]);
      tf.dispose([a, b, a2, b2]);
      opt.dispose();
      o2.dispose();
    });
  }
  it('refuses a variable whose shape changed, naming both shapes', () => {
    const opt = train.momentum(0.1, 0.9);
    const name = fresh('s');
    let v = tf.variable(tf.tensor1d([1, 2, 3]), true, name);
    tf.tidy(() => opt.applyGradients({ [name]: tf.tensor1d([1, 1, 1]) }));
    v.dispose();
    v = tf.variable(tf.tensor1d([1, 2]), true, name);
    expect(() => tf.tidy(() => opt.applyGradients({ [name]: tf.tensor1d([1, 1]) }))).toThrow(/changed shape from \[3\] to \[2\]/);
    expect([...v.dataSync()]).toEqual([1, 2]);
    v.dispose();
    opt.dispose();
  });
  it('refuses use after dispose()', () => {
    const { opt, a, b, snap } = setup();
    const before = snap();
    opt.dispose();
    expect(() => tf.tidy(() => opt.applyGradients({ [a.name]: tf.tensor1d([1, 1, 1]) }))).toThrow(/train\.adam: applyGradients was called after dispose\(\); create a new optimizer/);
    expect(snap()).toEqual(before);
    tf.dispose([a, b]);
  });
  it('refuses to be created before ready(), saying so (a fresh process, the built package)', () => {
    const code =
      "import { train } from 'wasm-optim/tfjs'; import '@tensorflow/tfjs-backend-cpu';" +
      'try { train.adam(0.1); console.log("created"); } catch (e) { console.log(e.message); }';
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(out.trim().split('\n').pop()).toMatch(/^train\.adam: the WebAssembly kernels are not loaded yet; call `await ready\(\)`/);
  });
  it('refuses bad factory arguments, naming the argument', () => {
    expect(() => train.sgd(undefined as unknown as number)).toThrow(/train\.sgd: expected learningRate to be a finite number, got undefined/);
    expect(() => train.adam(0.1, 1.5)).toThrow(/train\.adam: expected beta1 to be at least 0, below 1, got 1\.5/);
    expect(() => train.momentum(0.1, NaN)).toThrow(/expected momentum to be a finite number, got NaN/);
    expect(() => train.rmsprop(0.1, 0.9, 0, null, 'yes' as unknown as boolean)).toThrow(/expected centered to be a boolean, got "yes"/);
    expect(() => train.adagrad(0.1, -1)).toThrow(/expected initialAccumulatorValue to be at least 0/);
    expect(() => train.adadelta(0.1, 0.9, -1)).toThrow(/expected epsilon to be at least 0/);
  });
});
