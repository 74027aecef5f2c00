// The shipped digits, the fixed split, the synthetic spiral, the 2-D test
// functions and trajectories on them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adam, SGD, beale, digitsSource, digitsUrl, loadDigits, makeDataset, parseDigits, ready, rosenbrock, saddle, spiral, subset,
  testFunctions, trajectory, averagedTrajectory, type Digits,
} from '../src/index.js';
import { conformance } from './helpers.js';

let digits: Digits;
beforeAll(async () => {
  await ready();
  digits = await loadDigits();
});

const classCounts = (y: Uint8Array) => Array.from({ length: 10 }, (_, c) => y.filter((v) => v === c).length);

describe('digits', () => {
  it('is the file tools/data/convert_digits.py wrote', () => {
    const bytes = readFileSync(digitsUrl);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe('6b6d68553c11033f2c09a7925af5985bbb75ec486330cdbd69654f8e09337bee');
  });
  it('loadDigits() returns the data of the shipped file (its embedded copy is that file)', () => {
    const fromFile = parseDigits(new Uint8Array(readFileSync(digitsUrl)));
    expect(digits.all.x).toEqual(fromFile.all.x);
    expect(digits.all.y).toEqual(fromFile.all.y);
    expect(digits.train.y).toEqual(fromFile.train.y);
    expect(digits.test.x).toEqual(fromFile.test.x);
  });
  it('has the 1,797 images of the UCI test set with its class counts', () => {
    expect(digits.all.n).toBe(1797);
    expect(digits.all.dim).toBe(64);
    // class counts of optdigits.tes, as listed on the UCI page
    expect(classCounts(digits.all.y)).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
  });
  it('holds the first and the last row of sklearn digits.csv.gz, scaled by 1/16', () => {
    const first = '0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0';
    const last = '0,0,10,14,8,1,0,0,0,2,16,14,6,1,0,0,0,0,15,15,8,15,0,0,0,0,5,16,16,10,0,0,0,0,12,15,15,12,0,0,0,4,16,6,4,16,6,0,0,8,16,10,8,16,8,0,0,1,8,12,14,12,1,0,8';
    for (const [row, i] of [[first, 0], [last, 1796]] as const) {
      const v = row.split(',').map(Number);
      expect([...digits.all.x.subarray(64 * i, 64 * i + 64)]).toEqual(v.slice(0, 64).map((p) => p / 16));
      expect(digits.all.y[i]).toBe(v[64]);
    }
  });
  it('splits each class 80/20 into train and test, disjointly', () => {
    expect(digits.train.n).toBe(1438);
    expect(digits.test.n).toBe(359);
    const all = classCounts(digits.all.y);
    const test = classCounts(digits.test.y);
    expect(test).toEqual(all.map((c) => Math.round(0.2 * c)));
    expect(classCounts(digits.train.y)).toEqual(all.map((c, i) => c - test[i]!));
    const key = (d: typeof digits.all, i: number) => `${d.y[i]}:${d.x.subarray(64 * i, 64 * i + 64).join(',')}`;
    const rows = new Map<string, number>();
    for (let i = 0; i < digits.all.n; i++) rows.set(key(digits.all, i), (rows.get(key(digits.all, i)) ?? 0) + 1);
    for (const part of [digits.train, digits.test]) {
      for (let i = 0; i < part.n; i++) rows.set(key(part, i), rows.get(key(part, i))! - 1);
    }
    expect([...rows.values()].every((c) => c === 0)).toBe(true);
  });
  it('states its source and license', () => {
    expect(digitsSource.license).toBe('CC BY 4.0');
    expect(digitsSource.citation).toMatch(/Alpaydin, E\. & Kaynak, C\. \(1998\)/);
  });
  it('rejects malformed bytes', () => {
    expect(() => parseDigits(new Uint8Array(65))).toThrow(/expected a multiple of 66 bytes .* got 65/);
    const bad = new Uint8Array(66);
    bad[3] = 17;
    expect(() => parseDigits(bad)).toThrow(/pixel 3 of image 0 is 17, expected 0\.\.16/);
    bad[3] = 0;
    bad[64] = 10;
    expect(() => parseDigits(bad)).toThrow(/y\[0\] is 10, expected a label in 0\.\.9/);
    bad[64] = 0;
    bad[65] = 2;
    expect(() => parseDigits(bad)).toThrow(/split flag of image 0 is 2, expected 0 \(train\) or 1 \(test\)/);
  });
});

