// The jax-js peer in Chromium, where jax-js can use threads: serves the repo
// with COOP/COEP (tools/static-server.mjs), opens bench/browser/jaxjs.html in
// Debian's headless Chromium (playwright-core, never a downloaded browser)
// and prints its table: Adam, wasm-optim on 1 and 2 threads (Web Workers
// pool) and jax-js with its own Web Workers, medians of paired rounds, wall
// time per step, and the cross-check of bench/jaxjs.mjs (bounded).
//
// Usage:
//   npm run build && node bench/jaxjs-browser.mjs [--quick] [--rounds=5] [--sizes=16K,1M]
//   npm run bench -- --only=jaxjs   (after bench/jaxjs.mjs)
// Writes bench/results/jaxjs-browser-<stamp>.json and .md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { serve } from '../tools/static-server.mjs';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 5));
const parseSize = (s) => Math.round(parseFloat(s) * ({ K: 1024, M: 1 << 20 }[s.at(-1)] ?? 1));
const label = (n) => (n >= 1 << 20 ? `${n / (1 << 20)}M` : n >= 1024 ? `${n / 1024}K` : `${n}`);
const SIZES = args.sizes ? String(args.sizes).split(',').map(parseSize) : [1 << 14, 1 << 20, 1 << 24];
const CHECK_BOUND = 1e-5;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(CHROMIUM)) {
  console.log(`bench/jaxjs-browser: no Chromium at ${CHROMIUM} (install it with \`apt-get install -y chromium\` or set CHROMIUM_PATH): skipped`);
  process.exit(0);
}
const server = await serve(new URL('..', import.meta.url).pathname, { isolated: true });
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let result;
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  await page.goto(`${server.url}/bench/browser/jaxjs.html?sizes=${SIZES.join(',')}&rounds=${ROUNDS}`);
  result = await page.waitForFunction(() => /** @type {any} */ (window).result, null, { timeout: 600_000 }).then((h) => h.jsonValue());
  result.workers = page.workers().length;
  if (errors.length) throw new Error(`bench/jaxjs-browser: the page reported errors: ${errors.join('; ')}`);
} finally {
  await browser.close();
  await server.close();
}

const names = [...new Set(result.rows.map((r) => r.impl))];
const cell = (n, name) => result.rows.find((r) => r.n === n && r.impl === name).ms;
const meta = { date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model, loadavg: loadavg(), rounds: ROUNDS, browser: browser.version(), page: { ...result, rows: undefined, check: undefined } };
const lines = [
  `# Adam in Chromium ${meta.browser} (cross-origin isolated page): wasm-optim vs jax-js, medians of ${ROUNDS} paired rounds (3 at 16M), wall time per step`,
  '',
  `${meta.date}, ${meta.cpus} CPUs (${meta.cpu}), load average ${meta.loadavg.map((x) => x.toFixed(2)).join(' ')}; ` +
    `crossOriginIsolated ${result.crossOriginIsolated}, navigator.hardwareConcurrency ${result.hardwareConcurrency}, wasm-optim pool ${result.threads.size} threads, ${result.workers} Web Workers in the page`,
  '',
  `| size | ${names.join(' | ')} | ${[0, 1].flatMap((w) => names.slice(2).map((x) => `${x.split(',')[1].trim()} / ${names[w]}`)).join(' | ')} |`,
  `|---:|${names.map(() => '---:').join('|')}|---:|---:|---:|---:|`,
  ...SIZES.map((n) => `| ${label(n)} | ${names.map((x) => `${(cell(n, x) * 1000).toFixed(1)} us`).join(' | ')} | ${[0, 1].flatMap((w) => names.slice(2).map((x) => `${(cell(n, x) / cell(n, names[w])).toFixed(1)}x`)).join(' | ')} |`),
  '',
  'Ratios: jax-js\'s time over wasm-optim\'s (above 1: wasm-optim is faster).',
  '',
  ...result.check.map((c) => `- cross-check at 1M, 10 steps: ${c.impl} vs wasm-optim (2 threads), max |difference| of the parameters ${c.maxAbsDiff.toExponential(2)} (bound ${CHECK_BOUND})`),
];
console.log(lines.join('\n'));
for (const c of result.check) if (!(c.maxAbsDiff <= CHECK_BOUND)) throw new Error(`bench/jaxjs-browser: ${c.impl} differs from wasm-optim's Adam by ${c.maxAbsDiff} > ${CHECK_BOUND}`);
mkdirSync(new URL('results/', import.meta.url), { recursive: true });
const base = new URL(`results/jaxjs-browser-${meta.date.replace(/[:.]/g, '-')}`, import.meta.url).pathname;
writeFileSync(`${base}.json`, JSON.stringify({ meta, rows: result.rows, check: result.check }, null, 2));
writeFileSync(`${base}.md`, `${lines.join('\n')}\n`);
console.log(`\nwrote ${base}.md`);
