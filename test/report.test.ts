// The comparison behind `npm start`, run small in-process: every method from
// the same initial weights, the sweep, the table and the self-contained report.
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, EMA_DECAY, METHODS, METHOD_DEFS, SWA_RECIPE, ladder, runCompare, swaStartOf, type CompareResult, type ProgressEvent, type RunResult } from '../src/cli/compare.js';
import { loadDigits } from '../src/data/digits.js';
import { testFunctions } from '../src/data/functions.js';
import { SoftmaxRegression } from '../src/models/softmax.js';
import { Trainer } from '../src/train/fit.js';
import { progressSink } from '../src/cli/progress.js';
import { envelope, renderReport } from '../src/cli/report.js';
import { conclusion, formatTable } from '../src/cli/table.js';

let result: CompareResult;
const events: ProgressEvent[] = [];
beforeAll(async () => {
  result = await runCompare(
    { ...DEFAULT_CONFIG, model: 'softmax', epochs: 2, sweepEpochs: 1, optimizers: [...METHODS], lr: { adamw: 0.005 } },
    (e) => events.push(e),
  );
});

describe('runCompare', () => {
  it('trains every method from the same initial weights', () => {
    expect(result.runs.map((r) => r.method)).toEqual([...METHODS]);
    const start = result.runs[0]!.trainLoss[0]!;
    expect(start).toBeGreaterThan(2); // about log(10) for small initial weights
    for (const r of result.runs) {
      expect(r.trainLoss[0]).toBe(start);
      expect(r.testLoss[0]).toBe(result.runs[0]!.testLoss[0]);
      expect(r.trainLoss).toHaveLength(3);
    }
  });
  it('uses batch N for GD, 1 for SGD and B for the rest', () => {
    const by = Object.fromEntries(result.runs.map((r) => [r.method, r]));
    expect(by.gd!.batchSize).toBe(1438);
    expect(by.gd!.steps).toBe(2);
    expect(by.sgd!.batchSize).toBe(1);
    expect(by.sgd!.steps).toBe(2 * 1438);
    expect(by.minibatch!.batchSize).toBe(32);
    expect(by.adam!.steps).toBe(2 * Math.ceil(1438 / 32));
    expect(by.sgd!.stepLoss).toHaveLength(2 * 1438);
  });
  it('takes each lr from the sweep unless given', () => {
    // adamw is given; adamw-ema takes adamw's lr (it is the same run, judged at the EMA)
    expect(result.sweep.map((s) => s.method)).toEqual(METHODS.filter((m) => m !== 'adamw' && m !== 'adamw-ema' && m !== 'adamw-swa'));
    for (const s of result.sweep) {
      const run = result.runs.find((r) => r.method === s.method)!;
      expect(run.lrSource).toBe('sweep');
      expect(run.lr).toBe(s.best);
      const finite = s.loss.filter(Number.isFinite);
      expect(s.loss[s.lrs.indexOf(s.best)]).toBe(Math.min(...finite));
    }
    const adamw = result.runs.find((r) => r.method === 'adamw')!;
    expect([adamw.lr, adamw.lrSource]).toEqual([0.005, 'fixed']);
    const ema = result.runs.find((r) => r.method === 'adamw-ema')!;
    expect([ema.lr, ema.lrSource]).toEqual([0.005, 'fixed']);    const swa = result.runs.find((r) => r.method === 'adamw-swa')!;
    expect([swa.lr, swa.lrSource]).toEqual([0.005, 'fixed']);
  });
  it('AdamW + EMA: the same AdamW run, judged at a float64 EMA of its weights recomputed here', async () => {
    const adamw = result.runs.find((r) => r.method === 'adamw')!;
    const ema = result.runs.find((r) => r.method === 'adamw-ema')!;
    expect(ema.label).toBe('AdamW + EMA');
    expect(ema.stepLoss).toEqual(adamw.stepLoss); // the same steps from the same weights
    expect(ema.trainLoss[0]).toBe(adamw.trainLoss[0]);
    expect(ema.trainLoss.at(-1)).not.toBe(adamw.trainLoss.at(-1));
    // the reference: AdamW again through fit, an EMA in float64 (avg = d*avg + (1 - d)*p, the first update copies)
    const { train } = await loadDigits();
    const model = new SoftmaxRegression({ inputs: train.dim, classes: train.classes });
    const opt = METHOD_DEFS.adamw!.make(model.init(result.config.seed).map((p) => p.slice()), 0.005);
    let avg: Float64Array[] | undefined;
    const want: number[] = [];
    new Trainer(opt, train, model.lossAndGrad(train), {
      epochs: result.config.epochs, batchSize: 32, seed: result.config.seed,
      onStep: () => {
        avg = avg ? avg.map((a, i) => a.map((v, j) => EMA_DECAY * v + (1 - EMA_DECAY) * opt.params[i]![j]!)) : opt.params.map((p) => Float64Array.from(p));
      },
      onEpoch: () => void want.push(model.loss(avg!.map((a) => Float32Array.from(a)), train)),
    }).run();
    opt.dispose();
    expect(ema.trainLoss.slice(1)).toHaveLength(want.length);
    ema.trainLoss.slice(1).forEach((l, e) => expect(Math.abs(l - want[e]!), `epoch ${e + 1}`).toBeLessThan(1e-5 * want[e]!));
  });
  it('AdamW + EMA on the 2-D functions: the float64 EMA of the AdamW path', () => {
    for (const fn of Object.keys(testFunctions) as (keyof typeof testFunctions)[]) {
      const path = result.trajectories.find((t) => t.fn === fn && t.method === 'adamw')!;
      const ema = result.trajectories.find((t) => t.fn === fn && t.method === 'adamw-ema')!;
      expect(ema.x).toHaveLength(path.x.length);
      let ax = path.x[0]!;
      let ay = path.y[0]!;
      let worst = 0;
      for (let k = 0; k < path.x.length; k++) {
        if (k > 0) {
          ax = EMA_DECAY * ax + (1 - EMA_DECAY) * path.x[k]!;
          ay = EMA_DECAY * ay + (1 - EMA_DECAY) * path.y[k]!;
        }
        worst = Math.max(worst, Math.abs(ema.x[k]! - ax) / Math.max(1, Math.abs(ax)), Math.abs(ema.y[k]! - ay) / Math.max(1, Math.abs(ay)));
      }
      expect(worst, fn).toBeLessThan(1e-5);
      expect(ema.finalValue).toBeCloseTo(testFunctions[fn].value(ema.x.at(-1)!, ema.y.at(-1)!), 12);
    }
  });
  it('AdamW + SWA (torch swa_utils recipe): the AdamW run up to swaStart, then judged at a float64 mean of the per-epoch weights, the lr annealed by SWALR\'s closed form', async () => {
    const epochs = 8;
    const swaRun = await runCompare({ ...DEFAULT_CONFIG, model: 'softmax', epochs, sweepEpochs: 0, optimizers: ['adamw', 'adamw-swa'], lr: { adamw: 0.005 }, trajectories: false });
    const [adamw, swa] = swaRun.runs as [RunResult, RunResult];
    expect(swa.label).toBe('AdamW + SWA');
    const start = swaStartOf(epochs);
    expect(start).toBe(6); // the last quarter averaged: after epochs 7 and 8
    // until the first average, the same run judged at its weights
    expect(swa.trainLoss.slice(0, start + 1)).toEqual(adamw.trainLoss.slice(0, start + 1));
    expect(swa.stepLoss.slice(0, (start + 1) * swa.stepsPerEpoch)).toEqual(adamw.stepLoss.slice(0, (start + 1) * swa.stepsPerEpoch));
    // the reference: AdamW through fit; in epoch e the lr of torch's SWALR after k = max(0, e - start - 1) steps,
    // swaLr*a + lr*(1 - a), a = (1 - cos(pi*min(1, k/annealEpochs)))/2; after each epoch > start, a float64 running mean
    const lr = 0.005, swaLr = SWA_RECIPE.lrFactor * lr;
    const lrIn = (e: number) => {
      const a = (1 - Math.cos(Math.PI * Math.min(1, Math.max(0, e - start - 1) / SWA_RECIPE.annealEpochs))) / 2;
      return swaLr * a + lr * (1 - a);
    };
    const { train } = await loadDigits();
    const model = new SoftmaxRegression({ inputs: train.dim, classes: train.classes });
    const opt = METHOD_DEFS.adamw!.make(model.init(swaRun.config.seed).map((p) => p.slice()), lr);
    let mean: Float64Array[] | undefined;
    let n = 0;
    const want: number[] = [];
    new Trainer(opt, train, model.lossAndGrad(train), {
      epochs, batchSize: 32, seed: swaRun.config.seed,
      schedule: ({ epoch }) => lrIn(epoch + 1),
      onEpoch: ({ epoch }) => {
        if (epoch > start) {
          n++;
          mean = mean ? mean.map((a, i) => a.map((v, j) => v + (opt.params[i]![j]! - v) / n)) : opt.params.map((p) => Float64Array.from(p));
        }
        want.push(model.loss(mean ? mean.map((a) => Float32Array.from(a)) : opt.params, train));
      },
    }).run();
    opt.dispose();
    expect(n).toBe(epochs - start);
    swa.trainLoss.slice(1).forEach((l, e) => expect(Math.abs(l - want[e]!), `epoch ${e + 1}`).toBeLessThan(1e-5 * want[e]!));
    expect(swa.trainLoss.at(-1)).not.toBe(adamw.trainLoss.at(-1));
  });
  it('AdamW + SWA on the 2-D functions: the AdamW path, then from swaStartOf(steps) on the float64 running mean of its points', () => {
    for (const fn of Object.keys(testFunctions) as (keyof typeof testFunctions)[]) {
      const path = result.trajectories.find((t) => t.fn === fn && t.method === 'adamw')!;
      const swa = result.trajectories.find((t) => t.fn === fn && t.method === 'adamw-swa')!;
      const start = swaStartOf(path.x.length - 1);
      expect(swa.x.slice(0, start)).toEqual(path.x.slice(0, start));
      let sx = 0, sy = 0, worst = 0;
      for (let k = start; k < path.x.length; k++) {
        sx += path.x[k]!;
        sy += path.y[k]!;
        const ax = sx / (k - start + 1), ay = sy / (k - start + 1);
        worst = Math.max(worst, Math.abs(swa.x[k]! - ax) / Math.max(1, Math.abs(ax)), Math.abs(swa.y[k]! - ay) / Math.max(1, Math.abs(ay)));
      }
      expect(worst, fn).toBeLessThan(1e-5);
      expect(swa.finalValue).toBeCloseTo(testFunctions[fn].value(swa.x.at(-1)!, swa.y.at(-1)!), 12);
    }
  });
  it('reports the first epoch at or below the target loss', () => {
    for (const r of result.runs) {
      const first = r.trainLoss.findIndex((l, e) => e > 0 && l <= result.config.targetLoss);
      expect(r.reached?.epoch ?? -1).toBe(first);
      if (r.reached) expect(r.reached.step).toBe(r.reached.epoch * r.stepsPerEpoch);
    }
  });
  it('runs every method on every 2-D function', () => {
    expect(result.trajectories).toHaveLength(3 * METHODS.length);
    const gd = result.trajectories.find((t) => t.fn === 'rosenbrock' && t.method === 'gd')!;
    expect(gd.noise).toBe(0);
    expect(gd.x).toHaveLength(2001);
    const sgd = result.trajectories.find((t) => t.fn === 'beale' && t.method === 'sgd')!;
    const mini = result.trajectories.find((t) => t.fn === 'beale' && t.method === 'minibatch')!;
    expect(mini.noise).toBeCloseTo(sgd.noise / Math.sqrt(32), 12);
  });
  it('reports progress that adds up to the total', () => {
    const start = events.find((e) => e.kind === 'start') as { total: number };
    const ticks = events.reduce((s, e) => s + (e.kind === 'tick' ? e.units : 0), 0);
    expect(ticks).toBe(start.total);
  });
});

