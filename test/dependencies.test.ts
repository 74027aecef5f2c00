// What a user installs: `dependencies` in package.json is exactly the set of
// packages the library imports at run time (reachable from dist/index.js and
// from src/index.ts; the CLI's libraries are bundled into dist/cli.js and are
// devDependencies), and the built `wasm-optim` command runs with none of
// those libraries resolvable. The `wasm-optim/tfjs` subpath (dist/tfjs/) may
// import @tensorflow/tfjs-core, an optional peer dependency: the user's own
// copy, never installed by wasm-optim, and never reached from dist/index.js.
import { execFile, execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  exports: Record<string, unknown>;
  bin: Record<string, string>;
};
const CLI_ONLY = ['cli-progress', 'd3-contour', 'd3-scale', 'd3-shape'];

/** Every module specifier in `code`: static imports and re-exports, side-effect imports, dynamic import(), require(). */
function specifiers(code: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) out.push(m[1]!);
  return out;
}

const isBuiltin = (s: string) => s.startsWith('node:') || builtinModules.includes(s.split('/')[0]!);
/** The package a bare specifier names: 'd3-scale', '@scope/name'. */
const packageOf = (s: string) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!);

/** The packages reachable from `entry` through relative imports (`toFile` maps a relative specifier to a file); `files` collects the modules walked. */
function bareImports(
  entry: string,
  toFile: (from: string, spec: string) => string,
  skip: (file: string) => boolean = () => false,
  files: Set<string> = new Set(),
  minModules = 20,
): Set<string> {
  const seen = files;
  const bare = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file) || skip(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.') || spec.startsWith('/')) queue.push(toFile(file, spec));
      else if (!isBuiltin(spec)) bare.add(packageOf(spec));
    }
  }
  expect(seen.size).toBeGreaterThan(minModules); // the walk really followed the library's modules
  return bare;
}

describe('package.json dependencies', () => {
  it('are exactly the packages reachable from dist/index.js', () => {
    const found = bareImports(join(ROOT, 'dist', 'index.js'), (from, spec) => resolve(dirname(from), spec));
    expect([...found].sort()).toEqual(Object.keys(pkg.dependencies ?? {}).sort());
  });
  it('are exactly the packages src/ imports outside the CLI (src/cli/ is bundled into dist/cli.js)', () => {
    const toTs = (from: string, spec: string) => resolve(dirname(from), spec).replace(/\.js$/, '.ts');
    const found = bareImports(join(ROOT, 'src', 'index.ts'), toTs, (f) => f.includes(`${join('src', 'cli')}`));
    expect([...found].sort()).toEqual(Object.keys(pkg.dependencies ?? {}).sort());
  });
  it('dist/index.js never reaches @tensorflow/tfjs-core nor any module of dist/tfjs/', () => {
    const files = new Set<string>();
    const found = bareImports(join(ROOT, 'dist', 'index.js'), (from, spec) => resolve(dirname(from), spec), undefined, files);
    expect(found.has('@tensorflow/tfjs-core')).toBe(false);
    expect([...found].filter((p) => p.startsWith('@tensorflow/'))).toEqual([]);
    expect([...files].filter((f) => f.includes(`${join('dist', 'tfjs')}`))).toEqual([]);
  });
  it('the wasm-optim/tfjs subpath imports only @tensorflow/tfjs-core, an optional peer dependency, and the library', () => {
    expect(pkg.exports['./tfjs']).toEqual({ types: './dist/tfjs/index.d.ts', import: './dist/tfjs/index.js' });
    expect(existsSync(join(ROOT, 'dist', 'tfjs', 'index.d.ts'))).toBe(true);
    expect(Object.keys(pkg.peerDependencies ?? {})).toEqual(['@tensorflow/tfjs-core']);
    expect(pkg.peerDependenciesMeta?.['@tensorflow/tfjs-core']?.optional).toBe(true);
    expect(pkg.dependencies?.['@tensorflow/tfjs-core']).toBeUndefined();
    const found = bareImports(join(ROOT, 'dist', 'tfjs', 'index.js'), (from, spec) => resolve(dirname(from), spec), undefined, new Set(), 3);
    // toTfjs reaches the whole library (the registry), so the library's own dependencies too
    expect([...found].sort()).toEqual(['@tensorflow/tfjs-core', ...Object.keys(pkg.dependencies ?? {})].sort());
  });
  it('dist/index.js never reaches any module of dist/webgpu/ (the WebGPU optimizers are the wasm-optim/webgpu subpath)', () => {
    const files = new Set<string>();
    bareImports(join(ROOT, 'dist', 'index.js'), (from, spec) => resolve(dirname(from), spec), undefined, files);
    expect([...files].filter((f) => f.includes(`${join('dist', 'webgpu')}`))).toEqual([]);
    expect([...files].filter((f) => /createComputePipeline|@compute/.test(readFileSync(f, 'utf8')))).toEqual([]);
  });
  it('the wasm-optim/webgpu subpath imports only the library (no package beyond its dependencies)', () => {
    expect(pkg.exports['./webgpu']).toEqual({ types: './dist/webgpu/index.d.ts', import: './dist/webgpu/index.js' });
    expect(existsSync(join(ROOT, 'dist', 'webgpu', 'index.d.ts'))).toBe(true);
    const found = bareImports(join(ROOT, 'dist', 'webgpu', 'index.js'), (from, spec) => resolve(dirname(from), spec), undefined, new Set(), 3);
    expect([...found].every((p) => Object.keys(pkg.dependencies ?? {}).includes(p))).toBe(true);
  });
  it('wasm-optim/webgpu resolves through package.json exports, and without WebGPU createGpuOptimizer says so', () => {
    const code =
      "import { createGpuOptimizer, gpuOptimizerNames } from 'wasm-optim/webgpu';" +
      "try { createGpuOptimizer(undefined, 'Adam', []); } catch (e) { console.log(gpuOptimizerNames.length, e.message); }";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/^14 createGpuOptimizer: WebGPU is not available here \(navigator\.gpu is undefined/);
  });
  it('wasm-optim/tfjs resolves through package.json exports (a self-reference, as a user imports it)', () => {
    const code =
      "import { train } from 'wasm-optim/tfjs'; import * as tf from '@tensorflow/tfjs-core'; import { ready } from 'wasm-optim';" +
      "await ready(); const o = train.sgd(0.1); console.log(o instanceof tf.Optimizer, typeof train.rmsprop); o.dispose();";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    expect(out.trim().split('\n').pop()).toBe('true function'); // (tfjs-core may print its Node banner first)
  });
  it('list the libraries only the CLI uses as devDependencies', () => {
    for (const name of CLI_ONLY) {
      expect(pkg.dependencies?.[name], name).toBeUndefined();
      expect(pkg.devDependencies?.[name], name).toBeDefined();
    }
  });
});

