// assembly/gemm.ts against the float64 reference (src/reference/gemm.ts), on odd shapes,
// strides, alpha/beta, B transposed; the SIMD and scalar builds bit-identical; the
// relaxed build (fused multiply-add, in a child process: Node 20 needs a flag) within the
// same bound; and the sum order independent of how rows or columns are split among calls
// (what running the kernel on several threads will rely on).
//
// Tolerance, per element: the float32 result of a k-term dot product, scaled by alpha and
// added to beta*C, is within gamma_{k+3} * (|alpha| sum_p |a_ip b_pj| + |beta c_ij|) of the
// exact value, gamma_j = j*u/(1 - j*u), u = 2^-24 (Higham, Accuracy and Stability of
// Numerical Algorithms, 2nd ed., eq. 3.5: at most k roundings in the sum, one for alpha*s,
// one for beta*c and one per k block added to C; a fused multiply-add only removes
// roundings). The float64 reference adds at most k*2^-53 of the same magnitude.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { gemmReference } from '../src/reference/gemm.js';
import type { Kernels } from '../src/wasm.js';
import { kernelInstance, randn, rng } from './helpers.js';

const U = 2 ** -24;
const gamma = (j: number) => (j * U) / (1 - j * U);

interface Case {
  m: number; n: number; k: number;
  transB: boolean; alpha: number; beta: number;
  /** extra elements per row beyond the logical width (strides ld = width + pad) */
  pad?: number;
}

interface Operands {
  c: Case;
  lda: number; ldb: number; ldc: number;
  A: Float32Array; B: Float32Array; C: Float32Array;
}

function operands(c: Case, seed: number): Operands {
  const next = rng(seed);
  const pad = c.pad ?? 0;
  const lda = c.k + pad, ldb = (c.transB ? c.k : c.n) + pad, ldc = c.n + pad;
  const A = randn(next, Math.max(1, c.m * lda));
  const B = randn(next, Math.max(1, (c.transB ? c.n : c.k) * ldb));
  const C = randn(next, Math.max(1, c.m * ldc));
  return { c, lda, ldb, ldc, A, B, C };
}

/** Bytes rounded up to 16, plus `skew` (4: every matrix starts 4 bytes past a 16-byte boundary). */
const place = (bytes: number) => (bytes + 15) & ~15;

/** Runs gemm on fresh memory (or a given instance) and returns C, A and B as they are afterwards. */
function run(
  build: 'simd' | 'scalar', o: Operands,
  opts: { skew?: number; rows?: [number, number][]; cols?: [number, number][] } = {},
): { C: Float32Array; A: Float32Array; B: Float32Array } {
  const { m, n, k, transB, alpha, beta } = o.c;
  const skew = opts.skew ?? 0;
  const pa = 64 + skew;
  const pb = pa + place(o.A.byteLength);
  const pc = pb + place(o.B.byteLength);
  const pw = pc + place(o.C.byteLength);
  const probe = kernelInstance(build, new WebAssembly.Memory({ initial: 1 }));
  const end = pw + probe.gemmWorkBytes(n, k) + 64;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(end / 65536) });
  const kern: Kernels = kernelInstance(build, memory);
  const f = new Float32Array(memory.buffer);
  f.set(o.A, pa / 4);
  f.set(o.B, pb / 4);
  f.set(o.C, pc / 4);
  const rows = opts.rows ?? [[0, m]];
  const cols = opts.cols ?? [[0, n]];
  for (const [r0, r1] of rows) {
    for (const [c0, c1] of cols) {
      // a block of rows and columns: offsets into A, op(B) and C
      const bOff = transB ? c0 * o.ldb : c0;
      kern.gemm(pa + r0 * o.lda * 4, pb + bOff * 4, pc + (r0 * o.ldc + c0) * 4, pw, r1 - r0, c1 - c0, k, o.lda, o.ldb, o.ldc, transB ? 1 : 0, alpha, beta);
    }
  }
  const read = (p: number, len: number) => f.slice(p / 4, p / 4 + len);
  return { C: read(pc, o.C.length), A: read(pa, o.A.length), B: read(pb, o.B.length) };
}

