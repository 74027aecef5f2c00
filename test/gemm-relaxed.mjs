// Runs assembly/gemm.ts from the relaxed-SIMD build on the cases read from stdin (JSON:
// shape, strides, scalars, A, B, C as base64 float32) and prints each resulting C as
// base64. Run by test/gemm.test.ts as
//   node --experimental-wasm-relaxed-simd test/gemm-relaxed.mjs < cases.json
// (Node 20 accepts relaxed SIMD only with that flag).
import { readFileSync } from 'node:fs';
import { RELAXED_WASM_BASE64 } from '../dist/generated/wasm.js';

const module = new WebAssembly.Module(Buffer.from(RELAXED_WASM_BASE64, 'base64'));
const f32 = (b64) => {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
};
const place = (bytes) => (bytes + 15) & ~15;
const out = [];
for (const c of JSON.parse(readFileSync(0, 'utf8'))) {
  const [A, B, C] = [c.A, c.B, c.C].map(f32);
  const pa = 64, pb = pa + place(A.byteLength), pc = pb + place(B.byteLength), pw = pc + place(C.byteLength);
  const memory = new WebAssembly.Memory({ initial: Math.ceil((pw + 4 * 256 * 512 + 64) / 65536) });
  // the gemm export of assembly/gemm.ts (WebAssembly exports carry no types)
  const k = /** @type {{ gemm(...args: number[]): void }} */ (/** @type {unknown} */ (new WebAssembly.Instance(module, { env: { memory } }).exports));
  const f = new Float32Array(memory.buffer);
  f.set(A, pa / 4);
  f.set(B, pb / 4);
  f.set(C, pc / 4);
  k.gemm(pa, pb, pc, pw, c.m, c.n, c.k, c.lda, c.ldb, c.ldc, c.transB ? 1 : 0, c.alpha, c.beta);
  out.push(Buffer.from(f.slice(pc / 4, pc / 4 + C.length).buffer).toString('base64'));
}
process.stdout.write(JSON.stringify(out));