describe('datasets', () => {
  it('spiral is seeded and labelled by arm', () => {
    const a = spiral({ perClass: 50, seed: 3 });
    expect(a.n).toBe(150);
    expect(a.dim).toBe(2);
    expect(classCounts(a.y).slice(0, 3)).toEqual([50, 50, 50]);
    expect(spiral({ perClass: 50, seed: 3 }).x).toEqual(a.x);
    expect(spiral({ perClass: 50, seed: 4 }).x).not.toEqual(a.x);
    // example i of class c lies at radius i/perClass
    expect(Math.hypot(a.x[2 * 60]!, a.x[2 * 60 + 1]!)).toBeCloseTo(10 / 50, 6);
  });
  it('subset copies the chosen rows and checks indices', () => {
    const d = makeDataset('d', new Float32Array([1, 2, 3, 4, 5, 6]), new Uint8Array([0, 1, 0]), 2, 2);
    const s = subset(d, [2, 0]);
    expect([...s.x]).toEqual([5, 6, 1, 2]);
    expect([...s.y]).toEqual([0, 0]);
    expect(() => subset(d, [3])).toThrow(/indices\[0\] is 3, expected an integer in 0\.\.2/);
    expect(() => makeDataset('d', new Float32Array(5), new Uint8Array(3), 2, 2)).toThrow(/x must hold n\*dim = 3\*2 = 6 features, got 5/);
  });
});

describe('2-D test functions', () => {
  it.each(Object.values(testFunctions))('$name: gradient matches central differences', (fn) => {
    const g = new Float64Array(2);
    const h = 1e-6;
    for (const [x, y] of [[-1.3, 0.7], [0.4, -1.1], [2.2, 0.3], [fn.start[0], fn.start[1]]] as const) {
      fn.gradient(x, y, g);
      const gx = (fn.value(x + h, y) - fn.value(x - h, y)) / (2 * h);
      const gy = (fn.value(x, y + h) - fn.value(x, y - h)) / (2 * h);
      expect(Math.abs(g[0]! - gx)).toBeLessThan(1e-6 * Math.max(1, Math.abs(gx)));
      expect(Math.abs(g[1]! - gy)).toBeLessThan(1e-6 * Math.max(1, Math.abs(gy)));
    }
  });
  it.each(Object.values(testFunctions))('$name: minValue at the minima, where the gradient vanishes', (fn) => {
    const g = new Float64Array(2);
    for (const [x, y] of fn.minima) {
      expect(fn.value(x, y)).toBeCloseTo(fn.minValue, 12);
      fn.gradient(x, y, g);
      expect(Math.hypot(g[0]!, g[1]!)).toBeLessThan(1e-12);
    }
  });
  it('values worked out by hand', () => {
    expect(rosenbrock.value(-1.5, 2)).toBe(12.5); // 2.5^2 + 100 * 0.25^2
    expect(beale.value(0, 0)).toBeCloseTo(1.5 ** 2 + 2.25 ** 2 + 2.625 ** 2, 12);
    expect(saddle.value(1, 2)).toBe(1 - 4 + 4);
  });
});

