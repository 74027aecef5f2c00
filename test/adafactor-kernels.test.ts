// Adafactor's kernels (assembly/adafactor.ts) against a float64 JavaScript
// transcription of the order their comments document, bit for bit, in both
// builds: float32 operations through Math.fround (exact: rounding a double
// result of + - * / or sqrt of float32 operands to float32 is the float32
// operation), sums in double in the documented order (a row or a block: eight
// partials, element j to partial j & 7, added as ((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7));
// a column: its rows in order; the parts of ||U||^2: left to right). The f64
// parts are compared as doubles, on magnitudes over many decades, so that any
// other order shows; a column is crafted so that its sum in row order lands on
// a float32 tie, which any other order rounds the other way. Each kernel is
// also run in two chunks cut where the pool cuts them (src/threads/protocol.ts
// STRIDED_KERNELS): the same bits.
import { describe, expect, it } from 'vitest';
import { STRIDED_KERNELS } from '../src/threads/protocol.js';
import { VEC_BLOCK } from '../src/optimizers/adafactor.js';
import type { Kernels } from '../src/wasm.js';
import { kernelInstance, randn, rng } from './helpers.js';

const f = Math.fround;
/** torch's lerp in float32 (a, b, w float32 values). */
const lerp = (a: number, b: number, w: number): number => (Math.abs(w) < 0.5 ? f(a + f(w * f(b - a))) : f(b - f(f(b - a) * f(1 - w))));
/** Sum of squares in double, element j to partial j & 7. */
function sum8sq(x: readonly number[]): number {
  const s = [0, 0, 0, 0, 0, 0, 0, 0];
  x.forEach((v, j) => (s[j & 7] = s[j & 7]! + v * v));
  return ((s[0]! + s[1]!) + (s[2]! + s[3]!)) + ((s[4]! + s[5]!) + (s[6]! + s[7]!));
}
/** max(f32(mean of rows in order), eps1) */
function rowMean(rows: ArrayLike<number>, eps1: number): number {
  let s = 0;
  for (let i = 0; i < rows.length; i++) s += rows[i]!;
  return Math.max(f(s / rows.length), f(eps1));
}
const u1 = (d: number, rv: number, cv: number, rm: number, eps1sq: number) => f(d / f(Math.sqrt(Math.max(f(f(rv * cv) / rm), eps1sq))));

/** Values over many decades (so that a different order of a double sum shows in its last bits). */
function decades(seed: number, n: number): Float32Array {
  const next = rng(seed);
  return randn(next, n).map((v, i) => v * 10 ** ((i % 13) - 6));
}

/** A memory and a view of it; every array at a 64-byte aligned offset of its own. */
function memoryOf(build: 'simd' | 'scalar') {
  const memory = new WebAssembly.Memory({ initial: 8 });
  const k = kernelInstance(build, memory);
  let top = 64;
  const alloc = (bytes: number) => {
    const at = top;
    top += Math.ceil(bytes / 64) * 64 + 64;
    return at;
  };
  const f32 = (at: number, n: number) => new Float32Array(memory.buffer, at, n);
  const f64 = (at: number, n: number) => new Float64Array(memory.buffer, at, n);
  return { k, alloc, f32, f64 };
}

/** Calls a STRIDED kernel as the pool would in two chunks of `first` and n - first units (first: a multiple of its align). */
function inTwo(k: Kernels, name: keyof typeof STRIDED_KERNELS & keyof Kernels, a: number[], first: number): void {
  const sk = STRIDED_KERNELS[name]!;
  const fn = k[name] as unknown as (...x: number[]) => void;
  const n = a[sk.nptr]!;
  expect(first % sk.align(a)).toBe(0);
  const strides = sk.strides(a);
  const head = a.slice();
  head[sk.nptr] = first;
  fn(...head);
  const tail = a.slice();
  for (let i = 0; i < sk.nptr; i++) tail[i] = a[i]! + first * strides[i]!;
  tail[sk.nptr] = n - first;
  fn(...tail);
}

