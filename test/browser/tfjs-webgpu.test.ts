// toTfjs on TF.js's webgpu backend (@tensorflow/tfjs-backend-webgpu 4.22) in
// headless Chromium on SwiftShader's WebGPU: the PyTorch fixtures of Adam,
// AdamW, SGD with momentum and RMSprop (classic.json, and the clipped runs of
// clip.json) replayed through toTfjs within |x - ref| <= 1e-5 * max(1, max |ref|),
// each variable's state in a GpuOptimizer (src/tfjs/webgpu.ts), and no
// readback during applyGradients: the backend's readSync and read, and
// GPUBuffer.mapAsync, are counted on the page and must stay at 0.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledWebGpuPage, ROOT, serve, type BundledPage } from './harness.js';
import type { TfjsPageCase, TfjsPageResult } from './tfjs-webgpu-page.js';
import { f32 } from '../helpers.js';

const RTOL = 1e-5;

interface FixtureCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  groups: unknown;
  params: string[];
  steps: { lr: number[] | null; grads: string[]; params: string[] }[];
  maxNorm?: number;
  normType?: number | string | null;
}

const load = (f: string) => (JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')) as { cases: FixtureCase[] }).cases;
const isMomentumSgd = (c: FixtureCase) => c.optimizer === 'SGD' && typeof c.options.momentum === 'number' && c.options.momentum > 0;
const wanted = (c: FixtureCase) => !c.groups && (['Adam', 'AdamW', 'RMSprop'].includes(c.optimizer) || isMomentumSgd(c));
const classic = load('classic.json').filter(wanted);
const clipped = load('clip.json').filter((c) => c.optimizer !== undefined && wanted(c));


let opened: BundledPage | undefined;
let page: Page;
let pageErrors: string[] = [];

beforeAll(async () => {
  opened = await bundledWebGpuPage(new URL('./tfjs-webgpu-page.ts', import.meta.url), 'tfjsWebgpu');
  ({ page, errors: pageErrors } = opened);
});
afterAll(async () => {
  await opened?.close();
});

async function replay(c: FixtureCase): Promise<{ failure: string | undefined; result: TfjsPageResult }> {
  const options = { ...c.options };
  if (c.maxNorm !== undefined) {
    const t = c.normType;
    Object.assign(options, { maxGradNorm: c.maxNorm, gradNormType: t === null || t === 'Infinity' || t === 'inf' ? Infinity : t });
  }
  const input: TfjsPageCase = { name: c.name, optimizer: c.optimizer, options, params: c.params, steps: c.steps.map((s) => ({ lr: s.lr, grads: s.grads })) };
  const result = await page.evaluate((x) => (window as unknown as { tfjsWebgpu: { runCase(c: TfjsPageCase): Promise<TfjsPageResult> } }).tfjsWebgpu.runCase(x), input);
  let maxRef = 0;
  const refs = c.steps.map((s) => s.params.map(f32));
  for (const s of refs) for (const p of s) for (const v of p) if (Number.isFinite(v)) maxRef = Math.max(maxRef, Math.abs(v));
  const tol = RTOL * Math.max(1, maxRef);
  let bad = 0;
  let worst = '';
  let worstErr = -1;
  refs.forEach((s, t) =>
    s.forEach((ref, ti) => {
      const x = f32(result.steps[t]![ti]!);
      ref.forEach((r, j) => {
        const err = Math.abs(x[j]! - r);
        if (!(err <= tol)) {
          bad++;
          const e = Number.isNaN(err) ? Infinity : err;
          if (e > worstErr) {
            worstErr = e;
            worst = `step ${t + 1}, tensor ${ti}, element ${j}: got ${x[j]}, reference ${r}`;
          }
        }
      });
    }),
  );
  return { failure: bad ? `${c.name}: ${bad} value(s) outside ${tol}; worst ${worst}` : undefined, result };
}

describe('toTfjs on TF.js\'s webgpu backend (SwiftShader)', () => {
  it('the fixtures hold Adam, AdamW, SGD with momentum and RMSprop, some clipped', () => {
    expect(new Set(classic.map((c) => (isMomentumSgd(c) ? 'SGD momentum' : c.optimizer)))).toEqual(new Set(['Adam', 'AdamW', 'SGD momentum', 'RMSprop']));
    expect(clipped.length).toBeGreaterThanOrEqual(4);
  });

  it.each([...classic, ...clipped].map((c) => [c.name, c] as const))('%s: PyTorch fixture within 1e-5 * max(1, max|ref|), state on the GPU, no readback', async (_name, c) => {
    const { failure, result } = await replay(c);
    expect(failure).toBeUndefined();
    expect(result.backend).toBe('webgpu');
    expect(result.onGpu).toBe(true);
    expect({ readSync: result.readSync, read: result.read, mapAsync: result.mapAsync }).toEqual({ readSync: 0, read: 0, mapAsync: 0 });
    expect(pageErrors).toEqual([]);
  });

  // one non-finite decision per applyGradients, as the CPU path makes (there: skip, or throw, for the whole call),
  // decided on the GPU: every variable's check ORs into one control buffer that every update of the call reads
  type NanResult = { after: number[][]; skipped: boolean; skippedSteps: number; next: number[][]; mapAsync: number };
  const nanCall = (options: Record<string, unknown>) =>
    page.evaluate((o) => (window as unknown as { tfjsWebgpu: { nanCall(o: Record<string, unknown>): Promise<NanResult> } }).tfjsWebgpu.nanCall(o), options);
  const close = (got: number[][], want: number[][]) => {
    expect(got.map((v) => v.length)).toEqual(want.map((v) => v.length));
    got.forEach((v, i) => v.forEach((x, j) => (Number.isNaN(want[i]![j]!) ? expect(x).toBeNaN() : expect(x).toBeCloseTo(want[i]![j]!, 6))));
  };
  const initial = [[1, 2], [3, 4, 5], [6]];
  const stepped = (w: number[][]) => w.map((v) => v.map((x) => x - 0.1));
  it.each([
    ['skipNonFinite', { skipNonFinite: true }],
    ['checkFinite (the default: a GPU cannot throw, so it skips as skipNonFinite does)', {}],
  ] as const)('%s: one NaN in one variable\'s gradient leaves EVERY variable unchanged; the next call steps them all', async (_n, options) => {
    const r = await nanCall(options);
    close(r.after, initial);
    expect(r.skipped).toBe(true);
    expect(r.skippedSteps).toBe(1);
    close(r.next, stepped(initial));
    expect(r.mapAsync).toBe(0);
    expect(pageErrors).toEqual([]);
  });

  it('checkFinite: false: the NaN goes into its element only, every other value steps (as in PyTorch)', async () => {
    const r = await nanCall({ checkFinite: false });
    close(r.after, [[0.9, 1.9], [2.9, NaN, 4.9], [5.9]]);
    expect(r.skipped).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});

// README "WebGPU": the page example of toTfjs on the webgpu backend, taken from README.md as it stands,
// bundled (wasm-optim resolved to this checkout, as an app's node_modules would) and run as a page.
describe('README: the toTfjs page example, run in Chromium on SwiftShader', () => {
  it('prints what its console.log annotation says', async () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8').split('\n');
    const start = readme.findIndex((l, i) => l === '```js no-run' && readme[i + 1]!.startsWith('// page.js') && readme.slice(i, i + 12).some((x) => x.includes("'wasm-optim/tfjs'")));
    expect(start, 'the toTfjs page fence in README.md').toBeGreaterThan(0);
    const end = readme.indexOf('```', start + 1);
    const code = readme.slice(start + 1, end).join('\n');
    const annotated = /console\.log\(.*\/\/ (.+)$/m.exec(code);
    expect(annotated, 'a console.log with an // output annotation').not.toBeNull();
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-readme-webgpu-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-optim'), 'dir');
    writeFileSync(join(dir, 'main.js'), code);
    await build({ entryPoints: [join(dir, 'main.js')], outfile: join(dir, 'page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', nodePaths: [join(ROOT, 'node_modules')], logLevel: 'error' });
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
    const srv = await serve(dir);
    const p = await opened!.browser.newPage();
    try {
      const logs: string[] = [];
      const errs: string[] = [];
      p.on('console', (m) => (m.type() === 'log' ? logs : m.type() === 'error' ? errs : []).push(m.text()));
      p.on('pageerror', (e) => errs.push(String(e)));
      await p.goto(`${srv.url}/index.html`);
      await p.waitForFunction(() => true);
      const deadline = Date.now() + 120_000;
      while (logs.filter((l) => !l.startsWith('%c')).length === 0 && errs.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      expect(errs).toEqual([]);
      expect(logs.filter((l) => !l.startsWith('%c'))).toEqual([annotated![1]!.trim()]);
    } finally {
      await p.close();
      await srv.close();
    }
  });
});
