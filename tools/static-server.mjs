// A small static file server on loopback, shared by the browser tests
// (test/browser/harness.ts) and `npm run playground` (tools/playground.mjs).
// Every response carries the strict Content-Security-Policy below, so what
// works here works on any page that allows only 'self' and WebAssembly.
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * The Content-Security-Policy every page is served with: no inline script, no
 * eval; WebAssembly compilation only ('wasm-unsafe-eval').
 */
export const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data:";

/** The headers that make a page cross-origin isolated (`crossOriginIsolated`). */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};

/** The CSP above, with workers from blob: URLs allowed (the Web Workers pool). */
export const ISOLATED_CSP = `${CSP}; worker-src 'self' blob:`;

/**
 * Serves the files under `root` (a directory's index.html for the directory)
 * on `host` (default 127.0.0.1) and `port` (default 0: a free port); with
 * `isolated`, every response also carries the headers of cross-origin
 * isolation (COOP/COEP: SharedArrayBuffer and the Web Workers pool) and the
 * CSP allows workers from blob: URLs (the pool starts its workers from one).
 * @param {string} root
 * @param {{ port?: number, host?: string, isolated?: boolean }} [options]
 * @returns {Promise<{ url: string, port: number, close: () => Promise<void> }>}
 */
export async function serve(root, { port = 0, host = '127.0.0.1', isolated = false } = {}) {
  const base = resolve(root);
  const server = createServer((req, res) => {
    let path;
    try {
      path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    } catch {
      res.writeHead(400).end('bad request');
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    let file = join(base, path);
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!(file === base || file.startsWith(base + sep)) || !existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': isolated ? ISOLATED_CSP : CSP,
      ...(isolated ? ISOLATION_HEADERS : {}),
    });
    createReadStream(file).pipe(res);
  });
  await new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok(undefined);
    });
  });
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
