/**
 * General matrix product on row-major float32 matrices (for Muon's Newton-Schulz step):
 *
 *   gemm(a, b, c, w, m, n, k, lda, ldb, ldc, transB, alpha, beta):
 *     C = alpha * A * op(B) + beta * C        A: m x k, op(B): k x n, C: m x n
 *     op(B) = B   (transB = 0; B is k x n, row stride ldb)
 *     op(B) = B^T (transB = 1; B is n x k, row stride ldb: X X^T is gemm(x, x, ...transB = 1))
 *   Strides are in elements. beta = 0 ignores C's old contents (a NaN there does not
 *   propagate), as BLAS does. C must not overlap A or B. w: a scratch buffer of
 *   gemmWorkBytes(n, k) bytes for the packed B panel.
 *
 * Torch's Muon (torch/optim/_muon.py) needs, per step, X X^T (transB = 1, beta = 0),
 * b*A + c*A A (C = a copy of A, alpha = c, beta = b) and a*X + B X (C = a copy of X, beta = a).
 *
 * Blocking (Goto): columns in panels of NC, k in blocks of KC; each KC x NC panel of op(B)
 * is packed into strips of 8 columns (zero-padded), and a 4x8 register tile (eight f32x4
 * accumulators) runs over 4 rows of A and one strip. Sum order of every C element, fixed
 * by k alone and the same for any split of the rows or columns among callers:
 *
 *   s_q = ((a[i,q0]*b[q0,j] + 0) + a[i,q0+1]*b[q0+1,j]) + ...   over block q = [q0, q0+KC)
 *   C   = alpha*s_0 + beta*C  (alpha*s_0 when beta = 0), then C = alpha*s_q + C for q = 1, 2, ...
 *
 * So a caller may split the rows (a + r0*lda, c + r0*ldc, m = r1 - r0) or the columns among
 * threads and get the same bits. The scalar build evaluates the same float32 operations per
 * element (madd4 is a*b + c unfused there), so both builds agree bit for bit; the relaxed
 * build fuses them (relaxed_madd).
 */
import { madd4 } from './common';

/** k block: a 4 x KC slice of A (4 KiB) stays in L1 while it sweeps the packed panel. */
const KC: i32 = 256;
/** Column panel: a packed KC x NC panel of B is 512 KiB, within the 2 MiB L2. */
const NC: i32 = 512;

/** Bytes of scratch `gemm` needs for n columns and depth k: one packed panel. */
export function gemmWorkBytes(n: i32, k: i32): i32 {
  return min(k, KC) * min((n + 7) & ~7, NC) * 4;
}

