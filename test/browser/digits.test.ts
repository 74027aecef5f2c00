// loadDigits() in Chromium, from the prebuilt bundle on a static server that
// serves nothing but the bundle file and a page (what a user who copies only
// dist/wasm-optim.browser.js gets), and from an app bundled by esbuild
// against the package's exports. Checked against known values of the UCI
// test set (class counts as listed on the UCI page; the first and the last
// row of sklearn's digits.csv.gz), not against the library's own output.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launch, openPage, ROOT, serve } from './harness.js';

const FIRST = '0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0,0';
const LAST = '0,0,10,14,8,1,0,0,0,2,16,14,6,1,0,0,0,0,15,15,8,15,0,0,0,0,5,16,16,10,0,0,0,0,12,15,15,12,0,0,0,4,16,6,4,16,6,0,0,8,16,10,8,16,8,0,0,1,8,12,14,12,1,0,8';
const pixels = (row: string) => row.split(',').map(Number).slice(0, 64).map((p) => p / 16);
const label = (row: string) => Number(row.split(',')[64]);
const EXPECTED = {
  n: 1797, dim: 64, classes: 10, train: 1438, test: 359,
  counts: [178, 182, 177, 183, 181, 182, 181, 179, 174, 180],
  first: { x: pixels(FIRST), y: label(FIRST) },
  last: { x: pixels(LAST), y: label(LAST) },
};

/** The page's code: loads the digits and summarizes them as EXPECTED is written. */
const summarize = `
  const d = await loadDigits();
  const counts = Array.from({ length: 10 }, (_, c) => d.all.y.filter((v) => v === c).length);
  const row = (i) => ({ x: Array.from(d.all.x.subarray(64 * i, 64 * i + 64)), y: d.all.y[i] });
  const out = { n: d.all.n, dim: d.all.dim, classes: d.all.classes, train: d.train.n, test: d.test.n, counts, first: row(0), last: row(d.all.n - 1) };`;

let browser: Browser;
beforeAll(async () => {
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
});

async function runPage(dir: string, page = 'index.html'): Promise<{ result: unknown; errors: string[]; requests: string[] }> {
  const server = await serve(dir);
  try {
    const { page: p, errors } = await openPage(browser, 'about:blank');
    const requests: string[] = [];
    p.on('request', (r) => requests.push(r.url().slice(server.url.length)));
    p.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    p.on('response', (r) => {
      if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    await p.goto(`${server.url}/${page}`);
    const result = await p
      .waitForFunction(() => (window as unknown as { result?: unknown; failure?: string }).result ?? (window as unknown as { failure?: string }).failure, null, { timeout: 30_000 })
      .then((h) => h.jsonValue());
    await p.close();
    return { result, errors, requests };
  } finally {
    await server.close();
  }
}

describe('loadDigits() in Chromium', () => {
  it('works from the prebuilt bundle when the server has nothing but the bundle file and the page', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-digits-'));
    copyFileSync(join(ROOT, 'dist', 'wasm-optim.browser.js'), join(dir, 'wasm-optim.browser.js'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
    writeFileSync(
      join(dir, 'page.js'),
      `import { loadDigits } from './wasm-optim.browser.js';
       try { ${summarize} window.result = out; } catch (e) { window.failure = 'failed: ' + e.message; }`,
    );
    const { result, errors, requests } = await runPage(dir);
    expect(errors).toEqual([]);
    expect(result).toEqual(EXPECTED);
    expect(requests.sort()).toEqual(['/index.html', '/page.js', '/wasm-optim.browser.js']);
  });

  it('works from an app bundled by esbuild against the package exports, in Chromium and in Node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-digits-app-'));
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-optim'), 'dir');
    writeFileSync(
      join(dir, 'main.js'),
      `import { loadDigits } from 'wasm-optim';
       ${summarize}
       if (typeof document !== 'undefined') window.result = out; else console.log(JSON.stringify(out));`,
    );
    for (const platform of ['node', 'browser'] as const) {
      await build({ entryPoints: [join(dir, 'main.js')], outfile: join(dir, `out-${platform}.js`), bundle: true, format: 'esm', platform, logLevel: 'error' });
    }
    // the Node build runs from another directory, with no package data beside it
    const elsewhere = mkdtempSync(join(tmpdir(), 'wasm-optim-digits-run-'));
    copyFileSync(join(dir, 'out-node.js'), join(elsewhere, 'app.mjs'));
    expect(JSON.parse(execFileSync(process.execPath, [join(elsewhere, 'app.mjs')], { encoding: 'utf8' }))).toEqual(EXPECTED);
    const site = mkdtempSync(join(tmpdir(), 'wasm-optim-digits-site-'));
    copyFileSync(join(dir, 'out-browser.js'), join(site, 'app.js'));
    writeFileSync(join(site, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>');
    const { result, errors } = await runPage(site);
    expect(errors).toEqual([]);
    expect(result).toEqual(EXPECTED);
  });
});

describe("README's browser example", () => {
  it('runs as written (external module script, strict CSP) with only the bundle beside it', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const html = /```html\n(<!-- index\.html -->[\s\S]*?)```/.exec(readme)?.[1];
    const main = /```javascript\n(\/\/ main\.js[\s\S]*?)```/.exec(readme)?.[1];
    expect(html).toMatch(/<script type="module" src="\.\/main\.js"><\/script>/);
    expect(main).toMatch(/loadDigits\(\)/);
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-readme-browser-'));
    mkdirSync(join(dir, 'node_modules', 'wasm-optim', 'dist'), { recursive: true });
    copyFileSync(join(ROOT, 'dist', 'wasm-optim.browser.js'), join(dir, 'node_modules', 'wasm-optim', 'dist', 'wasm-optim.browser.js'));
    writeFileSync(join(dir, 'index.html'), html!);
    writeFileSync(join(dir, 'main.js'), `${main!}\nwindow.result = { trainImages: train.n };\n`);
    const { result, errors } = await runPage(dir);
    expect(errors).toEqual([]);
    expect(result).toEqual({ trainImages: 1438 });
  });
});