/** Worst |C - reference| / bound over the m x n block; checks padding columns are untouched. */
function check(o: Operands, C: Float32Array): number {
  const { m, n, k, transB, alpha, beta } = o.c;
  const ref = gemmReference(m, n, k, { data: o.A, ld: o.lda }, { data: o.B, ld: o.ldb }, { data: o.C, ld: o.ldc }, transB, alpha, beta);
  const rel = gamma(k + 3) + k * 2 ** -53;
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < o.ldc; j++) {
      const got = C[i * o.ldc + j]!;
      if (j >= n) {
        if (!Object.is(got, o.C[i * o.ldc + j])) throw new Error(`padding C[${i}, ${j}] changed`);
        continue;
      }
      const err = Math.abs(got - ref.c[i * n + j]!);
      const bound = rel * ref.magnitude[i * n + j]!;
      if (err === 0) continue;
      worst = Math.max(worst, err / bound);
      if (!(err <= bound)) throw new Error(`C[${i}, ${j}] = ${got}, reference ${ref.c[i * n + j]}, |error| ${err} > bound ${bound}`);
    }
  }
  return worst;
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1], [3, 5, 7], [5, 3, 4], [17, 4, 9], [64, 33, 65], [8, 128, 3], [257, 129, 100], [4, 8, 300], [33, 9, 0],
];
const SCALARS: [number, number][] = [[1, 0], [Math.fround(0.7), Math.fround(-1.3)], [-2, 1]];

const cases: Case[] = [];
for (const [m, n, k] of SHAPES) for (const transB of [false, true]) for (const [alpha, beta] of SCALARS) cases.push({ m, n, k, transB, alpha, beta });

/** Index of the first float32 whose bits differ, -1 if none (toEqual on 1 MB arrays is slow). */
function firstDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

const label = (c: Case) => `${c.m}x${c.n}x${c.k}${c.transB ? ' B^T' : ''} alpha=${c.alpha} beta=${c.beta}${c.pad ? ` pad ${c.pad}` : ''}`;

describe('gemm: C = alpha*A*op(B) + beta*C against the float64 reference', () => {
  it.each(cases.map((c, i) => [label(c), c, i] as const))('%s', (_, c, i) => {
    const o = operands(c, 100 + i);
    const simd = run('simd', o);
    const scalar = run('scalar', o);
    check(o, simd.C);
    expect(firstDiff(scalar.C, simd.C)).toBe(-1);
    // A and B are read only
    expect(firstDiff(simd.A, o.A)).toBe(-1);
    expect(firstDiff(simd.B, o.B)).toBe(-1);
  });

  it('strided views (ld > width) at addresses 4 bytes past a 16-byte boundary: padding never touched', () => {
    for (const [i, c] of [
      { m: 19, n: 13, k: 11, transB: false, alpha: 1, beta: 0.5, pad: 3 },
      { m: 6, n: 21, k: 37, transB: true, alpha: -1, beta: 0, pad: 5 },
    ].entries()) {
      const o = operands(c, 7 + i);
      const simd = run('simd', o, { skew: 4 });
      check(o, simd.C);
      expect(firstDiff(run('scalar', o, { skew: 4 }).C, simd.C)).toBe(-1);
    }
  });

  it('512x512 (and 520x513x530: two column panels, three k blocks), both layouts of B', () => {
    for (const [i, c] of [
      { m: 512, n: 512, k: 512, transB: false, alpha: 1, beta: 0 },
      { m: 520, n: 530, k: 513, transB: true, alpha: Math.fround(0.3), beta: Math.fround(1.7) },
      { m: 520, n: 530, k: 513, transB: false, alpha: -1, beta: 2 },
    ].entries()) {
      const o = operands(c, 40 + i);
      const simd = run('simd', o);
      check(o, simd.C);
      expect(firstDiff(run('scalar', o).C, simd.C)).toBe(-1);
    }
  });

  it('beta = 0 ignores C: a NaN or Infinity there does not reach the result', () => {
    const o = operands({ m: 9, n: 10, k: 5, transB: false, alpha: 1, beta: 0 }, 3);
    o.C.fill(NaN);
    o.C[3] = Infinity;
    const { C } = run('simd', o);
    for (const v of C) expect(Number.isFinite(v)).toBe(true);
    check(o, C);
  });

  it('k = 0: C = beta*C (0 when beta = 0)', () => {
    const o = operands({ m: 3, n: 6, k: 0, transB: false, alpha: 5, beta: 0.5 }, 4);
    expect(Array.from(run('simd', o).C)).toEqual(Array.from(o.C, (v) => Math.fround(v * 0.5)));
    const z = operands({ m: 3, n: 6, k: 0, transB: true, alpha: 5, beta: 0 }, 4);
    expect(Array.from(run('scalar', z).C)).toEqual(new Array(18).fill(0));
  });
});

