// End-to-end in Debian's headless Chromium: the prebuilt bundle from a static
// server (under a strict CSP), an app built by a bundler (esbuild) against the
// package's exports, and bit-identical trajectories in Node and Chromium.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as lib from '../../dist/index.js';
import { trajectory } from './determinism.mjs';
import { launch, openPage, ROOT, serve } from './harness.js';

let browser: Browser;
let server: Awaited<ReturnType<typeof serve>>;

beforeAll(async () => {
  browser = await launch();
  server = await serve();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('in Chromium', () => {
  it('the prebuilt ESM bundle works from a static server with no bundler, under a strict CSP', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/test/browser/pages/bundle.html`);
    const result = await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 20_000 }).then((h) => h.jsonValue()) as {
      info: { build: string }; w: number[]; restored: number[];
    };
    expect(errors).toEqual([]);
    expect(result.info.build).toBe('simd');
    expect(result.w[0]).toBeLessThan(1);
    expect(result.restored).toEqual(result.w);
    await page.close();
  });

  it('an app bundled by esbuild against the package exports runs in Node and in Chromium', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-app-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-optim'), 'dir');
    writeFileSync(
      join(dir, 'main.js'),
      `import { ready, SGD, clipGradNorm } from 'wasm-optim';
       await ready();
       const w = new Float32Array([4, -4]);
       const opt = new SGD([w], { lr: 0.25 });
       for (let t = 0; t < 3; t++) opt.step([w.map((x) => 2 * x)]);
       const g = [new Float32Array([3, 4])];
       const out = { w: Array.from(w), norm: clipGradNorm(g, 1) };
       if (typeof document !== 'undefined') window.result = out; else console.log(JSON.stringify(out));`,
    );
    for (const platform of ['node', 'browser'] as const) {
      await build({ entryPoints: [join(dir, 'main.js')], outfile: join(dir, `out-${platform}.js`), bundle: true, format: 'esm', platform, logLevel: 'error' });
    }
    const expected = { w: [0.5, -0.5], norm: 5 };
    expect(JSON.parse(execFileSync(process.execPath, [join(dir, 'out-node.js')], { encoding: 'utf8' }))).toEqual(expected);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./out-browser.js"></script>');
    const app = await serve(dir);
    try {
      const { page, errors } = await openPage(browser, `${app.url}/index.html`);
      const result = await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 20_000 }).then((h) => h.jsonValue());
      expect(errors).toEqual([]);
      expect(result).toEqual(expected);
      await page.close();
    } finally {
      await app.close();
    }
  });

  it('a 1,000-step Adam trajectory on 10,000 parameters has the same bytes in Node and in Chromium (SIMD and scalar builds)', async () => {
    const node = { simd: await trajectory(lib, { simd: true }), scalar: await trajectory(lib, { simd: false }) };
    const { page, errors } = await openPage(browser, `${server.url}/test/browser/pages/determinism.html`);
    const browserResult = (await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 60_000 }).then((h) => h.jsonValue())) as typeof node;
    expect(errors).toEqual([]);
    expect(browserResult.simd).toBe(node.simd);
    expect(browserResult.scalar).toBe(node.scalar);
    expect(node.simd).toBe(node.scalar);
    expect(node.simd).toMatch(/^[0-9a-f]{64}$/);
    await page.close();
  });
});
