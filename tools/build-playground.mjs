// Builds the playground page into dist/playground/: index.html, playground.js
// (the page's code with wasm-optim, d3-contour, d3-scale and uPlot bundled:
// no CDN, works offline and under a CSP without inline scripts) and the
// chunks it imports (code splitting: playground/tfjs.ts, with TF.js inside,
// is a chunk of its own that the page fetches only when the TF.js panel's
// button is pressed; code both need, such as wasm-optim, goes to a shared chunk),
// playground.css (uPlot's stylesheet included) and digits.bin (fetched by
// the page). Run after the library build (it imports dist/index.js).
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const at = (p) => new URL(`../${p}`, import.meta.url).pathname;
const out = at('dist/playground');
rmSync(out, { recursive: true, force: true }); // no stale chunks from earlier builds
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { playground: at('playground/main.ts') },
  outdir: out,
  bundle: true,
  format: 'esm',
  splitting: true,
  chunkNames: '[name]-[hash]',
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