describe('gemm: the sum order of every element is fixed by k alone', () => {
  // each call on a block of rows or columns gives the same bits as one call on the whole
  // matrix: what lets the rows be split among threads with the same result
  const splits: { rows?: [number, number][]; cols?: [number, number][] }[] = [
    { rows: [[0, 1], [1, 6], [6, 67], [67, 130]] },
    { rows: [[0, 65], [65, 130]] },
    { cols: [[0, 3], [3, 260], [260, 530]] },
    { rows: [[0, 7], [7, 130]], cols: [[0, 515], [515, 530]] },
  ];
  for (const transB of [false, true]) {
    it(`130x530x600${transB ? ' B^T' : ''}: every split of the rows and columns gives the same bytes, both builds`, () => {
      const o = operands({ m: 130, n: 530, k: 600, transB, alpha: Math.fround(0.9), beta: Math.fround(-0.4) }, transB ? 11 : 12);
      const whole = run('simd', o).C;
      check(o, whole);
      for (const s of splits) {
        expect(firstDiff(run('simd', o, s).C, whole), JSON.stringify(s)).toBe(-1);
        expect(firstDiff(run('scalar', o, s).C, whole), JSON.stringify(s)).toBe(-1);
      }
    });
  }
});

describe("gemm: one Newton-Schulz step of torch's Muon (torch/optim/_muon.py)", () => {
  // A = X X^T; B = b*A + c*A A; X' = a*X + B X, with (a, b, c) = (3.4445, -4.7750, 2.0315)
  it('composes from gemm calls without a transpose, within the bound of each product', () => {
    const [ca, cb, cc] = [3.4445, -4.775, 2.0315].map(Math.fround) as [number, number, number];
    const m = 24, n = 40;
    const X = randn(rng(5), m * n, 0.05);
    const memory = new WebAssembly.Memory({ initial: 4 });
    const k = kernelInstance('simd', memory);
    const f = new Float32Array(memory.buffer);
    const px = 64, pa = px + m * n * 4, pb = pa + m * m * 4, py = pb + m * m * 4, pw = py + m * n * 4;
    f.set(X, px / 4);
    k.gemm(px, px, pa, pw, m, m, n, n, n, m, 1, 1, 0); // A = X X^T
    const A = f.slice(pa / 4, pa / 4 + m * m);
    f.copyWithin(pb / 4, pa / 4, pa / 4 + m * m);
    k.gemm(pa, pa, pb, pw, m, m, m, m, m, m, 0, cc, cb); // B = c*A A + b*A
    const B = f.slice(pb / 4, pb / 4 + m * m);
    f.copyWithin(py / 4, px / 4, px / 4 + m * n);
    k.gemm(pb, px, py, pw, m, n, m, m, n, n, 0, 1, ca); // X' = B X + a*X
    const Y = f.slice(py / 4, py / 4 + m * n);
    // each product against the reference on the float32 inputs it was given
    check({ c: { m, n: m, k: n, transB: true, alpha: 1, beta: 0 }, lda: n, ldb: n, ldc: m, A: X, B: X, C: new Float32Array(m * m) }, A);
    check({ c: { m, n: m, k: m, transB: false, alpha: cc, beta: cb }, lda: m, ldb: m, ldc: m, A, B: A, C: A }, B);
    check({ c: { m, n, k: m, transB: false, alpha: 1, beta: ca }, lda: m, ldb: n, ldc: n, A: B, B: X, C: X }, Y);
    // A = X X^T is symmetric, and the kernel makes it exactly so (the same products, the same order)
    for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) expect(A[i * m + j]).toBe(A[j * m + i]);
  });
});

describe('gemm: the relaxed-SIMD build (fused multiply-add)', () => {
  it('stays within the same bound on odd shapes and 257x129x513', () => {
    const picked = [
      ...cases.filter((c) => c.k > 0 && c.alpha !== 1).slice(0, 12),
      { m: 257, n: 129, k: 513, transB: false, alpha: 1, beta: 0 },
      { m: 257, n: 129, k: 513, transB: true, alpha: -1, beta: 0.5 },
    ];
    const ops = picked.map((c, i) => operands(c, 200 + i));
    const b64 = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    const input = JSON.stringify(ops.map((o) => ({ ...o.c, lda: o.lda, ldb: o.ldb, ldc: o.ldc, A: b64(o.A), B: b64(o.B), C: b64(o.C) })));
    const script = fileURLToPath(new URL('./gemm-relaxed.mjs', import.meta.url));
    const out = JSON.parse(execFileSync(process.execPath, ['--experimental-wasm-relaxed-simd', script], { input, encoding: 'utf8', timeout: 120_000, maxBuffer: 64 << 20 })) as string[];
    expect(out.length).toBe(ops.length);
    out.forEach((c64, i) => {
      const bytes = Buffer.from(c64, 'base64');
      const C = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      check(ops[i]!, C);
    });
  });
});
