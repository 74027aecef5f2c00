// Builds dist/cli.js: the `wasm-optim` command (src/cli/, compiled by tsc into
// dist/cli/) as one ES module for Node with everything it imports bundled in:
// the library, crc-32, and the libraries only the command and its report use
// (d3-contour, d3-scale, d3-shape, cli-progress). Those are devDependencies,
// so a library user installs only what `import 'wasm-optim'` needs, and the
// command still runs from an installed package (bin/wasm-optim.js imports
// this file). Run after tsc.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../dist/cli/main.js', import.meta.url).pathname],
  outfile: new URL('../dist/cli.js', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // cli-progress is CommonJS and require()s Node's built-ins; give the bundle a real require
  banner: { js: "import { createRequire as __wasmOptimCreateRequire } from 'node:module';\nconst require = __wasmOptimCreateRequire(import.meta.url);" },
  legalComments: 'inline',
  logLevel: 'warning',
});
