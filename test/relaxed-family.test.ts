// The relaxed-SIMD build fuses the multiply-adds of every kernel, the later
// optimizers' too: it must keep the conformance tolerance on their PyTorch
// fixtures (family.json). Node 20 accepts relaxed SIMD only behind a flag, so
// the replay runs in a child process started with it.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const script = fileURLToPath(new URL('./relaxed-replay.mjs', import.meta.url));
const replay = (build: string, flags: string[] = []) =>
  JSON.parse(execFileSync(process.execPath, [...flags, script, build, 'family'], { encoding: 'utf8', timeout: 120_000 }));

it('the relaxed build stays within the PyTorch tolerance on every later-optimizer fixture case', () => {
  const r = replay('relaxed', ['--experimental-wasm-relaxed-simd']);
  expect(r.build).toBe('relaxed');
  expect(r.cases).toBeGreaterThanOrEqual(144);
  expect(r.optimizers).toEqual(['ASGD', 'Adadelta', 'Adamax', 'NAdam', 'RAdam', 'Rprop']);
  expect(r.worst.ratio, r.worst.where).toBeLessThanOrEqual(1);
});

it('the fused multiply-adds take effect in these kernels: the relaxed build gives other bits than the SIMD build', () => {
  const relaxed = replay('relaxed', ['--experimental-wasm-relaxed-simd']);
  const simd = replay('simd');
  expect(simd.worst.ratio, simd.worst.where).toBeLessThanOrEqual(1);
  expect(relaxed.sha256).not.toBe(simd.sha256);
});
