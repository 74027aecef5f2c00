// Builds dist/wasm-optim.browser.js: the whole library (kernels inlined as
// base64, crc-32 included) as one ES module that a page can import straight
// from a static server, with no bundler and no second file to fetch.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../dist/index.js', import.meta.url).pathname],
  outfile: new URL('../dist/wasm-optim.browser.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
});
