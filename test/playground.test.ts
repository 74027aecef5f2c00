// The playground's parts that run without a browser: its menu of optimizers
// (every row constructs with its defaults; the suggested learning rates make
// progress without diverging), the benchmark's summary line, and
// `npm run playground` (tools/playground.mjs) serving dist/playground with
// the strict CSP. The page itself is tested in Chromium
// (test/browser/playground.test.ts).
import { spawn, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Adam, loadDigits, MLP, ready, testFunctions, Trainer, trajectory } from '../dist/index.js';
import { summary } from '../playground/benchmark.js';
import { create, createForRace } from '../playground/controls.js';
import { racePaths } from '../playground/race.js';
import { DEFAULT_STEPS, OPTIMIZERS, type FunctionName } from '../playground/optimizers.js';
import { CSP } from '../tools/static-server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const defaults = (def: (typeof OPTIMIZERS)[number]) => Object.fromEntries(def.fields.map((f) => [f.key, f.value]));

describe('the playground menu', () => {
  it('every optimizer constructs with its default hyperparameters; ids and colours are unique', async () => {
    await ready();
    expect(new Set(OPTIMIZERS.map((d) => d.id)).size).toBe(OPTIMIZERS.length);
    expect(new Set(OPTIMIZERS.map((d) => d.color)).size).toBe(OPTIMIZERS.length);
    for (const def of OPTIMIZERS) {
      if (def.makeClosure) {
        // L-BFGS races only: the digits panel's create() refuses it, saying why
        expect(() => create({ def, lr: def.lrDigits, h: defaults(def) }, [new Float32Array(3)])).toThrow(/^L-BFGS: L-BFGS is full-batch/);
        const l = createForRace({ def, lr: def.lrDigits, h: defaults(def) }, [new Float32Array(2)]);
        expect((l as unknown as { options: { lr: number; maxIter: number } }).options).toMatchObject({ lr: def.lrDigits, maxIter: 1 });
        l.dispose();
        continue;
      }
      const opt = create({ def, lr: def.lrDigits, h: defaults(def) }, [new Float32Array(3)]);
      expect(opt.paramGroups[0]).toHaveProperty('lr', def.lrDigits);
      opt.dispose();
    }
    // Adam's betas come from the two fields
    const adam = OPTIMIZERS.find((d) => d.id === 'adam')!;
    const opt = create({ def: adam, lr: 0.1, h: { 'betas.0': 0.8, 'betas.1': 0.99 } }, [new Float32Array(1)]) as Adam;
    expect(opt.paramGroups[0]!.betas).toEqual([0.8, 0.99]);
    opt.dispose();
  });

  it('a rejected value names the row and the option', () => {
    const nesterov = OPTIMIZERS.find((d) => d.id === 'nesterov')!;
    expect(() => create({ def: nesterov, lr: 0.1, h: { momentum: 0 } }, [new Float32Array(1)])).toThrow(/^Nesterov: SGD: .*momentum/);
    const adam = OPTIMIZERS.find((d) => d.id === 'adam')!;
    expect(() => create({ def: adam, lr: Number.NaN, h: defaults(adam) }, [new Float32Array(1)])).toThrow(/^Adam: .*lr.*NaN/);
  });

  it.each(Object.keys(DEFAULT_STEPS) as FunctionName[])('the suggested learning rates on %s go downhill without diverging', async (name) => {
    await ready();
    const fn = testFunctions[name];
    const start = fn.value(fn.start[0], fn.start[1]);
    for (const def of OPTIMIZERS) {
      const opt = createForRace({ def, lr: def.lr2d[name], h: defaults(def) }, [Float32Array.from(fn.start)]);
      const t = trajectory(opt, fn, { steps: DEFAULT_STEPS[name] });
      opt.dispose();
      expect(t.diverged, def.label).toBe(false);
      const end = t.value[t.steps]!;
      // at least a tenth of the way from the start's value to the minimum
      expect(end - fn.minValue, def.label).toBeLessThan(0.9 * (start - fn.minValue));
    }
  });

  it('the suggested learning rates on the digits lower the training loss of the MLP in 2 epochs', async () => {
    await ready();
    const { train } = await loadDigits();
    for (const def of OPTIMIZERS.filter((d) => !d.makeClosure)) {
      const model = new MLP({ inputs: 64, hidden: 32, classes: 10 });
      const opt = create({ def, lr: def.lrDigits, h: defaults(def) }, model.init(1));
      const before = model.loss(opt.params, train);
      const res = new Trainer(opt, train, model.lossAndGrad(train), { epochs: 2, batchSize: 32, seed: 1 }).run();
      const after = model.loss(opt.params, train);
      opt.dispose();
      expect(res.diverged, def.label).toBeNull();
      expect(after, def.label).toBeLessThan(0.5 * before);
    }
  });
});

