// `npm run playground`: serves the built playground (dist/playground, made by
// `npm run build`) on 127.0.0.1 with the same strict CSP as the browser tests.
//   npm run playground -- --port 9000
import { existsSync } from 'node:fs';
import { serve } from './static-server.mjs';

const USAGE = 'usage: npm run playground [-- --port <port>]   (default port 8080; 0 picks a free one)';

function parsePort(argv) {
  let port = 8080;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    }
    const m = /^--port(?:=(.*))?$/.exec(arg);
    if (!m) throw new Error(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const value = m[1] ?? argv[++i];
    if (value === undefined || !/^\d+$/.test(value) || Number(value) > 65535) {
      throw new Error(`--port: expected an integer from 0 to 65535, got ${JSON.stringify(value ?? '')}`);
    }
    port = Number(value);
  }
  return port;
}

const root = new URL('../dist/playground/', import.meta.url).pathname;
try {
  const port = parsePort(process.argv.slice(2));
  if (!existsSync(`${root}index.html`)) throw new Error(`${root}index.html is missing: run \`npm run build\` first`);
  const { url } = await serve(root, { port }).catch((e) => {
    throw e?.code === 'EADDRINUSE' ? new Error(`port ${port} is in use: pass another with \`npm run playground -- --port <port>\``) : e;
  });
  console.log(`wasm-optim playground: ${url}/  (Ctrl+C stops it)`);
} catch (e) {
  console.error(`playground: ${e instanceof Error ? e.message : e}`);
  process.exit(2);
}
