// The memory-bandwidth probe (bench/assembly/bandwidth.ts), compiled with the
// library's release flags and run over its own WebAssembly memory, touched
// once before use as the library's arenas are.
import { readFileSync } from 'node:fs';
import asc from 'assemblyscript/asc';
import { PATTERN_BYTES } from './common.mjs';

const PAGE = 65536;
const BASE = 64;

/**
 * @param {number} megabytes the memory every stream sweeps (1024 in the suite: past the 300 MiB L3)
 * @returns {Promise<{ memory: WebAssembly.Memory, base: number, cases: { name: string, variant: string, n: number, bytesPerElem: number, arrays: number, fn: () => void }[] }>}
 */
export async function createProbe(megabytes) {
  const source = readFileSync(new URL('../assembly/bandwidth.ts', import.meta.url), 'utf8');
  const out = await asc.compileString(
    { 'bandwidth.ts': source },
    { optimizeLevel: 3, shrinkLevel: 0, converge: true, runtime: 'stub', importMemory: true, noAssert: true, enable: ['simd'], use: ['abort='] },
  );
  if (out.error || !out.binary) throw new Error(`bench: compiling bench/assembly/bandwidth.ts failed: ${out.error?.message}\n${out.stderr.toString()}`);
  const total = megabytes * 1024 * 1024;
  const memory = new WebAssembly.Memory({ initial: Math.ceil((BASE + total) / PAGE) });
  const { instance } = await WebAssembly.instantiate(new Uint8Array(out.binary), { env: { memory } });
  // the exports of bench/assembly/bandwidth.ts (WebAssembly exports carry no types)
  const k = /** @type {{ rmw(at: number, n: number, a: number, b: number): void, pattern(p0: number, p1: number, p2: number, p3: number, rw: number, n: number, a: number): void }} */ (
    /** @type {unknown} */ (instance.exports)
  );
  new Float32Array(memory.buffer).fill(0.25); // touch every page once
  const cases = [{ name: 'rmw', variant: 'rmw', n: total / 4, bytesPerElem: 8, arrays: 1, fn: () => k.rmw(BASE, total / 4, 0.999, 0.001) }];
  for (const bytes of PATTERN_BYTES) {
    const rw = (bytes - 4) / 8;
    const n = Math.floor(total / 4 / (rw + 1) / 4) * 4;
    const at = (i) => BASE + Math.min(i, rw) * n * 4;
    cases.push({ name: `pattern ${bytes}`, variant: `pattern ${bytes}`, n, bytesPerElem: bytes, arrays: rw + 1, fn: () => k.pattern(at(0), at(1), at(2), at(3), rw, n, 0.999) });
  }
  return { memory, base: BASE, cases };
}
