// The comparison's HTML report (src/cli/report.ts) in Chromium: at common
// window widths nothing is wider than the window (no horizontal scrolling,
// no chart cut off), and the charts stay legible (not squeezed below 300 px).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, METHODS, runCompare } from '../../dist/cli/compare.js';
import { renderReport } from '../../dist/cli/report.js';
import { launch, openPage, serve } from './harness.js';

let browser: Browser;
let server: Awaited<ReturnType<typeof serve>>;
beforeAll(async () => {
  const result = await runCompare({ ...DEFAULT_CONFIG, dataset: 'spiral', model: 'softmax', epochs: 2, sweepEpochs: 1, optimizers: [...METHODS] }, () => {});
  const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-report-'));
  writeFileSync(join(dir, 'index.html'), renderReport(result, { command: 'wasm-optim compare', versions: 'test' }));
  server = await serve(dir);
  browser = await launch();
});
afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the HTML report in Chromium', () => {
  it.each([1280, 1024, 800])('fits a %i px wide window', async (width) => {
    const { page, errors } = await openPage(browser, 'about:blank');
    await page.setViewportSize({ width, height: 900 });
    await page.goto(`${server.url}/index.html`);
    const m = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
      charts: Array.from(document.querySelectorAll('svg.chart')).map((s) => {
        const r = s.getBoundingClientRect();
        return { left: r.left, right: r.right, width: r.width };
      }),
    }));
    expect(errors).toEqual([]);
    expect(m.charts.length).toBe(5 + 1 + METHODS.length + 3); // one noise panel per method (every registered one here)
    expect(m.scroll).toBeLessThanOrEqual(m.client);
    for (const c of m.charts) {
      expect(c.left).toBeGreaterThanOrEqual(0);
      expect(c.right).toBeLessThanOrEqual(m.client);
      expect(c.width).toBeGreaterThanOrEqual(width >= 1000 ? 260 : 200);
    }
    await page.close();
  });
});