describe('trajectory', () => {
  it('gradient descent on the saddle follows x -= lr*2x, y -= lr*(y^3 - 2y)', () => {
    const lr = 0.05;
    const opt = new SGD([Float32Array.from(saddle.start)], { lr });
    const t = trajectory(opt, saddle, { steps: 30 });
    expect(t.steps).toBe(30);
    expect(t.x.length).toBe(31);
    let x = saddle.start[0];
    let y = saddle.start[1];
    const xs = [x];
    const ys = [y];
    for (let k = 0; k < 30; k++) {
      [x, y] = [x - lr * 2 * x, y - lr * (y * y * y - 2 * y)];
      xs.push(x);
      ys.push(y);
    }
    expect(conformance([Float32Array.from(t.x), Float32Array.from(t.y)], [Float32Array.from(xs), Float32Array.from(ys)]).ratio).toBeLessThanOrEqual(1);
    expect(t.value[30]).toBeCloseTo(saddle.value(t.x[30]!, t.y[30]!), 12);
    opt.dispose();
  });
  it('Adam reaches the Rosenbrock minimum; noise is seeded', () => {
    const run = (noise: number, seed: number) => {
      const opt = new Adam([Float32Array.from(rosenbrock.start)], { lr: 0.03 });
      const t = trajectory(opt, rosenbrock, { steps: 2000, noise, seed });
      opt.dispose();
      return t;
    };
    expect(run(0, 0).value[2000]!).toBeLessThan(1e-4);
    expect(run(5, 1).x).toEqual(run(5, 1).x);
    expect(run(5, 1).x).not.toEqual(run(5, 2).x);
  });
  it('marks a divergent run and stops it', () => {
    const opt = new SGD([Float32Array.from(rosenbrock.start)], { lr: 1 });
    const t = trajectory(opt, rosenbrock, { steps: 100 });
    expect(t.diverged).toBe(true);
    expect(t.steps).toBeLessThan(100);
    opt.dispose();
  });
  it('needs one parameter of length 2', () => {
    const opt = new SGD([new Float32Array(2), new Float32Array(1)]);
    expect(() => trajectory(opt, beale, { steps: 1 })).toThrow(/exactly one parameter of length 2 .* got 2 parameter\(s\) of lengths 2, 1/);
    opt.dispose();
  });
});

describe('averagedTrajectory', () => {
  it("'swa' gives the running mean of the points, 'ema' the float64 EMA, f at each; steps and diverged are the path's", () => {
    const opt = new Adam([Float32Array.from(beale.start)], { lr: 0.05 });
    const t = trajectory(opt, beale, { steps: 200, noise: 0.3, seed: 3 });
    opt.dispose();
    const swa = averagedTrajectory(t, beale, { mode: 'swa' });
    const ema = averagedTrajectory(t, beale, { mode: 'ema', decay: 0.9 });
    let sx = 0;
    let sy = 0;
    let ex = t.x[0]!;
    let ey = t.y[0]!;
    let worst = 0;
    for (let k = 0; k <= t.steps; k++) {
      sx += t.x[k]!;
      sy += t.y[k]!;
      if (k > 0) {
        ex = 0.9 * ex + 0.1 * t.x[k]!;
        ey = 0.9 * ey + 0.1 * t.y[k]!;
      }
      for (const [got, want] of [[swa.x[k]!, sx / (k + 1)], [swa.y[k]!, sy / (k + 1)], [ema.x[k]!, ex], [ema.y[k]!, ey]] as const) {
        worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)));
      }
      expect(swa.value[k]).toBe(beale.value(swa.x[k]!, swa.y[k]!));
    }
    expect(worst).toBeLessThan(1e-5);
    expect([swa.steps, swa.diverged, ema.steps]).toEqual([200, false, 200]);
    const sgd = new SGD([Float32Array.from(rosenbrock.start)], { lr: 1 });
    const d = trajectory(sgd, rosenbrock, { steps: 100 });
    sgd.dispose();
    expect(averagedTrajectory(d, rosenbrock).diverged).toBe(true);
  });
  it('refuses what is not a trajectory, or a bad decay, naming it', () => {
    const opt = new SGD([Float32Array.from(saddle.start)], { lr: 0.05 });
    const t = trajectory(opt, saddle, { steps: 3 });
    opt.dispose();
    expect(() => averagedTrajectory(null as never, saddle)).toThrow(/^averagedTrajectory: path must be a Trajectory from trajectory\(\), got null$/);
    expect(() => averagedTrajectory({ ...t, x: t.x.subarray(0, 2) }, saddle)).toThrow(/^averagedTrajectory: path\.x must be a Float64Array of steps \+ 1 = 4 points, got a Float64Array of length 2$/);
    expect(() => averagedTrajectory({ ...t, steps: -1 }, saddle)).toThrow(/path\.steps must be an integer >= 0, got -1/);
    expect(() => averagedTrajectory(t, {} as never)).toThrow(/fn must be a test function/);
    expect(() => averagedTrajectory(t, saddle, { mode: 'ema', decay: -0.5 })).toThrow(/^AveragedParams: invalid options\.decay: expected a number in \[0, 1\], got -0\.5$/);
  });
});
