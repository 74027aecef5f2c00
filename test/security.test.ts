// Security posture: no eval or new Function anywhere in what ships (so the
// library runs under a Content-Security-Policy with only 'wasm-unsafe-eval'),
// and no install scripts in the package or its runtime dependencies.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p, ext) : ext.test(f) ? [p] : [];
  });
}

describe('security posture', () => {
  const shipped = [...files(join(root, 'dist'), /\.js$/), ...Object.keys(pkg.dependencies ?? {}).map((d) => {
    const dp = JSON.parse(readFileSync(join(root, 'node_modules', d, 'package.json'), 'utf8'));
    return join(root, 'node_modules', d, dp.main ?? 'index.js');
  })];

  it('ships no eval, new Function or string timers', () => {
    expect(shipped.length).toBeGreaterThan(5);
    for (const f of shipped) {
      const src = readFileSync(f, 'utf8');
      expect(src, f).not.toMatch(/\beval\s*\(|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]|setTimeout\s*\(\s*['"`]/);
    }
  });

  it('has no install-time scripts, and neither do its runtime dependencies', () => {
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts?.[s]).toBeUndefined();
    for (const d of Object.keys(pkg.dependencies ?? {})) {
      const dp = JSON.parse(readFileSync(join(root, 'node_modules', d, 'package.json'), 'utf8'));
      for (const s of ['preinstall', 'install', 'postinstall']) expect(dp.scripts?.[s], `${d} ${s}`).toBeUndefined();
      expect(Object.keys(dp.dependencies ?? {}), `${d} has no dependencies of its own`).toEqual([]);
    }
  });
});
