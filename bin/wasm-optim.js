#!/usr/bin/env node
// The `wasm-optim` command (`wasm-optim compare --help`). Its code is
// src/cli/, bundled into dist/cli.js with the libraries it uses by `npm run build` (run by `npm install`; tools/build-cli.mjs).
let main;
try {
  ({ main } = await import('../dist/cli.js'));
} catch (e) {
  if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
  process.stderr.write(`wasm-optim: the compiled code is missing (${e.message}); run \`npm run build\` first\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