describe('the published package', () => {
  it('holds no JS file that imports a package outside dependencies (npm pack --dry-run)', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--ignore-scripts', '--json'], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
    const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
    expect(files).toContain('dist/cli.js');
    expect(files).toContain('bin/wasm-optim.js');
    const js = files.filter((f) => /\.(m?js)$/.test(f));
    expect(js.length).toBeGreaterThan(20);
    const allowed = new Set(Object.keys(pkg.dependencies ?? {}));
    // dist/tfjs/ (wasm-optim/tfjs) may import the optional peer dependency as well
    const allowedTfjs = new Set([...allowed, ...Object.keys(pkg.peerDependencies ?? {})]);
    expect(js).toContain('dist/tfjs/index.js');
    for (const f of js) {
      const ok = f.startsWith('dist/tfjs/') ? allowedTfjs : allowed;
      const bare = specifiers(readFileSync(join(ROOT, f), 'utf8')).filter((s) => !s.startsWith('.') && !s.startsWith('/') && !isBuiltin(s));
      for (const s of bare) expect(ok.has(packageOf(s)), `${f} imports ${s}`).toBe(true);
    }
  });
});

describe('the built wasm-optim command', () => {
  it('bin/wasm-optim.js runs dist/cli.js, which imports no package (only Node built-ins)', () => {
    expect(pkg.bin['wasm-optim']).toBe('bin/wasm-optim.js');
    expect(specifiers(readFileSync(join(ROOT, 'bin', 'wasm-optim.js'), 'utf8'))).toEqual(['../dist/cli.js']);
    const cli = join(ROOT, 'dist', 'cli.js');
    expect(existsSync(cli)).toBe(true);
    const imports = specifiers(readFileSync(cli, 'utf8'));
    expect(imports.filter((s) => !isBuiltin(s) && !s.startsWith('.'))).toEqual([]);
    expect(imports.filter((s) => s.startsWith('.'))).toEqual([]);
  });
  it('runs a comparison from a directory with no node_modules anywhere above it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-bare-'));
    // no d3-*, cli-progress or crc-32 can be resolved from here
    for (let d = dir; ; d = dirname(d)) {
      expect(existsSync(join(d, 'node_modules')), d).toBe(false);
      if (dirname(d) === d) break;
    }
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'dist'));
    copyFileSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
    copyFileSync(join(ROOT, 'bin', 'wasm-optim.js'), join(dir, 'bin', 'wasm-optim.js'));
    copyFileSync(join(ROOT, 'dist', 'cli.js'), join(dir, 'dist', 'cli.js'));
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((done) => {
      execFile(
        process.execPath,
        [join(dir, 'bin', 'wasm-optim.js'), 'compare', '--dataset', 'spiral', '--optimizers', 'gd,adam', '--epochs', '1', '--sweep-epochs', '0', '--lr', '0.1', '--out', 'r.html'],
        { cwd: dir, encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => done({ code: err ? Number(err.code) : 0, stdout, stderr }),
      );
    });
    expect(r.stderr).not.toMatch(/Cannot find|ERR_MODULE_NOT_FOUND|Error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\| Adam /);
    const html = readFileSync(join(dir, 'r.html'), 'utf8');
    expect(html).toMatch(/<svg/); // the d3-drawn charts
    expect(r.stderr).toMatch(/\[100%\]/); // the progress output (cli-progress without a terminal)
  });
});