describe('the table and the report', () => {
  it('formats one aligned Markdown row per method', () => {
    const lines = formatTable(result).split('\n');
    expect(lines).toHaveLength(2 + METHODS.length);
    expect(new Set(lines.map((l) => l.length)).size).toBe(1);
    expect(lines[0]).toMatch(/^\| method +\| +lr \| batch \| train loss \| test loss \| test acc \| epochs to 0\.1 \| steps to 0\.1 \| wall time \| +in opt\.step \|$/);
    const gd = result.runs[0]!;
    expect(lines[2]!.split('|').map((c) => c.trim())[4]).toBe(gd.trainLoss.at(-1)!.toFixed(4));
    expect(lines[2]).toContain(`${(100 * gd.testAccuracy.at(-1)!).toFixed(1)}%`);
  });
  it('is one self-contained HTML file', () => {
    const html = renderReport(result, { command: 'wasm-optim compare', versions: 'test' });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|\b(src|href)\s*=|url\((?!#)/i);
    expect(html.match(/<svg /g)).toHaveLength(5 + 1 + METHODS.length + 3); // one noise panel per method
    expect(html.match(/<polyline /g)).toHaveLength(3 * METHODS.length);
    for (const r of result.runs) expect(html).toContain(r.label);
    expect(html).toContain('CC BY 4.0');
  });
  it('states the conclusion under the results table', () => {
    const html = renderReport(result, { command: 'wasm-optim compare', versions: 'test' });
    const p = /<p class="conclusion">([^<]*)<\/p>/.exec(html)?.[1];
    expect(p).toMatch(/got the best final test accuracy \(\d+\.\d%/);
    expect(html.indexOf('class="conclusion"')).toBeGreaterThan(html.indexOf('<h2>Results</h2>'));
  });
  it('lets every chart scale to the page (viewBox, width 100%) instead of fixed pixel columns', () => {
    const html = renderReport(result, { command: 'wasm-optim compare', versions: 'test' });
    for (const svg of html.match(/<svg [^>]*>/g)!) expect(svg).toMatch(/viewBox="0 0 \d+ \d+"/);
    expect(html).toMatch(/svg\.chart \{[^}]*width: 100%;[^}]*height: auto;/);
    expect(html).not.toMatch(/max-content/);
  });
  it('keeps the noise of long series: per-bin mean and range', () => {
    const e = envelope([1, 3, 2, 8, 4, 4], 3, (i) => i);
    expect(e.mean).toEqual([[0.5, 2], [2.5, 5], [4.5, 4]]);
    expect(e.band).toEqual([[0.5, 1, 3], [2.5, 2, 8], [4.5, 4, 4]]);
  });
  it('sweeps learning rates on the 1-3-10 ladder', () => {
    expect([-2, -1, 0, 1, 2].map((k) => ladder(1, k))).toEqual([0.1, 0.3, 1, 3, 10]);
    expect([-2, -1, 0, 1, 2].map((k) => ladder(0.03, k))).toEqual([0.003, 0.01, 0.03, 0.1, 0.3]);
  });
});

describe('progress', () => {
  const feed = (sink: (e: ProgressEvent) => void) => {
    sink({ kind: 'start', total: 4 });
    sink({ kind: 'task', label: 'Adam lr=0.01' });
    sink({ kind: 'tick', units: 2, detail: 'epoch 2/4' });
    sink({ kind: 'done', label: 'Adam lr=0.01', summary: 'train loss 0.5' });
    sink({ kind: 'tick', units: 2, detail: 'epoch 4/4' });
    sink({ kind: 'done', label: 'Adam lr=0.01', summary: 'train loss 0.1' });
  };
  const capture = (tty: boolean) => {
    const stream = Object.assign(new PassThrough(), { isTTY: tty, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    let text = '';
    stream.on('data', (d: Buffer) => (text += d.toString()));
    return { stream: stream as unknown as NodeJS.WriteStream, text: () => text };
  };
  it('writes plain lines when the stream is not a terminal', () => {
    const c = capture(false);
    const sink = progressSink(c.stream);
    feed(sink);
    sink.stop();
    expect(c.text()).toBe('[ 50%] Adam lr=0.01: train loss 0.5\n[100%] Adam lr=0.01: train loss 0.1\n');
  });
  it('draws a cli-progress bar on a terminal', () => {
    const c = capture(true);
    const sink = progressSink(c.stream);
    feed(sink);
    sink.stop();
    expect(c.text()).toMatch(/█+░*\s+\d+% \| .* left \| /);
    expect(c.text()).toContain('100%');
  });
  it('writes nothing when quiet', () => {
    const c = capture(false);
    feed(progressSink(c.stream, true));
    expect(c.text()).toBe('');
  });
});

describe('conclusion', () => {
  type Stub = { label: string; step?: number; epoch?: number; acc: number; diverged?: boolean };
  const make = (target: number, stubs: Stub[]): CompareResult =>
    ({
      config: { ...DEFAULT_CONFIG, targetLoss: target },
      runs: stubs.map((s) => ({
        label: s.label,
        reached: s.step === undefined ? null : { step: s.step, epoch: s.epoch ?? 1 },
        diverged: s.diverged ? { epoch: 1, step: 1 } : null,
        testAccuracy: [0.1, s.acc],
      })),
    }) as unknown as CompareResult;

  it('names the method with the fewest steps to the target and the one with the best test accuracy', () => {
    const c = conclusion(make(0.1, [
      { label: 'GD (full batch)', step: 30, epoch: 30, acc: 0.9 },
      { label: 'Adam', step: 1350, epoch: 3, acc: 0.95 },
      { label: 'Momentum', step: 900, epoch: 2, acc: 0.97 },
      { label: 'SGD (batch 1)', acc: 0.99, diverged: true },
    ]));
    expect(c).toBe(
      'GD (full batch) reached the target training loss 0.1 in the fewest steps on this run (30 steps, epoch 30). ' +
        'Momentum got the best final test accuracy (97.0%).',
    );
  });
  it('names every method of a tie, and says "1 step"', () => {
    const c = conclusion(make(0.5, [
      { label: 'Adam', step: 1, epoch: 1, acc: 0.5 },
      { label: 'AdamW', step: 1, epoch: 1, acc: 0.75 },
      { label: 'RMSprop', step: 2, epoch: 1, acc: 0.75 },
      { label: 'Adagrad', step: 3, epoch: 1, acc: 0.75 },
    ]));
    expect(c).toBe(
      'Adam and AdamW reached the target training loss 0.5 in the fewest steps on this run (1 step, epoch 1, a tie). ' +
        'AdamW, RMSprop and Adagrad got the best final test accuracy (75.0%, a tie).',
    );
  });
  it('says so when no method reached the target, and when every method diverged', () => {
    expect(conclusion(make(0.01, [{ label: 'Adam', acc: 0.8 }, { label: 'SGD', acc: 0.6 }]))).toBe(
      'No method reached the target training loss 0.01 on this run. Adam got the best final test accuracy (80.0%).',
    );
    expect(conclusion(make(0.01, [{ label: 'Adam', step: 5, acc: 0.8, diverged: true }]))).toBe(
      'No method reached the target training loss 0.01 on this run. Every method diverged, so none has a test accuracy.',
    );
  });
});
