// wasm-optim/tfjs toTfjs(Cls, options, { groups }): any registered optimizer as
// a tf.Optimizer, checked against `new Cls(...)` stepping the same gradients.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, AdamW, CosineAnnealingLR, Lion, NAdam, NonFiniteGradientError, SGD, mulberry32, ready, registry } from '../src/index.js';
import { toTfjs, TfjsWasmOptimizer } from '../src/tfjs/index.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
  await ready();
});

let uid = 0;
const SHAPES = [[3, 5], [7], [2, 2, 3]];

function randn(rand: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rand() * 2 - 1);
}

/** Variables of SHAPES with names `${tag}_w`, `${tag}_bias`, `${tag}_gamma`. */
function makeVars(seed: number) {
  const tag = `tt${uid++}`;
  const rand = mulberry32(seed);
  const names = ['w', 'bias', 'gamma'].map((s) => `${tag}_${s}`);
  const inits = SHAPES.map((s) => randn(rand, s.reduce((a, b) => a * b, 1)));
  const vars = SHAPES.map((s, i) => tf.variable(tf.tensor(inits[i]!, s), true, names[i]));
  return { names, inits, vars, rand };
}

type AnyCls = new (params: Float32Array[], options?: object) => { step(g?: Float32Array[]): boolean; params: readonly Float32Array[]; dispose(): void };

