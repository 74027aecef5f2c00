// The opt-in relaxed-SIMD build (fused multiply-add) keeps the conformance
// tolerance against the PyTorch fixtures. Node 20 accepts relaxed SIMD only
// behind a flag, so the replay runs in a child process started with it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ready } from '../src/index.js';

const script = fileURLToPath(new URL('./relaxed-replay.mjs', import.meta.url));
const replay = (build: string, flags: string[] = []) =>
  JSON.parse(execFileSync(process.execPath, [...flags, script, build], { encoding: 'utf8', timeout: 120_000 }));

describe('relaxed-SIMD build', () => {
  it('is refused with a clear error where the engine rejects it, and never chosen by default', async () => {
    const info = await ready();
    expect(info.build).toBe('simd');
    if (!info.relaxedSupported) await expect(ready({ relaxed: true })).rejects.toThrow(/rejects relaxed SIMD/);
    await expect(ready({ relaxed: true, simd: false })).rejects.toThrow(/needs SIMD/);
  });

  it('stays within the PyTorch conformance tolerance on every classic fixture case', () => {
    const r = replay('relaxed', ['--experimental-wasm-relaxed-simd']);
    expect(r.build).toBe('relaxed');
    expect(r.cases).toBe(150); // every case of classic.json
    expect(r.worst.ratio, r.worst.where).toBeLessThanOrEqual(1);
  });
});
