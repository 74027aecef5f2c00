// The main entry exports the optimizers together with the training loop, the
// demo models and the data (README, design notes: "One entry point"). That is
// only free if a bundler drops what an app does not import: an app that uses
// only ready() and Adam must not carry the training loop, the models or the
// embedded digits; one that calls loadDigits() must carry the digits, and
// work even in a bundle format without import.meta (IIFE, CommonJS).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GZIP_BASE64_MAGIC = 'H4sI'; // base64 of the gzip header 1f 8b 08

async function bundle(code: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-shake-'));
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-optim'), 'dir');
  writeFileSync(join(dir, 'main.js'), code);
  const r = await build({ entryPoints: [join(dir, 'main.js')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'error' });
  return r.outputFiles[0]!.text;
}

describe('bundling the main entry', () => {
  it('an app that uses only an optimizer carries no training loop, model or digits data', async () => {
    const code = await bundle(`import { ready, Adam } from 'wasm-optim';
      await ready();
      const w = new Float32Array(4);
      new Adam([w]).step([new Float32Array(4).fill(1)]);
      console.log(w[0]);`);
    expect(code).toMatch(/function makeAdamSpec\b/);
    expect(code).not.toContain(GZIP_BASE64_MAGIC);
    expect(code).not.toMatch(/function (spiral|loadDigits|fit|batchesPerEpoch|trajectory)\b/);
    expect(code).not.toContain("options.activation must be 'tanh' or 'relu'"); // MLP
    expect(code).not.toContain('fit: options must be an object'); // the training loop
  });
  it('an app that uses only an optimizer carries no WebGPU code (WGSL lives in wasm-optim/webgpu)', async () => {
    const code = await bundle(`import { ready, AdamW } from 'wasm-optim';
      await ready();
      const w = new Float32Array(4);
      new AdamW([w]).step([new Float32Array(4).fill(1)]);
      console.log(w[0]);`);
    expect(code).not.toMatch(/@compute|createComputePipeline|createGpuOptimizer|navigator\.gpu/);
  });
  it('an app that imports wasm-optim/webgpu carries the kernels, but not the training loop or the digits', async () => {
    const code = await bundle(`import { createGpuOptimizer } from 'wasm-optim/webgpu';
      console.log(typeof createGpuOptimizer);`);
    expect(code).toMatch(/@compute/);
    expect(code).not.toContain(GZIP_BASE64_MAGIC);
    expect(code).not.toMatch(/function (spiral|loadDigits|fit|batchesPerEpoch|trajectory)\b/);
  });
  it('an app that calls loadDigits() carries the digits', async () => {
    const code = await bundle(`import { loadDigits } from 'wasm-optim';
      console.log((await loadDigits()).all.n);`);
    expect(code).toContain(GZIP_BASE64_MAGIC);
    expect(code).toMatch(/function loadDigits\b/);
    expect(code).not.toMatch(/function (makeAdamSpec|fit|spiral)\b/);
    expect(code).not.toContain("options.activation must be 'tanh' or 'relu'");
  });
  it('an IIFE or CommonJS bundle (no import.meta) that uses loadDigits() loads and works', async () => {
    for (const format of ['iife', 'cjs'] as const) {
      const dir = mkdtempSync(join(tmpdir(), 'wasm-optim-shake-'));
      mkdirSync(join(dir, 'node_modules'));
      symlinkSync(ROOT, join(dir, 'node_modules', 'wasm-optim'), 'dir');
      writeFileSync(join(dir, 'main.js'), `import { loadDigits, digitsUrl } from 'wasm-optim';
        loadDigits().then((d) => console.log(JSON.stringify({ n: d.all.n, test: d.test.n, url: String(digitsUrl) })));`);
      await build({ entryPoints: [join(dir, 'main.js')], outfile: join(dir, 'out.cjs'), bundle: true, format, platform: 'browser', logLevel: 'silent' });
      const out = JSON.parse(execFileSync(process.execPath, [join(dir, 'out.cjs')], { encoding: 'utf8' })) as { n: number; test: number; url: string };
      expect(out, format).toEqual({ n: 1797, test: 359, url: 'wasm-optim:data/digits/digits.bin' });
    }
  });
});