describe('the race with EMA paths', () => {
  it('each EMA path is the float64 EMA of its path\'s points (the first point copied), with f at each point', async () => {
    await ready();
    const fn = testFunctions.rosenbrock;
    const choices = OPTIMIZERS.filter((d) => d.selected).map((def) => ({ def, lr: def.lr2d.rosenbrock, h: defaults(def) }));
    const decay = 0.95;
    const paths = racePaths(fn, choices, { steps: 300, noise: 0.5, start: fn.start, seed: 1, ema: decay });
    expect(paths.map((p) => p.choice.def.id)).toEqual(choices.map((c) => c.def.id));
    for (const { choice, path, ema } of paths) {
      expect(ema!.x).toHaveLength(path.x.length);
      let ax = path.x[0]!;
      let ay = path.y[0]!;
      let worst = 0;
      for (let k = 0; k < path.x.length; k++) {
        if (k > 0) {
          ax = decay * ax + (1 - decay) * path.x[k]!;
          ay = decay * ay + (1 - decay) * path.y[k]!;
        }
        worst = Math.max(worst, Math.abs(ema!.x[k]! - ax) / Math.max(1, Math.abs(ax)), Math.abs(ema!.y[k]! - ay) / Math.max(1, Math.abs(ay)));
        expect(ema!.value[k]).toBe(fn.value(ema!.x[k]!, ema!.y[k]!));
      }
      expect(worst, choice.def.label).toBeLessThan(1e-5);
    }
    // without ema, no EMA paths; a decay outside [0, 1] is refused before anything is drawn
    expect(racePaths(fn, choices.slice(0, 1), { steps: 5, noise: 0, start: fn.start, seed: 1 })[0]!.ema).toBeUndefined();
    expect(() => racePaths(fn, choices.slice(0, 1), { steps: 5, noise: 0, start: fn.start, seed: 1, ema: 1.5 })).toThrow(/AveragedParams: invalid options\.decay: expected a number in \[0, 1\], got 1\.5/);
  });
});

describe('the benchmark summary', () => {
  it('states the ratio and both speeds', () => {
    expect(summary({ n: 1e6, simd: 0.61, scalar: 2.5, js: 3.2 })).toEqual({ ratio: 3.2 / 0.61, text: 'wasm-optim 5.2x faster than plain JS (0.61 vs 3.2 ns/param)' });
    expect(summary({ n: 1e6, simd: undefined, scalar: 1, js: 12.5 }).text).toBe('wasm-optim 13x faster than plain JS (1.0 vs 13 ns/param)');
    expect(summary({ n: 1e6, simd: 4, scalar: 5, js: 3 }).text).toBe('wasm-optim 0.8x the speed of plain JS (4.0 vs 3.0 ns/param)');
  });
});

describe('npm run playground', () => {
  it('rejects a bad --port with exit code 2 and a message naming the flag', () => {
    const r = spawnSync(process.execPath, ['tools/playground.mjs', '--port', '99999'], { cwd: root, encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--port: expected an integer from 0 to 65535, got "99999"/);
    const u = spawnSync(process.execPath, ['tools/playground.mjs', '--bogus'], { cwd: root, encoding: 'utf8' });
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown argument "--bogus"/);
  });

  it('serves the built page, its script and the digits on 127.0.0.1 with the strict CSP, and prints the URL', async () => {
    const child = spawn(process.execPath, ['tools/playground.mjs', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((ok, fail) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d;
          const m = /(http:\/\/127\.0\.0\.1:\d+)\//.exec(out);
          if (m) ok(m[1]!);
        });
        child.on('exit', (code) => fail(new Error(`exited with ${code}`)));
      });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toBe(CSP);
      const html = await page.text();
      expect(html).toContain('<script type="module" src="playground.js"></script>');
      expect(html).not.toMatch(/<script>|<script type="module">/); // no inline script
      const js = await fetch(`${url}/playground.js`);
      expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
      const digits = await fetch(`${url}/digits.bin`);
      expect((await digits.arrayBuffer()).byteLength).toBe(118_602);
      // a path that climbs out of dist/playground (sent raw: fetch would normalise it)
      const climb = await new Promise<number>((ok, fail) => {
        get(`${url}/`, { path: '/../../package.json' }, (res) => ok(res.statusCode!)).on('error', fail);
      });
      expect(climb).toBe(404);
    } finally {
      child.kill();
    }
  });
});
