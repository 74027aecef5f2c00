// WebGPU: all tensors of a group in one dispatch, or one dispatch per tensor?
// `node bench/webgpu-layout.mjs [--quick] [--rounds=5]` (after `npm run build`)
// times one Adam step of createGpuOptimizer (wasm-optim/webgpu, checkFinite
// off, so the step is the update dispatches alone) over a group of K tensors
// of n floats (K*n = 1M), laid out five ways (bench/webgpu-layout-page.mjs):
//   separate  K parameter and K gradient GPUBuffers: one dispatch per tensor
//   views     the parameters views into one buffer, the gradients separate
//             buffers: still one dispatch per tensor
//   table     parameters and gradients views into one buffer each, with a gap
//             after each tensor: ONE dispatch, a table of offsets
//             (src/webgpu/plan.ts)
//   flat      the same views back to back: ONE dispatch over one range
//   flat-one  that buffer given as one tensor of K*n floats (one dispatch)
// It runs in Debian's headless Chromium with --enable-unsafe-webgpu, which
// here means SwiftShader: Vulkan emulated on the CPU. SwiftShader says nothing
// about the speed of a real GPU, so this prints ratios between the layouts
// only (a dispatch's fixed cost relative to its work on this emulator), never
// absolute times as a GPU result: the median ms per step over the rounds of
// two interleaved passes, each layout over `separate`. Results:
// bench/results/webgpu-layout.json.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { serve } from '../tools/static-server.mjs';
import { parseFlags } from './lib/cli.mjs';

const flags = parseFlags();
const quick = flags.quick !== undefined;
const rounds = Number(flags.rounds ?? (quick ? 3 : 5));
const steps = quick ? 5 : 20;
const TOTAL = quick ? 1 << 18 : 1 << 20;
const SHAPES = [[4096, TOTAL / 4096], [1024, TOTAL / 1024], [256, TOTAL / 256], [64, TOTAL / 64], [8, TOTAL / 8]];
const LAYOUTS = ['separate', 'views', 'table', 'flat', 'flat-one'];

const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-layout-'));
await build({ entryPoints: [new URL('./webgpu-layout-page.mjs', import.meta.url).pathname], outfile: join(dir, 'page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error' });
writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
const server = await serve(dir);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/index.html`);
  await page.waitForFunction(() => /** @type {any} */ (window).layoutBenchReady, null, { timeout: 60_000 });
  const adapter = await page.evaluate(() => /** @type {any} */ (window).layoutBench.adapterInfo());
  console.log(`adapter: ${JSON.stringify(adapter)}${adapter?.architecture === 'swiftshader' ? ' (SwiftShader: CPU emulation; ratios only, no GPU speed)' : ''}`);
  const rows = [];
  const median = (a) => {
    const s = [...a].sort((x, y) => x - y);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  };
  console.log('median ms per step of each layout / separate (dispatches per step in brackets)');
  for (const [k, n] of SHAPES) {
    const res = {};
    const dispatches = {};
    // interleaved twice, so a drift of the shared machine hits every layout alike
    for (const pass of [0, 1]) {
      for (const layout of pass ? [...LAYOUTS].reverse() : LAYOUTS) {
        const r = await page.evaluate((o) => /** @type {any} */ (window).layoutBench.run(o), { layout, k, n, warmup: 3, steps, rounds });
        (res[layout] ??= []).push(...r.all);
        dispatches[layout] = r.dispatches;
      }
    }
    const ms = Object.fromEntries(LAYOUTS.map((l) => [l, median(res[l])]));
    const row = { k, n, dispatches, overSeparate: Object.fromEntries(LAYOUTS.slice(1).map((l) => [l, ms[l] / ms.separate])) };
    rows.push(row);
    console.log(`K=${String(k).padStart(4)} x n=${String(n).padStart(6)}: ${LAYOUTS.slice(1).map((l) => `${l} ${row.overSeparate[l].toFixed(2)} [${dispatches[l]}]`).join(', ')} (separate [${dispatches.separate}])`);
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/webgpu-layout.json', import.meta.url), JSON.stringify({ adapter, note: 'SwiftShader (CPU emulation): ratios between layouts only (median ms per step over separate), not GPU speed', total: TOTAL, steps, rounds, rows }, null, 2) + '\n');
} finally {
  await browser.close();
  await server.close();
}
