// Every ```js example in README.md runs against the built package (dist/,
// built by `npm test`'s pretest step) and exits cleanly.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const blocks = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]!);
const dist = pathToFileURL(join(root, 'dist', 'index.js')).href;
const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-readme-'));

describe('README examples', () => {
  it('has examples', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(6);
  });
  it.each(blocks.map((code, i) => [i, code] as const))('example %i runs', (i, code) => {
    const file = join(dir, `example-${i}.mjs`);
    writeFileSync(file, code.replaceAll(`'wasm-optim'`, `'${dist}'`));
    const out = execFileSync(process.execPath, [file], { encoding: 'utf8', timeout: 30_000 });
    expect(typeof out).toBe('string');
  });
});