describe.each(['simd', 'scalar'] as const)('Adafactor kernels, %s build, against the documented order', (build) => {
  // B matrices of R rows of C columns: C = 37 is two tiles of 16 columns, one of 4 and one column; 37 = 4*8 + 5 in a row's partials
  const B = 3, R = 7, C = 37, n = B * R * C, rows = B * R;
  const eps1 = 1e-30;
  const eps1sq = f(eps1 * eps1);

  it.each([[0.3, -0.7], [0.7, 1]] as const)('rows and columns (w = %s, gscale = %s), whole and in two chunks', (w, gs) => {
    const g = decades(1, n);
    const row0 = decades(2, rows).map(Math.abs);
    const col0 = decades(3, B * C).map(Math.abs);
    const wf = f(w), gsf = f(gs);
    const d = Array.from(g, (x) => f(x * gsf));
    const rowWant = Float32Array.from(row0, (a, i) => lerp(a, f(sum8sq(d.slice(i * C, (i + 1) * C)) / C), wf));
    const colWant = Float32Array.from(col0, (a, bc) => {
      const b = Math.floor(bc / C), c = bc % C;
      let s = 0;
      for (let r = 0; r < R; r++) s += d[(b * R + r) * C + c]! ** 2;
      return lerp(a, f(s / R), wf);
    });
    for (const split of [false, true]) {
      const m = memoryOf(build);
      const G = m.alloc(4 * n), ROW = m.alloc(4 * rows), COL = m.alloc(4 * B * C);
      m.f32(G, n).set(g);
      m.f32(ROW, rows).set(row0);
      m.f32(COL, B * C).set(col0);
      if (split) {
        inTwo(m.k, 'adafactorRows', [G, ROW, rows, C, w, gs], 16);
        inTwo(m.k, 'adafactorCols', [G, COL, C, C, R, B, w, gs], 16);
      } else {
        m.k.adafactorRows(G, ROW, rows, C, w, gs);
        m.k.adafactorCols(G, COL, C, C, R, B, w, gs);
      }
      expect(m.f32(ROW, rows)).toEqual(rowWant);
      expect(m.f32(COL, B * C)).toEqual(colWant);
    }
  });

  it('a column whose sum in row order lands on a float32 tie: 1 + 2^-24 (the 2^-56 terms between are lost), so its mean rounds to even, 2^-8', () => {
    const r = 256, c = 20; // one tile of 16 columns, one of 4
    const m = memoryOf(build);
    const G = m.alloc(4 * r * c), COL = m.alloc(4 * c);
    const g = m.f32(G, r * c);
    for (let j = 0; j < c; j++) {
      g[j] = 1;
      for (let i = 1; i < r - 1; i++) g[i * c + j] = 2 ** -28;
      g[(r - 1) * c + j] = 2 ** -12;
    }
    m.k.adafactorCols(G, COL, c, c, r, 1, 1, 1);
    // summed in another order (the 2^-56 terms first, or rows in two interleaved halves) the sum is above the tie: 2^-8 * (1 + 2^-23)
    expect(Array.from(m.f32(COL, c))).toEqual(new Array(c).fill(2 ** -8));
  });

  it('the parts of ||U||^2 (doubles), their sum, and the move; whole and in two chunks cut inside a matrix', () => {
    const g = decades(4, n);
    const p0 = decades(5, n);
    const row = decades(6, rows).map((x) => Math.abs(x) + 1e-3);
    const col = decades(7, B * C).map((x) => Math.abs(x) + 1e-3);
    const gs = -0.5, gsf = f(gs), scale = -3e-3, decay = 0.99;
    const partWant: number[] = [];
    const pWant = new Float32Array(n);
    for (let i = 0; i < rows; i++) {
      const b = Math.floor(i / R);
      const rm = rowMean(row.subarray(b * R, (b + 1) * R), eps1);
      const u = Array.from({ length: C }, (_, j) => u1(f(g[i * C + j]! * gsf), row[i]!, col[b * C + j]!, rm, eps1sq));
      partWant.push(sum8sq(u));
      u.forEach((x, j) => (pWant[i * C + j] = f(f(p0[i * C + j]! * f(decay)) + f(f(scale) * x))));
    }
    const sumWant = partWant.reduce((s, x) => s + x, 0);
    for (const split of [false, true]) {
      const m = memoryOf(build);
      const P = m.alloc(4 * n), G = m.alloc(4 * n), ROW = m.alloc(4 * rows), COL = m.alloc(4 * B * C), PART = m.alloc(8 * rows);
      m.f32(P, n).set(p0);
      m.f32(G, n).set(g);
      m.f32(ROW, rows).set(row);
      m.f32(COL, B * C).set(col);
      const uArgs = [G, ROW, PART, rows, ROW, COL, R, C, eps1, gs];
      const moveArgs = [P, G, ROW, rows, ROW, COL, R, C, scale, eps1, decay, gs];
      if (split) {
        inTwo(m.k, 'adafactorRowsU', uArgs, 16);
        inTwo(m.k, 'adafactorMove', moveArgs, 16);
      } else {
        m.k.adafactorRowsU(...(uArgs as Parameters<Kernels['adafactorRowsU']>));
        m.k.adafactorMove(...(moveArgs as Parameters<Kernels['adafactorMove']>));
      }
      Array.from(m.f64(PART, rows)).forEach((x, i) => expect(Object.is(x, partWant[i]), `part ${i}: ${x} != ${partWant[i]}`).toBe(true));
      expect(Object.is(m.k.adafactorSum(PART, rows), sumWant)).toBe(true);
      expect(m.f32(P, n)).toEqual(pWant);
    }
  });

  it('vectors: variance and the parts of ||U||^2 per block of 1024 (the last block 13 elements), the move', () => {
    const len = 9 * VEC_BLOCK + 13, blocks = 10;
    const g = decades(8, len);
    const v0 = decades(9, len).map(Math.abs);
    const p0 = decades(10, len);
    const w = 0.2, wf = f(w), gs = 1.5, gsf = f(gs), scale = -1e-2, decay = 0.9;
    const vWant = new Float32Array(len);
    const u: number[] = [];
    for (let i = 0; i < len; i++) {
      const d = f(g[i]! * gsf);
      vWant[i] = lerp(v0[i]!, f(d * d), wf);
      u.push(f(d / f(Math.sqrt(Math.max(vWant[i]!, eps1sq)))));
    }
    const partWant = Array.from({ length: blocks }, (_, j) => sum8sq(u.slice(j * VEC_BLOCK, (j + 1) * VEC_BLOCK)));
    const pWant = Float32Array.from(p0, (x, i) => f(f(x * f(decay)) + f(f(scale) * u[i]!)));
    for (const split of [false, true]) {
      const m = memoryOf(build);
      const P = m.alloc(4 * len), G = m.alloc(4 * len), V = m.alloc(4 * len), PART = m.alloc(8 * blocks);
      m.f32(P, len).set(p0);
      m.f32(G, len).set(g);
      m.f32(V, len).set(v0);
      const blockArgs = [G, V, PART, blocks, G + 4 * len, w, eps1, gs];
      const moveArgs = [P, G, V, len, scale, eps1, decay, gs];
      if (split) {
        inTwo(m.k, 'adafactorVecBlocks', blockArgs, 8);
        inTwo(m.k, 'adafactorVecMove', moveArgs, 4096);
      } else {
        m.k.adafactorVecBlocks(...(blockArgs as Parameters<Kernels['adafactorVecBlocks']>));
        m.k.adafactorVecMove(...(moveArgs as Parameters<Kernels['adafactorVecMove']>));
      }
      expect(m.f32(V, len)).toEqual(vWant);
      Array.from(m.f64(PART, blocks)).forEach((x, i) => expect(Object.is(x, partWant[i]), `part ${i}: ${x} != ${partWant[i]}`).toBe(true));
      expect(m.f32(P, len)).toEqual(pWant);
    }
  });
});

it('the pool strides of the vector blocks follow the kernel\'s block (VEC_BLOCK floats)', () => {
  expect(STRIDED_KERNELS.adafactorVecBlocks!.strides([])).toEqual([4 * VEC_BLOCK, 4 * VEC_BLOCK, 8]);
  expect(STRIDED_KERNELS.adafactorVecBlocks!.work!([0, 0, 0, 3])).toBe(3 * VEC_BLOCK);
});
