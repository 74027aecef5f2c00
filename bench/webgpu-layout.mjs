// WebGPU: all tensors of a group in one dispatch, or one dispatch per tensor?
// `node bench/webgpu-layout.mjs [--quick] [--rounds=5]` (after `npm run build`)
// times one Adam step of createGpuOptimizer (wasm-optim/webgpu) over a group
// of K tensors of n floats (K*n = 1M), laid out three ways:
//   separate    K GPUBuffers, one dispatch per tensor (the library's default: a
//               model whose weights are separate buffers)
//   flat-views  one GPUBuffer, the K tensors views into it at 256-byte-aligned
//               offsets, still one dispatch per tensor
//   flat-one    that buffer given to the optimizer as one tensor: one dispatch
//               for the whole group (the "one flat buffer the caller's tensors
//               are views into" layout; exact for every elementwise method but
//               Lamb, whose trust ratio is per tensor)
// It runs in Debian's headless Chromium with --enable-unsafe-webgpu, which
// here means SwiftShader: Vulkan emulated on the CPU. SwiftShader says nothing
// about the speed of a real GPU, so this prints ratios between the layouts
// only (a dispatch's fixed cost relative to its work on this emulator), never
// absolute times as a GPU result. Results: bench/results/webgpu-layout.json.
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
const SHAPES = [[1024, TOTAL / 1024], [256, TOTAL / 256], [64, TOTAL / 64], [8, TOTAL / 8]];
const LAYOUTS = ['separate', 'flat-views', 'flat-one'];

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
  for (const [k, n] of SHAPES) {
    const res = {};
    // interleaved twice, so a drift of the shared machine hits every layout alike
    for (const pass of [0, 1]) {
      for (const layout of pass ? [...LAYOUTS].reverse() : LAYOUTS) {
        const r = await page.evaluate((o) => /** @type {any} */ (window).layoutBench.run(o), { layout, k, n, warmup: 3, steps, rounds });
        (res[layout] ??= []).push(r.msPerStep);
      }
    }
    const ms = Object.fromEntries(LAYOUTS.map((l) => [l, Math.min(...res[l])]));
    const row = {
      k,
      n,
      flatViewsOverSeparate: ms['flat-views'] / ms.separate,
      flatOneOverSeparate: ms['flat-one'] / ms.separate,
    };
    rows.push(row);
    console.log(`K=${String(k).padStart(4)} x n=${String(n).padStart(6)}: flat-views / separate = ${row.flatViewsOverSeparate.toFixed(2)}, flat-one / separate = ${row.flatOneOverSeparate.toFixed(2)}`);
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/webgpu-layout.json', import.meta.url), JSON.stringify({ adapter, note: 'SwiftShader (CPU emulation): ratios between layouts only, not GPU speed', total: TOTAL, steps, rounds, rows }, null, 2) + '\n');
} finally {
  await browser.close();
  await server.close();
}
