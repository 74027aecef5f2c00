// Whether dist/ was built from the sources as they are now, so that a test
// command run right after another build (CI: `npm ci` builds through
// `prepare`, then `npm test`, then `npm run test:browser`) does not build the
// same thing again.
//
//   node tools/build-stamp.mjs write   after a build: records a hash of every build input in dist/
//   node tools/build-stamp.mjs check   exits 0 when dist/ holds a record equal to the inputs' hash now, else 1
//
// The inputs: every file under assembly/, src/ (the generated modules the
// build writes there too: deleting one changes the hash), tools/,
// playground/, data/ and bin/, and the root's package files and configs.
// Content, not times: a clone, a checkout or a touch changes no hash.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const DIRS = ['assembly', 'src', 'tools', 'playground', 'data', 'bin'];
const FILES = ['package.json', 'package-lock.json', 'asconfig.json', 'tsconfig.json', 'tsconfig.build.json', 'tsconfig.js.json'];
const STAMP = join(root, 'dist', '.build-inputs');

function* walk(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* walk(p);
    else if (e.isFile()) yield p;
  }
}

function inputsHash() {
  const h = createHash('sha256');
  const files = [...DIRS.flatMap((d) => [...walk(join(root, d))]), ...FILES.map((f) => join(root, f)).filter((f) => existsSync(f))];
  for (const f of files) {
    h.update(relative(root, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex');
}

const mode = process.argv[2];
if (mode === 'write') {
  writeFileSync(STAMP, `${inputsHash()}\n`);
} else if (mode === 'check') {
  const fresh = existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === inputsHash();
  if (fresh) console.log('build-stamp: dist/ was built from these sources; not building again');
  process.exit(fresh ? 0 : 1);
} else {
  console.error('usage: node tools/build-stamp.mjs write|check');
  process.exit(2);
}
