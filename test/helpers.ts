// Shared test utilities: a seeded generator, the conformance tolerance,
// snapshots, and the kernel modules for tests that call kernels directly.
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from '../src/generated/wasm.js';
import type { Kernels } from '../src/wasm.js';

/** The library's seeded PRNG (mulberry32), so every test run sees the same numbers. */
export { mulberry32 as rng } from '../src/train/random.js';

/** n standard-normal float32 values (Box-Muller) times `scale`. */
export function randn(next: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - next();
    const v = next();
    out[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  return out;
}

/**
 * The conformance rule: |x - ref| <= 1e-5 * max(1, max |ref| over the case).
 * Returns the worst violation ratio (<= 1 passes) and where it happened.
 */
export function conformance(actual: readonly Float32Array[], expected: readonly Float32Array[]): { ratio: number; where: string } {
  let scale = 1;
  for (const e of expected) for (const v of e) scale = Math.max(scale, Math.abs(v));
  const tol = 1e-5 * scale;
  let worst = { ratio: 0, where: 'nowhere' };
  actual.forEach((a, t) => {
    const e = expected[t]!;
    if (a.length !== e.length) throw new Error(`tensor ${t}: length ${a.length}, expected ${e.length}`);
    for (let i = 0; i < a.length; i++) {
      if (Object.is(a[i], e[i])) continue;
      const err = Math.abs(a[i]! - e[i]!);
      const ratio = Number.isNaN(err) ? (Number.isNaN(a[i]!) && Number.isNaN(e[i]!) ? 0 : Infinity) : err / tol;
      if (ratio > worst.ratio) worst = { ratio, where: `tensor ${t}[${i}]: got ${a[i]}, expected ${e[i]} (|diff| ${err}, tolerance ${tol})` };
    }
  });
  return worst;
}

/** Bytes of a list of float32 arrays, concatenated, for bit-exact comparisons. */
export function bytesOf(arrays: readonly Float32Array[]): Uint8Array {
  const total = arrays.reduce((s, a) => s + a.byteLength, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const a of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  return out;
}

/** A deep snapshot of an optimizer's parameters and state dict, for "nothing changed" checks. */
export function snapshot(opt: { params: readonly Float32Array[]; stateDict(): unknown }): unknown {
  return { params: opt.params.map((p) => Array.from(p)), state: structuredClone(opt.stateDict()) };
}

const decodeBase64 = (b64: string) => Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0));
const compiledKernels: Partial<Record<'simd' | 'scalar', WebAssembly.Module>> = {};

/** A fresh instance of one build's kernels (assembly/) on `memory`, for tests that call kernels directly. */
export function kernelInstance(build: 'simd' | 'scalar', memory: WebAssembly.Memory): Kernels {
  const module = (compiledKernels[build] ??= new WebAssembly.Module(decodeBase64(build === 'simd' ? SIMD_WASM_BASE64 : SCALAR_WASM_BASE64)));
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}


/** base64 of little-endian float32 bytes (the fixtures' encoding) -> Float32Array (a fresh, aligned copy). */
export function f32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length % 4 !== 0) throw new Error(`fixture: a float32 array has ${bytes.length} bytes`);
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}
