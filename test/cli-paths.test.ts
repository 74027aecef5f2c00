// compare's output paths are checked before any work (issue 11, class 7):
// --out or --json naming a directory, and --json naming the --out file, exit
// with 2 and a message naming the flag, having trained nothing.
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutputPaths, main } from '../src/cli/main.js';

function io(cwd: string) {
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => ({ write: (s: string) => (f(s), true), isTTY: false, columns: 80 });
  return {
    io: { stdout: sink((s) => (out += s)), stderr: sink((s) => (err += s)), cwd } as unknown as Parameters<typeof main>[1],
    text: () => ({ out, err }),
  };
}

describe('compare output paths', () => {
  it('--out naming a directory is refused before any work, exit 2 naming --out', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wasm-optim-paths-'));
    mkdirSync(join(cwd, 'dir'));
    const t = io(cwd);
    expect(await main(['compare', '--out', 'dir', '--epochs', '100000'], t.io)).toBe(2);
    expect(t.text().err).toMatch(/cannot write --out .*dir: it is a directory/);
    expect(readdirSync(join(cwd, 'dir'))).toEqual([]);
  });

  it('--json naming a directory, or the same file as --out, is refused before any work, exit 2 naming --json', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wasm-optim-paths-'));
    mkdirSync(join(cwd, 'dir'));
    let t = io(cwd);
    expect(await main(['compare', '--json', 'dir', '--epochs', '100000'], t.io)).toBe(2);
    expect(t.text().err).toMatch(/cannot write --json .*dir: it is a directory/);
    t = io(cwd);
    expect(await main(['compare', '--out', 'r.html', '--json', './r.html', '--epochs', '100000'], t.io)).toBe(2);
    expect(t.text().err).toMatch(/invalid --json: .*r\.html is the same file as --out/);
    expect(readdirSync(cwd)).toEqual(['dir']);
  });

  it('an existing file and distinct paths are fine', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'wasm-optim-paths-'));
    writeFileSync(join(cwd, 'old.html'), 'x');
    expect(checkOutputPaths(join(cwd, 'old.html'), join(cwd, 'r.json'))).toBeUndefined();
    expect(checkOutputPaths(join(cwd, 'new.html'), undefined)).toBeUndefined();
  });
});
