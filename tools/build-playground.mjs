// Builds the playground page into dist/playground/: index.html, playground.js
// (the page's code with wasm-optim, d3-contour, d3-scale and uPlot bundled:
// no CDN, works offline and under a CSP without inline scripts),
// playground.css (uPlot's stylesheet included) and digits.bin (fetched by
// the page). Run after the library build (it imports dist/index.js).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const at = (p) => new URL(`../${p}`, import.meta.url).pathname;
const out = at('dist/playground');
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { playground: at('playground/main.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  sourcemap: true,
  legalComments: 'eof',
  logLevel: 'warning',
});
await build({
  entryPoints: { playground: at('playground/style.css') },
  outdir: out,
  bundle: true,
  minify: true,
  logLevel: 'warning',
});
copyFileSync(at('playground/index.html'), `${out}/index.html`);
copyFileSync(at('data/digits/digits.bin'), `${out}/digits.bin`);
