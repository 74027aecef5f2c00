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

/** Every package in the runtime dependency closure, with its package.json and directory. */
function runtimeClosure(): { name: string; dir: string; pkg: Record<string, any> }[] {
  const seen = new Map<string, { name: string; dir: string; pkg: Record<string, any> }>();
  const visit = (name: string) => {
    if (seen.has(name)) return;
    const dir = join(root, 'node_modules', name);
    const dp = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    seen.set(name, { name, dir, pkg: dp });
    Object.keys(dp.dependencies ?? {}).forEach(visit);
  };
  Object.keys(pkg.dependencies ?? {}).forEach(visit);
  return [...seen.values()];
}

describe('security posture', () => {
  it('the library and its browser bundle contain no eval, new Function or string timers', () => {
    const shipped = files(join(root, 'dist'), /\.js$/);
    expect(shipped.length).toBeGreaterThan(5);
    expect(shipped.some((f) => f.endsWith('wasm-optim.browser.js'))).toBe(true);
    for (const f of shipped) {
      const src = readFileSync(f, 'utf8');
      // eval with an argument (code to run); the schedule-free optimizers' `eval()` method (upstream's API), defined and called without one, is not that
      expect(src, f).not.toMatch(/\beval\s*\((?!\s*\))|new\s+Function\s*\(|\bFunction\s*\(\s*['"`]|setTimeout\s*\(\s*['"`]/);
    }
  });

  it('has no install-time scripts, and neither does any runtime dependency', () => {
    for (const s of ['preinstall', 'install', 'postinstall']) expect(pkg.scripts?.[s]).toBeUndefined();
    const closure = runtimeClosure();
    expect(closure.map((d) => d.name)).toContain('crc-32');
    for (const d of closure) {
      for (const s of ['preinstall', 'install', 'postinstall']) expect(d.pkg.scripts?.[s], `${d.name} ${s}`).toBeUndefined();
      expect(d.pkg.gypfile, `${d.name} builds native code`).toBeUndefined();
    }
  });
});