/** Packs op(B)[pc..pc+kc, jc..jc+nc] into strips of 8 columns: strip s, row p at w + (s*8*kc + p*8)*4. */
function pack(b: usize, w: usize, jc: i32, pc: i32, nc: i32, kc: i32, ldb: i32, transB: i32): void {
  for (let jr = 0; jr < nc; jr += 8) {
    const nr = min(8, nc - jr);
    const strip = w + ((<usize>jr * <usize>kc) << 2);
    if (transB == 0) {
      let src = b + ((<usize>pc * <usize>ldb + <usize>(jc + jr)) << 2);
      const step = <usize>ldb << 2;
      if (nr == 8) {
        for (let p = 0; p < kc; p++) {
          const d = strip + (<usize>p << 5);
          if (ASC_FEATURE_SIMD) {
            v128.store(d, v128.load(src));
            v128.store(d, v128.load(src, 16), 16);
          } else {
            store<u64>(d, load<u64>(src));
            store<u64>(d, load<u64>(src, 8), 8);
            store<u64>(d, load<u64>(src, 16), 16);
            store<u64>(d, load<u64>(src, 24), 24);
          }
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = strip + (<usize>p << 5);
          for (let j = 0; j < 8; j++) store<u32>(d + (<usize>j << 2), j < nr ? load<u32>(src + (<usize>j << 2)) : 0);
          src += step;
        }
      }
    } else {
      // op(B)[p, j] = B[j, p]: read each row of B along p, write one column of the strip
      for (let j = 0; j < 8; j++) {
        const d = strip + (<usize>j << 2);
        if (j < nr) {
          const src = b + ((<usize>(jc + jr + j) * <usize>ldb + <usize>pc) << 2);
          for (let p = 0; p < kc; p++) store<u32>(d + (<usize>p << 5), load<u32>(src + (<usize>p << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<u32>(d + (<usize>p << 5), 0);
        }
      }
    }
  }
}

/** Lanes 0..count-1 of memory at x (count 1..3), the rest 0: a partial tile never reads past C's row. */
// @ts-ignore: decorator
@inline function loadN(x: usize, count: i32): v128 {
  let v = f32x4.splat(0);
  v = f32x4.replace_lane(v, 0, load<f32>(x));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(x, 4));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(x, 8));
  return v;
}

/** Stores lanes 0..count-1 of v at x (count 1..3). */
// @ts-ignore: decorator
@inline function storeN(x: usize, v: v128, count: i32): void {
  store<f32>(x, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(x, f32x4.extract_lane(v, 1), 4);
  if (count > 2) store<f32>(x, f32x4.extract_lane(v, 2), 8);
}

/** C = alpha*acc + beta*C (first block; alpha*acc when beta = 0) or alpha*acc + C, on one vector. */
// @ts-ignore: decorator
@inline function update4(acc: v128, cv: v128, alpha: v128, beta: v128, first: bool, betaZero: bool): v128 {
  if (!first) return madd4(alpha, acc, cv);
  if (betaZero) return f32x4.mul(alpha, acc);
  return madd4(alpha, acc, f32x4.mul(beta, cv));
}

/** `update4` on one lane. */
// @ts-ignore: decorator
@inline function update(acc: f32, cv: f32, alpha: f32, beta: f32, first: bool, betaZero: bool): f32 {
  if (!first) return alpha * acc + cv;
  if (betaZero) return alpha * acc;
  return alpha * acc + beta * cv;
}

/** Writes one row's two accumulators to C (nr columns of 8). */
// @ts-ignore: decorator
@inline function storeRow(c: usize, lo: v128, hi: v128, nr: i32, alpha: v128, beta: v128, first: bool, betaZero: bool): void {
  if (nr == 8) {
    v128.store(c, update4(lo, betaZero && first ? lo : v128.load(c), alpha, beta, first, betaZero));
    v128.store(c, update4(hi, betaZero && first ? hi : v128.load(c, 16), alpha, beta, first, betaZero), 16);
  } else if (nr >= 4) {
    v128.store(c, update4(lo, betaZero && first ? lo : v128.load(c), alpha, beta, first, betaZero));
    if (nr > 4) storeN(c + 16, update4(hi, betaZero && first ? hi : loadN(c + 16, nr - 4), alpha, beta, first, betaZero), nr - 4);
  } else {
    storeN(c, update4(lo, betaZero && first ? lo : loadN(c, nr), alpha, beta, first, betaZero), nr);
  }
}

/**
 * The 4x8 register tile: rows (1..4, compile-time) of A from a (row stride lda4 bytes),
 * one packed strip bp (kc rows of 8), into C at c (row stride ldc4 bytes), nr columns.
 */
// @ts-ignore: decorator
@inline function tile(
  a: usize, bp: usize, c: usize, rows: i32, nr: i32, kc: i32, lda4: usize, ldc4: usize,
  alpha: f32, beta: f32, first: bool, betaZero: bool,
): void {
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0);
    let c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z;
    let ap = a;
    let b = bp;
    const bend = bp + (<usize>kc << 5);
    while (b < bend) {
      const b0 = v128.load(b);
      const b1 = v128.load(b, 16);
      const a0 = v128.load32_splat(ap);
      c00 = madd4(a0, b0, c00);
      c01 = madd4(a0, b1, c01);
      if (rows > 1) {
        const a1 = v128.load32_splat(ap + lda4);
        c10 = madd4(a1, b0, c10);
        c11 = madd4(a1, b1, c11);
      }
      if (rows > 2) {
        const a2 = v128.load32_splat(ap + 2 * lda4);
        c20 = madd4(a2, b0, c20);
        c21 = madd4(a2, b1, c21);
      }
      if (rows > 3) {
        const a3 = v128.load32_splat(ap + 3 * lda4);
        c30 = madd4(a3, b0, c30);
        c31 = madd4(a3, b1, c31);
      }
      ap += 4;
      b += 32;
    }
    const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
    storeRow(c, c00, c01, nr, va, vb, first, betaZero);
    if (rows > 1) storeRow(c + ldc4, c10, c11, nr, va, vb, first, betaZero);
    if (rows > 2) storeRow(c + 2 * ldc4, c20, c21, nr, va, vb, first, betaZero);
    if (rows > 3) storeRow(c + 3 * ldc4, c30, c31, nr, va, vb, first, betaZero);
  } else {
    // the scalar build: each lane of each accumulator, the same operations in the same order
    for (let r = 0; r < rows; r++) {
      const ar = a + <usize>r * lda4;
      const cr = c + <usize>r * ldc4;
      for (let j = 0; j < nr; j++) {
        let acc: f32 = 0;
        let b = bp + (<usize>j << 2);
        for (let p = 0; p < kc; p++) {
          acc = load<f32>(ar + (<usize>p << 2)) * load<f32>(b) + acc;
          b += 32;
        }
        const cj = cr + (<usize>j << 2);
        store<f32>(cj, update(acc, betaZero && first ? 0 : load<f32>(cj), alpha, beta, first, betaZero));
      }
    }
  }
}

