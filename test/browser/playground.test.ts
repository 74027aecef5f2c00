// The playground page (dist/playground, built by `npm run build`) end to end
// in Debian's headless Chromium, served under the strict CSP: it loads
// cleanly and offline, races optimizers across the contour plot (with the
// same numbers as the library in Node), reports bad hyperparameters, trains
// on the digits with live loss curves, trains a tfjs-layers model with
// train.adam and tf.train.adam (TF.js fetched on demand, in its own chunk),
// and benchmarks. The benchmark test writes the screenshot the README shows
// (docs/playground.png).
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { launch, openPage, ROOT, serve } from './harness.js';

let browser: Browser;
let server: Awaited<ReturnType<typeof serve>>;
let page: Page;
let errors: string[];
const requests: string[] = [];

beforeAll(async () => {
  browser = await launch();
  server = await serve(join(ROOT, 'dist', 'playground'));
  ({ page, errors } = await openPage(browser, 'about:blank'));
  await page.setViewportSize({ width: 1280, height: 900 });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${server.url}/`);
  await page.waitForSelector('body[data-ready=true]', { timeout: 20_000 });
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Bytes of JavaScript the page loaded at start before the TF.js panel existed
 * (dist/playground/playground.js at commit 2a36c0c, one bundle), printed for
 * comparison only: the library grows, so the test checks instead that no
 * TF.js code is in what the page loads at start.
 */
const INITIAL_JS_BEFORE_TFJS = 497_193;
const jsFiles = (urls: readonly string[]): string[] => urls.filter((u) => u.endsWith('.js')).map((u) => new URL(u).pathname.slice(1));
const builtSize = (file: string): number => statSync(join(ROOT, 'dist', 'playground', file)).size;

/** tf.memory().numTensors after the TF.js panel's first run, once it freed its models, optimizers and data. */
let tensorsAfterRun = NaN;

const attr = async (selector: string, name: string): Promise<string | null> => page.getAttribute(selector, name);
/** The checked optimizers' ids, in table order. */
const checked = (): Promise<string[]> =>
  page.$$eval('#optimizers tbody tr', (rows) => rows.filter((r) => r.querySelector<HTMLInputElement>('input[type=checkbox]')!.checked).map((r) => (r as HTMLElement).dataset.optimizer!));

describe('the playground in Chromium', () => {
  it('loads with no console errors, fetches nothing from elsewhere, and draws the contours of the function', async () => {
    expect(errors).toEqual([]);
    expect(requests.length).toBeGreaterThan(2);
    for (const url of requests) expect(url.startsWith(`${server.url}/`), url).toBe(true);
    expect(await page.textContent('#backend')).toMatch(/simd build/);
    // SGD, its Nesterov form, then every other registered optimizer in registry order, then L-BFGS (closure-stepped: it races only)
    expect(await page.$$eval('#optimizers tbody tr', (rows) => rows.map((r) => (r as HTMLElement).dataset.optimizer))).toEqual([
      'sgd', 'nesterov', ...lib.optimizerNames.filter((n) => n !== 'SGD').map((n) => n.toLowerCase()), 'lbfgs',
    ]);
    expect(await page.$$eval('svg.contour path[fill]', (ps) => ps.length)).toBeGreaterThan(10);
    expect(await page.$$eval('svg.contour polyline', (ps) => ps.length)).toBe(0);
    expect(await attr('svg.contour', 'data-step')).toBe('0');
  });

  it('the caption names the marks the plot draws: + for the minima, a ring for the start', async () => {
    const hint = (await page.$$eval('p.hint', (ps) => ps.map((p) => p.textContent ?? ''))).find((t) => /marks the minim/.test(t))!;
    expect(hint).toMatch(/\+ marks the minima, ◯ the start/);
    const minima = await page.$$eval('svg.contour path.minimum', (ps) => ps.map((p) => p.getAttribute('d')!));
    expect(minima.length).toBeGreaterThan(0);
    // a plus: one horizontal and one vertical stroke, nothing diagonal
    for (const d of minima) expect(d).toMatch(/^M[\d.-]+,[\d.-]+m-7,0h14m-7,-7v14$/);
    expect(await attr('svg.contour path.start', 'd')).toMatch(/a6,6 0 1,0 12,0/);
  });

  it('Stop is disabled while nothing runs', async () => {
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#train')).toBe(true);
  });

  it('a bad hyperparameter is reported on the page, naming the optimizer and the option, and nothing runs', async () => {
    const lr = page.locator('tr[data-optimizer=adam] input.lr').first();
    const before = await lr.inputValue();
    await lr.fill('-1');
    await page.click('#run');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toMatch(/^Adam: .*lr.*-1/);
    expect(await page.$$eval('svg.contour polyline', (ps) => ps.length)).toBe(0);
    expect(await attr('svg.contour', 'data-state')).toBe('idle');
    await lr.fill(before);
    expect(errors).toEqual([]);
  });

  it('Run races the chosen optimizers across the contour plot, step by step, with the numbers of the library in Node', async () => {
    await page.selectOption('#function', 'beale');
    expect(await page.inputValue('#steps')).toBe('500');
    await page.click('#run');
    expect(await page.isHidden('#error')).toBe(true);
    // while it runs, the step count and the paths grow
    // (read in the same page task as the state, so the check cannot race the animation)
    const running = await page.waitForFunction(() => {
      const svg = document.querySelector<SVGSVGElement>('svg.contour')!;
      return svg.dataset.state === 'running' && Number(svg.dataset.step) > 0 && { stopDisabled: document.querySelector<HTMLButtonElement>('#stop')!.disabled };
    }).then((h) => h.jsonValue());
    expect(running).toEqual({ stopDisabled: false });
    const midway = Number(await attr('svg.contour', 'data-step'));
    await page.waitForSelector('svg.contour[data-state=done]', { timeout: 20_000 });
    expect(await page.isDisabled('#stop')).toBe(true); // cleared in the same task that marks the race done
    expect(midway).toBeLessThan(500);
    expect(await attr('svg.contour', 'data-step')).toBe('500');

    const ids = await checked();
    expect(ids).toEqual(['sgd', 'nesterov', 'momentum', 'adagrad', 'rmsprop', 'adam', 'adamw', 'lion']);
    const drawn = await page.$$eval('svg.contour polyline', (ps) => ps.map((p) => p.getAttribute('points')!.split(' ').length));
    expect(drawn).toHaveLength(ids.length);
    for (const n of drawn) expect(n).toBeGreaterThan(20);
    const legend = await page.$$eval('#race-legend li', (lis) => lis.map((li) => ({
      id: li.dataset.optimizer!, f: Number(li.querySelector<HTMLElement>('.value')!.dataset.f), step: li.querySelector<HTMLElement>('.value')!.dataset.step,
    })));
    expect(legend.map((l) => l.id)).toEqual(ids);

    // Adam (lr 0.1, betas 0.9/0.999) from Beale's start, in Node: the page shows exactly its f after 500 steps.
    await lib.ready();
    const fn = lib.testFunctions.beale;
    const adam = new lib.Adam([Float32Array.from(fn.start)], { lr: Number(await page.inputValue('tr[data-optimizer=adam] input.lr')), betas: [0.9, 0.999] });
    const t = lib.trajectory(adam, fn, { steps: 500 });
    adam.dispose();
    const shown = legend.find((l) => l.id === 'adam')!;
    expect(shown.step).toBe('500');
    expect(shown.f).toBe(t.value[500]);
    expect(shown.f).toBeLessThan(1e-3); // near the minimum 0 at (3, 0.5)
    expect(errors).toEqual([]);
  });

  it('EMA draws a dashed EMA of each path next to it, with f at the EMA in the legend, as averagedTrajectory in Node', async () => {
    await page.selectOption('#function', 'beale');
    await page.check('#ema');
    await page.fill('#ema-decay', '0.95');
    await page.click('#run');
    await page.waitForSelector('svg.contour[data-state=done]', { timeout: 20_000 });
    expect(await page.isHidden('#error')).toBe(true);
    const ids = await checked();
    expect(await page.$$eval('svg.contour polyline.ema', (ps) => ps.length)).toBe(ids.length);
    expect(await page.$$eval('svg.contour polyline:not(.ema)', (ps) => ps.length)).toBe(ids.length);
    const shown = Number(await attr('#race-legend li[data-optimizer=adam] .value.ema', 'data-f'));
    await lib.ready();
    const fn = lib.testFunctions.beale;
    const adam = new lib.Adam([Float32Array.from(fn.start)], { lr: Number(await page.inputValue('tr[data-optimizer=adam] input.lr')), betas: [0.9, 0.999] });
    const t = lib.trajectory(adam, fn, { steps: 500 });
    adam.dispose();
    expect(shown).toBe(lib.averagedTrajectory(t, fn, { mode: 'ema', decay: 0.95 }).value[500]);
    // a decay outside [0, 1] is reported, naming the field
    await page.fill('#ema-decay', '2');
    await page.click('#run');
    expect(await page.textContent('#error')).toBe('EMA decay: expected a number from 0 to 1, got "2"');
    await page.fill('#ema-decay', '0.99');
    await page.uncheck('#ema');
    await page.click('#run');
    await page.waitForSelector('svg.contour[data-state=done]', { timeout: 20_000 });
    expect(await page.$$eval('svg.contour polyline.ema', (ps) => ps.length)).toBe(0);
    expect(errors).toEqual([]);
  });

  it('Train trains on the digits with live loss curves and a results table', async () => {
    const ids = await checked();
    await page.click('#train');
    // live: points appear while the run is still going
    const running = await page.waitForFunction(() => {
      const box = document.querySelector<HTMLElement>('#loss-chart')!;
      return box.dataset.state === 'running' && Number(box.dataset.points) > 8 * 1 && { stopDisabled: document.querySelector<HTMLButtonElement>('#stop')!.disabled };
    }, null, { timeout: 20_000 }).then((h) => h.jsonValue());
    expect(running).toEqual({ stopDisabled: false });
    const epochs = Number(await page.inputValue('#epochs'));
    await page.waitForSelector('#loss-chart[data-state=done]', { timeout: 60_000 });
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(Number(await attr('#loss-chart', 'data-points'))).toBe(ids.length * (epochs + 1));
    expect(await page.$$eval('#loss-chart canvas', (cs) => cs.length)).toBeGreaterThan(0);
    const rows = await page.$$eval('#train-table tbody tr', (trs) => trs.map((tr) => ({
      id: (tr as HTMLElement).dataset.optimizer!, cells: [...(tr as HTMLTableRowElement).cells].map((c) => c.textContent ?? ''),
    })));
    expect(rows.map((r) => r.id)).toEqual(ids);
    for (const { id, cells } of rows) {
      expect(cells[2], id).toBe(String(epochs));
      expect(Number(cells[3]), id).toBeLessThan(0.2); // from about 2.3 (ln 10) at the start
      expect(parseFloat(cells[5]!), id).toBeGreaterThan(90); // test accuracy, %
    }
    expect(errors).toEqual([]);
  });

  it('TF.js loads on demand, in its own chunk, and trains a tfjs-layers model with train.adam and tf.train.adam: the same loss curves', async () => {
    // at start the page loaded no TF.js, and hardly more script than before the panel existed
    const initial = jsFiles(requests);
    expect(initial.some((f) => f.startsWith('tfjs-')), initial.join(' ')).toBe(false);
    const initialBytes = initial.reduce((n, f) => n + builtSize(f), 0);
    // no TF.js code in what the page loads at start (its kernels' names, e.g. BatchMatMul, appear only in TF.js)
    for (const f of initial) expect(readFileSync(join(ROOT, 'dist', 'playground', f), 'utf8').includes('BatchMatMul'), f).toBe(false);
    const seen = requests.length;

    const epochs = 8;
    await page.fill('#tfjs-epochs', String(epochs));
    await page.click('#tfjs');
    // live: epochs come in while the run is still going, and Stop is enabled
    const running = await page.waitForFunction(() => {
      const box = document.querySelector<HTMLElement>('#tfjs-chart')!;
      return box.dataset.state === 'running' && Number(box.dataset.epochs) >= 1 && { stopDisabled: document.querySelector<HTMLButtonElement>('#stop')!.disabled };
    }, null, { timeout: 30_000 }).then((h) => h.jsonValue());
    expect(running).toEqual({ stopDisabled: false });
    await page.waitForSelector('#tfjs-chart[data-state=done]', { timeout: 90_000 });
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#tfjs')).toBe(true);
    expect(await page.textContent('#tfjs-status')).toMatch(/^TF\.js 4\.22\.\d+, cpu backend$/);

    // the click fetched the TF.js chunk, and TF.js is in it
    const chunks = jsFiles(requests.slice(seen)).filter((f) => f.startsWith('tfjs-'));
    expect(chunks).toHaveLength(1);
    expect(builtSize(chunks[0]!)).toBeGreaterThan(300_000);

    expect(await page.$$eval('#tfjs-chart canvas', (cs) => cs.length)).toBeGreaterThan(0);
    const rows = await page.$$eval('#tfjs-table tbody tr', (trs) => trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      return { id: d.run!, loss: JSON.parse(d.loss!) as (number | null)[], ms: Number(d.ms), accuracy: Number(d.accuracy), meanMs: Number(d.meanMs), steps: Number((tr as HTMLTableRowElement).cells[6]!.textContent) };
    }));
    expect(rows.map((r) => r.id)).toEqual(['wasm', 'tfjs']);
    const stepsPerEpoch = Math.ceil(1438 / Number(await page.inputValue('#tfjs-batch')));
    for (const r of rows) {
      expect(r.loss, r.id).toHaveLength(epochs + 1);
      for (const v of r.loss) expect(Number.isFinite(v), r.id).toBe(true);
      const [first, mid, last] = [r.loss[0]!, r.loss[epochs / 2]!, r.loss[epochs]!];
      expect(first, r.id).toBeGreaterThan(1.5); // about ln 10 = 2.3 at the start
      expect(mid, r.id).toBeLessThan(first);
      expect(last, r.id).toBeLessThan(mid);
      expect(last, r.id).toBeLessThan(0.3);
      expect(r.accuracy, r.id).toBeGreaterThan(0.85);
      expect(r.steps, r.id).toBe(epochs * stepsPerEpoch);
      expect(r.ms, r.id).toBeGreaterThanOrEqual(0); // can be 0: the page's timer ticks in 0.1 ms steps
      expect(Number.isFinite(r.ms), r.id).toBe(true);
      expect(r.meanMs, r.id).toBeGreaterThan(0);
    }
    // train.adam against tf.train.adam itself (TF.js 4.22): the same curve, epoch by epoch
    const [ours, theirs] = [rows[0]!.loss as number[], rows[1]!.loss as number[]];
    for (let e = 0; e <= epochs; e++) expect(Math.abs(ours[e]! - theirs[e]!), `epoch ${e}`).toBeLessThanOrEqual(1e-4 * theirs[e]!);
    expect(await attr('#tfjs-verdict', 'data-agree')).toBe('true');
    const verdict = (await page.textContent('#tfjs-verdict'))!;
    expect(verdict).toMatch(/^The two loss curves agree \((identical, bit for bit, at|largest relative difference [\d.e+-]+ over) 9 points; tolerance 0\.0001\)\. Per optimizer step: train\.adam median [\d.]+ ms, mean [\d.]+ ms; tf\.train\.adam median [\d.]+ ms, mean [\d.]+ ms \([\d.]+x by the means\)\.$/);
    tensorsAfterRun = Number(await attr('#tfjs-chart', 'data-tensors'));
    expect(Number.isInteger(tensorsAfterRun)).toBe(true);
    console.log(`playground TF.js panel in headless Chromium: ${verdict} Initial JS ${initialBytes} bytes (${INITIAL_JS_BEFORE_TFJS} at commit 2a36c0c, before the TF.js mode, with a smaller library); TF.js chunk ${builtSize(chunks[0]!)} bytes.`);
    expect(errors).toEqual([]);
  });

  it('Benchmark times wasm-optim against the plain-JS loop and reports the ratio; the screenshot is written', async () => {
    await page.click('#bench');
    await page.waitForSelector('#bench-result[data-ratio]', { timeout: 60_000 });
    const text = (await page.textContent('#bench-result'))!;
    expect(text).toMatch(/^wasm-optim \d+(\.\d)?x (faster than|the speed of) plain JS \([\d.]+ vs [\d.]+ ns\/param\)$/);
    const ratio = Number(await attr('#bench-result', 'data-ratio'));
    expect(ratio).toBeGreaterThan(0);
    expect(Number.isFinite(ratio)).toBe(true);
    expect(await page.$$eval('#bench-bars .bar-row', (rs) => rs.length)).toBe(3);
    console.log(`playground benchmark in headless Chromium: ${text}`);
    expect(errors).toEqual([]);
    await page.screenshot({ path: join(ROOT, 'docs', 'playground.png'), fullPage: true });
  });

  it('Stop ends a training run and is disabled again', async () => {
    // 500 epochs of every ticked optimizer: minutes of work, so the run is still going when Stop is clicked
    await page.fill('#epochs', '500');
    await page.click('#train');
    const running = await page.waitForFunction(() => {
      const box = document.querySelector<HTMLElement>('#loss-chart')!;
      return box.dataset.state === 'running' && { stopDisabled: document.querySelector<HTMLButtonElement>('#stop')!.disabled };
    }, null, { timeout: 20_000 }).then((h) => h.jsonValue());
    expect(running).toEqual({ stopDisabled: false });
    await page.click('#stop');
    expect(await attr('#loss-chart', 'data-state')).toBe('stopped');
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#train')).toBe(true);
    await page.fill('#epochs', '15');
    expect(errors).toEqual([]);
  });

  it('the TF.js panel reports a bad learning rate, and Stop ends its run, leaving no tensors behind', async () => {
    await page.fill('#tfjs-lr', '-1');
    await page.click('#tfjs');
    await page.waitForSelector('#error:not([hidden])');
    expect(await page.textContent('#error')).toBe('TF.js lr: expected a number >= 0, got "-1"');
    expect(await attr('#tfjs-chart', 'data-state')).toBe('done'); // the last run's chart, untouched
    expect(await page.isEnabled('#tfjs')).toBe(true);
    await page.fill('#tfjs-lr', '0.01');

    await page.fill('#tfjs-epochs', '200');
    await page.click('#tfjs');
    expect(await page.isHidden('#error')).toBe(true);
    await page.waitForFunction(() => {
      const box = document.querySelector<HTMLElement>('#tfjs-chart')!;
      return box.dataset.state === 'running' && Number(box.dataset.epochs) >= 1;
    }, null, { timeout: 30_000 });
    expect(await page.isEnabled('#stop')).toBe(true);
    expect(await page.isDisabled('#tfjs')).toBe(true);
    await page.click('#stop');
    expect(await attr('#tfjs-chart', 'data-state')).toBe('stopped');
    expect(Number(await attr('#tfjs-chart', 'data-epochs'))).toBeLessThan(200);
    expect(await page.isDisabled('#stop')).toBe(true);
    expect(await page.isEnabled('#tfjs')).toBe(true);
    // the models, both optimizers (tf.train.adam's accumulators) and the data tensors were freed
    expect(Number(await attr('#tfjs-chart', 'data-tensors'))).toBe(tensorsAfterRun);
    await page.fill('#tfjs-epochs', '8');
    expect(errors).toEqual([]);
  });
});