describe('toTfjs', () => {
  const cases: [string, AnyCls, object, object | undefined, (name: string) => number][] = [
    ['Adam', Adam as never, { lr: 0.01 }, undefined, () => 0],
    ['AdamW with groups', AdamW as never, { lr: 0.01, weightDecay: 0.1 }, { groups: [{ match: /bias|gamma|beta/, weightDecay: 0 }] }, (n) => (/bias|gamma/.test(n) ? 0 : 1)],
    ['Lion', Lion as never, { lr: 1e-3, weightDecay: 0.5 }, undefined, () => 0],
    ['NAdam (running mu product)', NAdam as never, { lr: 0.01 }, undefined, () => 0],
    ['SGD with momentum', SGD as never, { lr: 0.05, momentum: 0.9, nesterov: true }, undefined, () => 0],
  ];
  for (const [label, Cls, options, extra, groupOf] of cases) {
    it(`${label}: bit-identical to new Cls(...) on the same gradients, variables in any order`, () => {
      const { names, inits, vars, rand } = makeVars(label.length);
      const opt = toTfjs(Cls as never, options as never, extra as never);
      expect(opt).toBeInstanceOf(tf.Optimizer);
      // the core optimizer: one param group per toTfjs group, as the variables fall
      const params = inits.map((x) => x.slice());
      const groups = extra ? [0, 1].map((g) => ({ params: params.filter((_, i) => groupOf(names[i]!) === g), ...(g === 0 ? { weightDecay: 0 } : {}) })) : undefined;
      const core = new Cls((groups ?? params) as never, options);
      const order = extra ? [...params.keys()].sort((a, b) => groupOf(names[a]!) - groupOf(names[b]!)) : [...params.keys()];
      for (let t = 0; t < 12; t++) {
        const grads = SHAPES.map((_, i) => randn(rand, params[i]!.length));
        core.step(order.map((i) => grads[i]!));
        const pairs = names.map((name, i) => ({ name, tensor: tf.tensor(grads[i]!, SHAPES[i]) }));
        if (t % 2) pairs.reverse();
        if (t % 3 === 2) opt.applyGradients(Object.fromEntries(pairs.map((p) => [p.name, p.tensor])));
        else opt.applyGradients(pairs);
        pairs.forEach((p) => p.tensor.dispose());
      }
      vars.forEach((v, i) => expect(v.dataSync()).toEqual(params[i]));
      expect(opt.iterations).toBe(12);
      opt.dispose();
      core.dispose();
      vars.forEach((v) => v.dispose());
    });
  }

  it('any subset per call; a variable joining later gets fresh state, the others keep theirs', () => {
    const { names, inits, vars, rand } = makeVars(7);
    const opt = toTfjs(Adam, { lr: 0.01 });
    const cores = inits.map((x) => new Adam([x.slice()], { lr: 0.01 }));
    const calls = [[0], [0, 1], [1], [2, 0], [0, 1, 2], [2]];
    for (const call of calls) {
      const grads = call.map((i) => randn(rand, inits[i]!.length));
      call.forEach((i, j) => cores[i]!.step([grads[j]!]));
      const map = Object.fromEntries(call.map((i, j) => [names[i]!, tf.tensor(grads[j]!, SHAPES[i])]));
      opt.applyGradients(map);
      Object.values(map).forEach((t) => t.dispose());
    }
    vars.forEach((v, i) => expect(v.dataSync()).toEqual(cores[i]!.params[0]));
    expect(opt.variableNames).toEqual(names);
    expect(opt.optimizerOf(names[2]!)!.stepCount).toBe(3);
    cores.forEach((c) => c.dispose());
    opt.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('maxGradNorm clips by the joint norm of the call (as new Cls(..., { maxGradNorm }), to float32 rounding)', () => {
    const { inits, names, vars, rand } = makeVars(3);
    const opt = toTfjs(AdamW, { lr: 0.01, weightDecay: 0.01, maxGradNorm: 1 });
    const core = new AdamW(inits.map((x) => x.slice()), { lr: 0.01, weightDecay: 0.01, maxGradNorm: 1 });
    for (let t = 0; t < 10; t++) {
      const grads = SHAPES.map((_, i) => randn(rand, inits[i]!.length).map((x) => x * 5));
      core.step(grads);
      const map = Object.fromEntries(names.map((n, i) => [n, tf.tensor(grads[i]!, SHAPES[i])]));
      opt.applyGradients(map);
      Object.values(map).forEach((x) => x.dispose());
    }
    vars.forEach((v, i) => {
      const got = v.dataSync();
      core.params[i]!.forEach((x, j) => expect(Math.abs(got[j]! - x)).toBeLessThanOrEqual(1e-6));
    });
    core.dispose();
    opt.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('paramGroups: groups in order, then the default; CosineAnnealingLR drives lr as it drives new Cls(...)', () => {
    const { names, inits, vars, rand } = makeVars(11);
    const opt = toTfjs(AdamW, { lr: 0.1, weightDecay: 0.01 }, { groups: [{ match: (n) => n.endsWith('_bias'), weightDecay: 0 }] });
    expect(opt.paramGroups.length).toBe(2);
    expect(opt.paramGroups[0]!.weightDecay).toBe(0);
    expect(opt.paramGroups[1]!.weightDecay).toBe(0.01);
    expect(opt.groupOf(names[1]!)).toBe(0);
    expect(opt.groupOf(names[0]!)).toBe(1);
    const ps = inits.map((x) => x.slice());
    const core = new AdamW([{ params: [ps[1]!], weightDecay: 0 }, { params: [ps[0]!, ps[2]!] }], { lr: 0.1, weightDecay: 0.01 });
    const s1 = new CosineAnnealingLR(opt, { TMax: 5 });
    const s2 = new CosineAnnealingLR(core, { TMax: 5 });
    for (let t = 0; t < 8; t++) {
      const grads = SHAPES.map((_, i) => randn(rand, inits[i]!.length));
      core.step([grads[1]!, grads[0]!, grads[2]!]);
      const map = Object.fromEntries(names.map((n, i) => [n, tf.tensor(grads[i]!, SHAPES[i])]));
      opt.applyGradients(map);
      Object.values(map).forEach((x) => x.dispose());
      s1.step();
      s2.step();
      expect(opt.paramGroups.map((g) => g.lr)).toEqual(core.paramGroups.map((g) => g.lr));
      expect(opt.optimizerOf(names[0]!)!.paramGroups[0]!.lr).toBe(core.paramGroups[1]!.lr);
    }
    vars.forEach((v, i) => expect(v.dataSync()).toEqual(ps[i]));
    // an invalid value is refused and changes nothing
    expect(() => (opt.paramGroups[0]!.lr = -1)).toThrow(/lr/);
    expect(opt.paramGroups[0]!.lr).toBe(core.paramGroups[0]!.lr);
    core.dispose();
    opt.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('every registered optimizer wraps and steps (equal to new Cls on one variable)', () => {
    for (const e of registry) {
      const { names, inits, vars, rand } = makeVars(5);
      const opt = toTfjs(e.class, e.allState as never);
      const core = new (e.class as unknown as AnyCls)([{ data: inits[0]!.slice(), shape: SHAPES[0]! }] as never, e.allState);
      for (let t = 0; t < 4; t++) {
        const g = randn(rand, inits[0]!.length);
        core.step([g]);
        const gt = tf.tensor(g, SHAPES[0]);
        opt.applyGradients([{ name: names[0]!, tensor: gt }]);
        gt.dispose();
      }
      expect(vars[0]!.dataSync(), e.name).toEqual(core.params[0]);
      core.dispose();
      opt.dispose();
      vars.forEach((v) => v.dispose());
    }
  });

  it('minimize(f, returnCost, varList) and computeGradients as tf.train; no tensors leak', () => {
    const before = tf.memory().numTensors;
    const x = tf.tidy(() => tf.variable(tf.tensor1d([0, 10]), true, `tt${uid++}_x`)); // tidy disposes the initial tensors
    const y = tf.tidy(() => tf.variable(tf.tensor1d([5]), true, `tt${uid++}_y`));
    const opt = toTfjs(Adam, { lr: 0.1 });
    const f = (): tf.Scalar => tf.add(tf.sum(tf.square(tf.sub(x, 3))), tf.sum(tf.square(y)));
    const mid = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) {
      const cost = opt.minimize(f, true, [x]);
      cost!.dispose();
    }
    expect(opt.minimize(f, false, [x])).toBeNull();
    expect(tf.memory().numTensors).toBe(mid);
    expect(y.dataSync()[0]).toBe(5); // not in varList
    expect(opt.variableNames).toEqual([x.name]);
    const { value, grads } = opt.computeGradients(f);
    expect(Object.keys(grads).sort()).toEqual([x.name, y.name].sort());
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    expect(Math.abs(x.dataSync()[0]! - 3)).toBeLessThan(1);
    opt.dispose();
    x.dispose();
    y.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('bad input is refused with a clear error, variables and state unchanged', () => {
    const { names, vars } = makeVars(9);
    const opt = toTfjs(Adam, { lr: 0.1 });
    const ok = tf.ones(SHAPES[0]!);
    opt.applyGradients({ [names[0]!]: ok });
    const snapshot = () => [vars[0]!.dataSync().slice(), opt.optimizerOf(names[0]!)!.stateDict()];
    const before = snapshot();
    const bad: [unknown, RegExp][] = [
      [{ [names[0]!]: tf.ones([2, 2]) }, /shape \[3, 5\], got \[2, 2\]/],
      [{ [names[0]!]: tf.ones(SHAPES[0]!, 'int32') }, /float32, got int32/],
      [{ [names[0]!]: ok, nope_unknown: ok }, /no variable named "nope_unknown"/],
      [{ [names[0]!]: ok, [names[1]!]: tf.fill(SHAPES[1]!, NaN) }, /has NaN at \[0\]; nothing was changed/],
      [{ [names[0]!]: [1, 2] }, /to be a tf.Tensor/],
      [null, /expected a map/],
    ];
    for (const [arg, msg] of bad) {
      expect(() => opt.applyGradients(arg as never)).toThrow(msg);
      expect(snapshot()).toEqual(before);
      expect(opt.variableNames).toEqual([names[0]]);
    }
    expect(() => opt.applyGradients({ [names[1]!]: tf.fill(SHAPES[1]!, Infinity) })).toThrow(NonFiniteGradientError);
    // skipNonFinite: the call is skipped; checkFinite: false lets it through
    const skip = toTfjs(Adam, { lr: 0.1, skipNonFinite: true });
    skip.applyGradients({ [names[2]!]: tf.fill(SHAPES[2]!, NaN) });
    expect(skip.variableNames).toEqual([]);
    skip.dispose();
    // a variable whose shape changed
    const tag = `tt${uid++}_s`;
    const s = tf.variable(tf.zeros([2]), true, tag);
    opt.applyGradients({ [tag]: tf.ones([2]) });
    s.dispose();
    const s2 = tf.variable(tf.zeros([3]), true, tag);
    expect(() => opt.applyGradients({ [tag]: tf.ones([3]) })).toThrow(/changed shape from \[2\] to \[3\]/);
    s2.dispose();
    // options checked by the class at construction
    expect(() => toTfjs(Adam, { lr: -1 })).toThrow(/lr/);
    expect(() => toTfjs(Adam, { lr: 1 }, { groups: [{ match: 3 as never }] })).toThrow(/match must be/);
    expect(() => toTfjs(Adam, { lr: 1 }, { groups: [{ match: 'x', maxGradNorm: 1 } as never] })).toThrow(/step option/);
    expect(() => toTfjs(class Foo {} as never)).toThrow(/registered wasm-optim optimizer class, got Foo/);
    opt.dispose();
    opt.dispose();
    expect(() => opt.applyGradients({ [names[0]!]: ok })).toThrow(/after dispose/);
    expect(() => opt.paramGroups).toThrow(/after dispose/);
    ok.dispose();
    vars.forEach((v) => v.dispose());
  });

  it('is exported with a className', () => {
    expect(TfjsWasmOptimizer.className).toBe('WasmOptimToTfjs');
  });
});
