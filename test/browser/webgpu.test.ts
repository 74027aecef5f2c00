// wasm-optim/webgpu in headless Chromium on SwiftShader's WebGPU (Vulkan on
// the CPU): every elementwise optimizer of createGpuOptimizer replays the
// PyTorch fixtures (test/fixtures/classic.json, family.json, and the clipped
// runs of clip.json) within |x - ref| <= 1e-5 * max(1, max |ref|), the
// tolerance of test/pytorch.test.ts; checkpoints hand a run over between the
// GPU and the WebAssembly optimizer mid-trajectory (the fixture still judges
// the result); and the non-finite, clipping and validation behaviours.
//
// Chromium flags: --enable-unsafe-webgpu (headless Chromium 156 then offers
// SwiftShader's adapter, vendor "google", architecture "swiftshader"); the
// page is served from http://127.0.0.1, a secure context, where navigator.gpu
// exists (it does not on a data: or file: URL).
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gpuOptimizerNames } from '../../dist/webgpu/index.js';
import { optimizerNames } from '../../dist/index.js';
import { launchWebGpu, serve } from './harness.js';
import type { PageCase } from './webgpu-page.js';

const RTOL = 1e-5;

interface FixtureCase {
  name: string;
  optimizer: string;
  options: Record<string, unknown>;
  groups: { params: number[]; options: Record<string, unknown> }[] | null;
  params: string[];
  steps: { lr: number[] | null; set?: Record<string, unknown>[] | null; grads: string[]; params: string[] }[];
  kind?: string;
  maxNorm?: number;
  normType?: number;
}

const load = (f: string) => (JSON.parse(readFileSync(new URL(`../fixtures/${f}`, import.meta.url), 'utf8')) as { cases: FixtureCase[] }).cases;
const classic = load('classic.json');
const family = load('family.json');
const clipRuns = load('clip.json').filter((c) => c.optimizer !== undefined);

function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

let browser: Browser;
let server: Awaited<ReturnType<typeof serve>>;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-webgpu-'));
  await build({
    entryPoints: [new URL('./webgpu-page.ts', import.meta.url).pathname],
    outfile: join(dir, 'page.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'error',
  });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
  server = await serve(dir);
  browser = await launchWebGpu();
  page = await browser.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    // WebGPU reports invalid shaders, pipelines and command buffers as console warnings
    if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(m.text());
  });
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => (window as unknown as Record<string, unknown>).webgpu || (window as unknown as Record<string, unknown>).webgpuError, null, { timeout: 60_000 });
  const error = await page.evaluate(() => (window as unknown as Record<string, unknown>).webgpuError);
  if (error) throw new Error(`the WebGPU page failed: ${String(error)}`);
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Replays `c` on the page; returns a description of the failure, or undefined within tolerance. */
async function replay(c: FixtureCase, extra: Partial<PageCase> = {}): Promise<string | undefined> {
  const options = { ...c.options };
  if (c.maxNorm !== undefined) Object.assign(options, { maxGradNorm: c.maxNorm, gradNormType: c.normType === null || (c.normType as unknown) === 'Infinity' || (c.normType as unknown) === 'inf' ? Infinity : c.normType });
  const input: PageCase = { optimizer: c.optimizer, options, groups: c.groups, params: c.params, steps: c.steps.map((s) => ({ lr: s.lr, set: s.set ?? null, grads: s.grads })), ...extra };
  const got = await page.evaluate((x) => (window as unknown as { webgpu: { runCase(c: PageCase): Promise<{ steps: string[][] }> } }).webgpu.runCase(x), input);
  let maxRef = 0;
  const refs = c.steps.map((s) => s.params.map(f32));
  for (const s of refs) for (const p of s) for (const v of p) if (Number.isFinite(v)) maxRef = Math.max(maxRef, Math.abs(v));
  const tol = RTOL * Math.max(1, maxRef);
  let worst = { err: 0, where: '' };
  let bad = 0;
  refs.forEach((s, t) =>
    s.forEach((ref, ti) => {
      const x = f32(got.steps[t]![ti]!);
      if (x.length !== ref.length) throw new Error(`${c.name}: step ${t} tensor ${ti}: length ${x.length}, expected ${ref.length}`);
      ref.forEach((r, j) => {
        const err = Math.abs(x[j]! - r);
        if (!(err <= tol)) {
          bad++;
          if (!(err <= worst.err)) worst = { err: Number.isNaN(err) ? Infinity : err, where: `step ${t + 1}, tensor ${ti}, element ${j}: got ${x[j]}, reference ${r}` };
        }
      });
    }),
  );
  return bad ? `${c.name}: ${bad} value(s) outside ${tol}; worst ${worst.where}` : undefined;
}