/** One row block of up to 4 rows against every strip of the packed panel. */
// @ts-ignore: decorator
@inline function rowBlock(
  a: usize, w: usize, c: usize, rows: i32, nc: i32, kc: i32, lda4: usize, ldc4: usize,
  alpha: f32, beta: f32, first: bool, betaZero: bool,
): void {
  for (let jr = 0; jr < nc; jr += 8) {
    const nr = min(8, nc - jr);
    tile(a, w + ((<usize>jr * <usize>kc) << 2), c + (<usize>jr << 2), rows, nr, kc, lda4, ldc4, alpha, beta, first, betaZero);
  }
}

function panel(a: usize, w: usize, c: usize, m: i32, nc: i32, kc: i32, lda4: usize, ldc4: usize, alpha: f32, beta: f32, first: bool, betaZero: bool): void {
  const m4 = m & ~3;
  let i = 0;
  for (; i < m4; i += 4) rowBlock(a + <usize>i * lda4, w, c + <usize>i * ldc4, 4, nc, kc, lda4, ldc4, alpha, beta, first, betaZero);
  const rest = m - m4;
  const ai = a + <usize>i * lda4, ci = c + <usize>i * ldc4;
  if (rest == 3) rowBlock(ai, w, ci, 3, nc, kc, lda4, ldc4, alpha, beta, first, betaZero);
  else if (rest == 2) rowBlock(ai, w, ci, 2, nc, kc, lda4, ldc4, alpha, beta, first, betaZero);
  else if (rest == 1) rowBlock(ai, w, ci, 1, nc, kc, lda4, ldc4, alpha, beta, first, betaZero);
}

export function gemm(
  a: usize, b: usize, c: usize, w: usize, m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transB: i32, alpha_: f64, beta_: f64,
): void {
  const alpha = <f32>alpha_, beta = <f32>beta_;
  const betaZero = beta == 0;
  const lda4 = <usize>lda << 2, ldc4 = <usize>ldc << 2;
  if (k <= 0) {
    // no products: C = beta*C (0 when beta = 0)
    for (let i = 0; i < m; i++) {
      const ci = c + <usize>i * ldc4;
      for (let j = 0; j < n; j++) {
        const o = ci + (<usize>j << 2);
        store<f32>(o, betaZero ? 0 : beta * load<f32>(o));
      }
    }
    return;
  }
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      pack(b, w, jc, pc, nc, kc, ldb, transB);
      const ap = a + (<usize>pc << 2), cp = c + (<usize>jc << 2);
      if (pc != 0) panel(ap, w, cp, m, nc, kc, lda4, ldc4, alpha, beta, false, false);
      else if (betaZero) panel(ap, w, cp, m, nc, kc, lda4, ldc4, alpha, beta, true, true);
      else panel(ap, w, cp, m, nc, kc, lda4, ldc4, alpha, beta, true, false);
    }
  }
}
