// Shared pieces of the browser tests: a static file server on loopback and
// Debian's Chromium driven by playwright-core (never a downloaded browser).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CSP, serve as serveDir } from '../../tools/static-server.mjs';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The Content-Security-Policy every page is served with (see tools/static-server.mjs). */
export { CSP };

/** Serves `root` on 127.0.0.1 (a free port) with the CSP above; `isolated`: with COOP/COEP too (tools/static-server.mjs). */
export function serve(root = ROOT, options: { isolated?: boolean } = {}): Promise<{ url: string; close: () => Promise<void> }> {
  return serveDir(root, options);
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/**
 * Chromium with WebGPU: --enable-unsafe-webgpu is all headless Chromium needs
 * to offer SwiftShader's adapter (Vulkan on the CPU) here; --disable-gpu is
 * left out. Pages must come from a secure context (http://127.0.0.1 is one).
 */
export async function launchWebGpu(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors, uncaught exceptions and CSP violations. */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

/** A bundled test page in WebGPU Chromium (bundledWebGpuPage). */
export interface BundledPage {
  browser: Browser;
  server: { url: string; close: () => Promise<void> };
  page: Page;
  /** console errors (and warnings, with `warnings`) and uncaught exceptions of the page */
  errors: string[];
  close(): Promise<void>;
}

/**
 * Bundles `entry` (a test page module) with esbuild into a temporary folder,
 * serves it, opens it in WebGPU Chromium and waits until the page sets
 * `window[ready]` (or `window[ready + 'Error']`, which is thrown).
 * `warnings`: record console warnings too (WebGPU reports invalid shaders,
 * pipelines and command buffers as warnings).
 */
export async function bundledWebGpuPage(entry: URL, ready: string, options: { warnings?: boolean; timeout?: number } = {}): Promise<BundledPage> {
  const [{ mkdtempSync, writeFileSync }, { tmpdir }, { join }, { build }] = await Promise.all([import('node:fs'), import('node:os'), import('node:path'), import('esbuild')]);
  const dir = mkdtempSync(join(tmpdir(), `wasm-optim-${ready}-`));
  await build({ entryPoints: [fileURLToPath(entry)], outfile: join(dir, 'page.js'), bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'error' });
  writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><script type="module" src="./page.js"></script>');
  const server = await serve(dir);
  const browser = await launchWebGpu();
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error' || (options.warnings && m.type() === 'warning')) errors.push(m.text());
  });
  const close = async (): Promise<void> => {
    await browser.close();
    await server.close();
  };
  await page.goto(`${server.url}/index.html`);
  const key = `${ready}Error`;
  await page.waitForFunction(([a, b]) => (window as unknown as Record<string, unknown>)[a!] || (window as unknown as Record<string, unknown>)[b!], [ready, key], { timeout: options.timeout ?? 120_000 });
  const error = await page.evaluate((k) => (window as unknown as Record<string, unknown>)[k], key);
  if (error) {
    await close();
    throw new Error(`the ${ready} page failed: ${String(error)}`);
  }
  return { browser, server, page, errors, close };
}
