// The Web Workers pool (src/threads/web-pool.ts) in Debian's headless
// Chromium, from the prebuilt bundle: served with COOP/COEP, ready({ threads:
// 3 }) starts 2 workers and every registered optimizer (odd sizes, groups,
// clipping) gives the same bytes on 2 and 3 threads as on one, with steps run
// from the page's main thread (which spins: it may not Atomics.wait); the
// same page without those headers runs on one thread and says why. No timing.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, openPage, ROOT, serve } from './harness.js';

interface Result {
  crossOriginIsolated: boolean;
  info: { build: string; threads: { size: number; reason?: string } };
  backend: { threads: { size: number; reason?: string } };
  cases: { name: string; used: number; same: boolean }[];
}

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function load(isolated: boolean, query: string): Promise<{ result: Result; errors: string[]; chunks: number[] }> {
  const server = await serve(undefined, { isolated });
  try {
    const { page, errors } = await openPage(browser, `${server.url}/test/browser/pages/threads.html?${query}`);
    const result = (await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 240_000 }).then((h) => h.jsonValue())) as Result;
    // chunks each pool worker ran (a global of the worker's program, src/threads/web-worker-source.ts)
    const chunks = await Promise.all(page.workers().filter((w) => /blob:/.test(w.url())).map((w) => w.evaluate('chunks') as Promise<number>));
    await page.close();
    return { result, errors, chunks };
  } finally {
    await server.close();
  }
}

describe('the Web Workers pool in Chromium', () => {
  it('with COOP/COEP: 3 threads, and 2 and 3 threads give the bytes of one for every optimizer, L-BFGS included', async () => {
    const { result, errors, chunks } = await load(true, 'threads=3');
    expect(errors).toEqual([]);
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.info.threads).toMatchObject({ size: 3 });
    expect(result.info.threads.reason).toBeUndefined();
    expect(result.cases.length).toBeGreaterThan(40);
    expect(result.cases.filter((c) => c.name.startsWith('LBFGS')).length).toBe(4); // the closure optimizer too
    expect(result.cases.filter((c) => !c.same).map((c) => c.name)).toEqual([]);
    for (const c of result.cases) expect(c.used, c.name).toBe(Number(c.name.slice(-1)));
    // two workers, and both ran chunks (the pool was used, not the calling thread alone)
    expect(chunks).toHaveLength(2);
    for (const n of chunks) expect(n).toBeGreaterThan(100);
  });

  it('without the headers: one thread, a reason naming them, no error and no worker', async () => {
    const { result, errors, chunks } = await load(false, 'threads=3&only=Adam,Lamb');
    expect(errors).toEqual([]);
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.info.threads.size).toBe(1);
    expect(result.info.threads.reason).toMatch(/not cross-origin isolated.*Cross-Origin-Opener-Policy: same-origin.*Cross-Origin-Embedder-Policy: require-corp/);
    expect(result.backend.threads).toEqual(result.info.threads);
    expect(result.cases.map((c) => c.name)).toHaveLength(12);
    expect(result.cases.every((c) => c.same && c.used === 1)).toBe(true);
    expect(chunks).toEqual([]);
  });

  it('a worker that throws or dies before check-in is an error on the caller and changes nothing; late workers are not waited for', async () => {
    // the page with the pool's test hooks (dist/threads/pool.js), bundled with the library into one module
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-threads-'));
    const pages = join(ROOT, 'test/browser/pages');
    await build({ entryPoints: [join(pages, 'threads-failures.js')], outfile: join(dir, 'threads-failures-bundle.js'), bundle: true, format: 'esm', platform: 'browser', logLevel: 'error' });
    copyFileSync(join(pages, 'threads-failures.html'), join(dir, 'index.html'));
    const server = await serve(dir, { isolated: true });
    try {
      const { page, errors } = await openPage(browser, `${server.url}/index.html`);
      const r = (await page.waitForFunction(() => (window as unknown as { result?: unknown }).result, null, { timeout: 120_000 }).then((h) => h.jsonValue())) as Record<string, unknown>;
      await page.close();
      expect(errors).toEqual([]);
      expect(r.info).toMatchObject({ size: 2 });
      expect(r.throwError).toMatch(/kernel adam.*a worker of the thread pool threw before the call began writing, so no thread wrote anything \(worker 1: test hook: a worker that throws before its chunk\).*parameters and optimizer state are as they were before it/);
      expect(r.throwStepCount).toBe(1);
      expect(r.throwUnchanged).toBe(true);
      expect(r).toMatchObject({ throwThenSplit: true, throwThenSame: true });
      expect(r.dieError).toMatch(/a worker of the thread pool exited before the call began writing.*as they were before it/);
      expect(r.dieStepCount).toBe(0);
      expect(r.dieUnchanged).toBe(true);
      // the replacement worker starts only once the page yields: until then the calling thread runs the calls
      expect(r).toMatchObject({ afterDieSplitAtOnce: false, afterDiePoolUp: true, afterDieSplitLater: true, dieThenSame: true });
      // an optimizer asking for 3 threads when ready() started 2: the third starts, and is used once it answered
      expect(r).toMatchObject({ threeAtOnce: false, threePoolUp: true, threeLater: true, threeSame: true, workers: 2, attached: 0 });
    } finally {
      await server.close();
    }
  });
});
