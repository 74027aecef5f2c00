// Shaped parameters: `{ data, shape }` wherever a Float32Array parameter is
// accepted. Elementwise optimizers step them exactly as the plain arrays;
// shapes are checked (product = length, whole numbers), reported by
// `opt.shapes`, recorded in state dicts and checkpoints, and checked again
// when those are loaded, with nothing changed on a mismatch.
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, SGD, createOptimizer, mulberry32, ready } from '../src/index.js';
import { everyOptimizerRows } from './registry-cases.js';

beforeAll(async () => {
  await ready();
});

const rand = mulberry32(11);
const values = (n: number) => Float32Array.from({ length: n }, () => rand() * 2 - 1);

describe('every optimizer steps { data, shape } exactly as the plain Float32Array', () => {
  it.each(everyOptimizerRows)('%s', (_name, c) => {
    const init = [values(12), values(5), values(7)];
    const grads = Array.from({ length: 4 }, () => [values(12), values(5), values(7)]);
    const plain = c.make(init.map((a) => a.slice()));
    const shapedData = init.map((a) => a.slice());
    const shaped = c.make([{ data: shapedData[0]!, shape: [3, 4] }, shapedData[1]!, { data: shapedData[2]!, shape: [7] }] as never);
    for (const g of grads) {
      plain.step(g);
      shaped.step(g);
    }
    if (c.entry.matrices) {
      // Muon: the shape is the method (a 3x4 matrix is orthogonalized as one, not as a row of 12);
      // the generic tests give it each plain array as a row, [1, n]
      expect(shaped.shapes).toEqual([[3, 4], [1, 5], [1, 7]]);
      expect(plain.shapes).toEqual([[1, 12], [1, 5], [1, 7]]);
      expect(shaped.params.slice(1).map((p) => [...p])).toEqual(plain.params.slice(1).map((p) => [...p]));
      expect(shaped.params[0]).not.toEqual(plain.params[0]);
      plain.dispose();
      shaped.dispose();
      return;
    }
    if (c.name === 'Adafactor') {
      // not elementwise: a [3, 4] matrix keeps factored row and column moments, the plain 12 values a full one
      expect([...shaped.params[0]!]).not.toEqual([...plain.params[0]!]);
      expect(shaped.params.slice(1).map((p) => [...p])).toEqual(plain.params.slice(1).map((p) => [...p]));
    } else {
      expect(shaped.params.map((p) => [...p])).toEqual(plain.params.map((p) => [...p]));
    }
    expect(shapedData.map((p) => [...p])).toEqual(shaped.params.map((p) => [...p])); // the caller's arrays, synced by step(grads)
    expect(shaped.shapes).toEqual([[3, 4], [5], [7]]);
    expect(plain.shapes).toEqual([[12], [5], [7]]);
    plain.dispose();
    shaped.dispose();
  });
});

describe('validation', () => {
  it.each([
    [[{ data: new Float32Array(6), shape: [2, 2] }], RangeError, /Adam: invalid params\[0\]\.shape: \[2, 2\] holds 4 values, but params\[0\]\.data has length 6/],
    [[{ data: new Float32Array(6), shape: [2, -3] }], TypeError, /invalid params\[0\]\.shape: expected an array of at most 16 whole numbers >= 0, got \[2, -3\]/],
    [[{ data: new Float32Array(6), shape: [2, 3.5] }], TypeError, /params\[0\]\.shape/],
    [[{ data: new Float32Array(6), shape: '2x3' }], TypeError, /params\[0\]\.shape: expected an array/],
    [[{ data: [1, 2], shape: [2] }], TypeError, /params\[0\]\.data/],
    [[{ data: new Float32Array(2), shape: [2], dtype: 'f32' }], TypeError, /unknown key "dtype" in params\[0\]/],
    [[{ params: [new Float32Array(2), { data: new Float32Array(4), shape: [3] }] }], RangeError, /params\[0\]\.params\[1\]\.shape: \[3\] holds 3 values/],
  ])('%j is refused', (params, Err, msg) => {
    expect(() => new Adam(params as never)).toThrow(Err);
    expect(() => new Adam(params as never)).toThrow(msg);
  });

  it('the same data twice (once shaped) is refused; a scalar shape [] holds one value', () => {
    const a = new Float32Array(4);
    expect(() => new SGD([a, { data: a, shape: [2, 2] }], { lr: 0.1 })).toThrow(/appears more than once/);
    const s = new SGD([{ data: new Float32Array([2]), shape: [] }], { lr: 0.5 });
    s.step([new Float32Array([1])]);
    expect([...s.params[0]!]).toEqual([1.5]);
    expect(s.shapes).toEqual([[]]);
    s.dispose();
  });

  it('the shape is read once and copied: changing the caller\'s array later changes nothing', () => {
    const shape = [2, 3];
    const o = new Adam([{ data: new Float32Array(6), shape }]);
    shape[0] = 6;
    shape[1] = 1;
    expect(o.shapes).toEqual([[2, 3]]);
    o.shapes[0]![0] = 99;
    expect(o.shapes).toEqual([[2, 3]]);
    o.dispose();
  });
});