describe('WebGPU in headless Chromium (SwiftShader)', () => {
  it('the adapter is SwiftShader, and every registry optimizer but Lamb runs on WebGPU', async () => {
    const adapter = await page.evaluate(() => (window as unknown as { webgpu: { adapter: unknown } }).webgpu.adapter);
    expect(adapter).toMatchObject({ architecture: 'swiftshader' });
    expect([...gpuOptimizerNames]).toEqual(optimizerNames.filter((n) => n !== 'Lamb'));
  });

  const byOptimizer = new Map<string, FixtureCase[]>();
  for (const c of [...classic, ...family]) byOptimizer.set(c.optimizer, [...(byOptimizer.get(c.optimizer) ?? []), c]);
  it('the fixtures cover every WebGPU optimizer but Lion (no PyTorch twin; its paper test is test/lion.test.ts)', () => {
    expect([...byOptimizer.keys()].sort()).toEqual(gpuOptimizerNames.filter((n) => n !== 'Lion').sort());
  });

  it.each([...byOptimizer.entries()].map(([name, cases]) => [name, cases.length, cases] as const))(
    '%s replays its %i PyTorch cases within 1e-5 * max(1, max|ref|)',
    async (_name, _n, cases) => {
      const failures: string[] = [];
      for (const c of cases) {
        const f = await replay(c);
        if (f) failures.push(f);
      }
      expect(failures).toEqual([]);
      expect(pageErrors).toEqual([]);
    },
    300_000,
  );

  it(`replays the ${clipRuns.length} runs of clip.json with maxGradNorm (the two-pass norm on the GPU)`, async () => {
    expect(clipRuns.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const c of clipRuns) {
      const f = await replay(c);
      if (f) failures.push(f);
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('hands a run over mid-trajectory, GPU -> WebAssembly and WebAssembly -> GPU, through save()/load() (same checkpoint format)', async () => {
    const failures: string[] = [];
    for (const [name, cases] of byOptimizer) {
      const c = cases.find((x) => x.groups) ?? cases[0]!;
      const at = Math.floor(c.steps.length / 2);
      for (const from of ['gpu', 'wasm'] as const) {
        const f = await replay(c, { handover: { at, from } });
        if (f) failures.push(`${name} from ${from}: ${f}`);
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);

  it('decides non-finite gradients on the GPU, clips, validates as the WebAssembly twin, and is driven by schedulers', async () => {
    const r = await page.evaluate(() => (window as unknown as { webgpu: { behaviours(): Promise<Record<string, any>> } }).webgpu.behaviours());
    // skipped (checkFinite: the GPU cannot throw without a readback) and with skipNonFinite; nothing changed
    expect(r['nan {}']).toEqual({ params: [1, 2, 3, 4], skipped: true, skippedSteps: 1 });
    expect(r['nan {"skipNonFinite":true}']).toEqual({ params: [1, 2, 3, 4], skipped: true, skippedSteps: 1 });
    expect(r['nan {"maxGradNorm":1}']).toEqual({ params: [1, 2, 3, 4], skipped: true, skippedSteps: 1 });
    // checkFinite: false: the NaN flows into its element only, as in PyTorch
    const through = r['nan {"checkFinite":false}'];
    expect(through.skipped).toBe(false);
    expect(through.params[0]).toBeCloseTo(0.95, 6);
    expect(Number.isNaN(through.params[1]) || through.params[1] === null).toBe(true);
    // clip: p - 1 * g / (5 + 1e-6)
    expect(r.clip.norm).toBeCloseTo(5, 5);
    expect(r.clip.params[0]).toBeCloseTo(1 - 3 / 5, 6);
    expect(r.clip.params[1]).toBeCloseTo(2 - 4 / 5, 6);
    expect(r.badLr).toBe(r.wasmBadLr.replace('options.lr', 'paramGroups[0].lr'));
    expect(r.lrAfter).toBe(0.1);
    expect(r.badGrads).toMatch(/AdamW\.step: expected 1 gradient\(s\), one per parameter in order across groups, got 0/);
    expect(r.badGrad).toMatch(/grads\[0\] must be a GPUBuffer/);
    expect(r.badOption).toBe(r.wasmBadLr); // parseOptions names the optimizer as the WebAssembly twin does
    expect(r.badName).toMatch(/unknown optimizer "adamw" \(did you mean "AdamW"\?\)/);
    expect(r.lamb).toMatch(/Lamb has no WebGPU version: Lamb scales each tensor by its trust ratio/);
    expect(r.tooLong).toMatch(/params\[0\] needs 400 bytes at offset 0, but its GPUBuffer has 256 bytes/);
    expect(r.noDevice).toMatch(/expected a GPUDevice/);
    expect(r.schedLr).toBeCloseTo(0.025, 12);
    expect(r.stateBefore).toMatchObject({ kind: 'AdamW', version: 1, state: [null], paramGroups: [{ lr: 0.025, params: [0] }] });
    expect(r.afterDispose).toMatch(/step\(\) was used after dispose\(\)/);
    expect(pageErrors).toEqual([]);
  });
});