describe('state dicts and checkpoints record shapes', () => {
  const make = (shape: number[]) => {
    const o = new Adam([{ data: values(6), shape }, values(3)], { lr: 0.01 });
    o.step([values(6), values(3)]);
    return o;
  };
  it('stateDict().shapes lists every shape ([n] for the plain ones) when any was given, and is absent otherwise', () => {
    const o = make([2, 3]);
    expect(o.stateDict().shapes).toEqual([[2, 3], [3]]);
    const p = new Adam([values(6)]);
    expect('shapes' in p.stateDict()).toBe(false);
    o.dispose();
    p.dispose();
  });
  it('loadStateDict and load refuse another shape of the same length, and change nothing', () => {
    const a = make([2, 3]);
    const b = make([3, 2]);
    const before = JSON.stringify(b.stateDict(), (_k, v) => (v instanceof Float32Array ? [...v] : v));
    expect(() => b.loadStateDict(a.stateDict())).toThrow(/sd\.shapes\[0\] is \[2, 3\], but parameter 0 of this optimizer has shape \[3, 2\]/);
    expect(() => b.load(a.save())).toThrow(/the checkpoint's shapes\[0\] is \[2, 3\], but parameter 0 of this optimizer has shape \[3, 2\]/);
    expect(JSON.stringify(b.stateDict(), (_k, v) => (v instanceof Float32Array ? [...v] : v))).toBe(before);
    a.dispose();
    b.dispose();
  });
  it('a checkpoint with shapes loads into an optimizer of the same shapes, or over plain arrays of the same lengths', () => {
    const a = make([2, 3]);
    const bytes = a.save();
    const same = new Adam([{ data: new Float32Array(6), shape: [2, 3] }, new Float32Array(3)], { lr: 0.01 });
    same.load(bytes);
    expect(same.stateDict()).toEqual(a.stateDict());
    const plain = createOptimizer('Adam', [new Float32Array(6), new Float32Array(3)], { lr: 0.01 });
    plain.load(bytes);
    expect(plain.params.map((p) => [...p])).toEqual(a.params.map((p) => [...p]));
    a.dispose();
    same.dispose();
    plain.dispose();
  });
});

it('exportState (safetensors, torch names) gives a shaped parameter\'s state its shape, as torch does', async () => {
  const { decodeSafetensors } = await import('../src/safetensors.js');
  const o = new Adam([{ data: values(6), shape: [2, 3] }, values(3)], { lr: 0.01 });
  o.step([values(6), values(3)]);
  const f = decodeSafetensors('test', o.exportState());
  expect(f.tensors.get('state.0.exp_avg')!.shape).toEqual([2, 3]);
  expect(f.tensors.get('state.1.exp_avg')!.shape).toEqual([3]);
  const back = new Adam([{ data: new Float32Array(6), shape: [2, 3] }, new Float32Array(3)], { lr: 0.01 });
  back.importState(o.exportState());
  expect(back.exportState()).toEqual(o.exportState());
  o.dispose();
  back.dispose();
});
