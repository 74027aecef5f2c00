// The float64 reference of assembly/gemm.ts, for tests (and Muon's reference later):
// the textbook triple loop, every product and sum in double. Not re-exported from
// src/reference/index.ts: a building block, not an optimizer.

/** Row-major matrix view: element (i, j) at data[offset + i*ld + j]. */
export interface MatrixView {
  data: ArrayLike<number>;
  ld: number;
  offset?: number;
}

/**
 * C = alpha*A*op(B) + beta*C in float64, with A m x k, op(B) = B (k x n) or B^T (B n x k),
 * C m x n. beta = 0 ignores C (BLAS). Returns C (m*n, dense) and, per element, the
 * magnitude |alpha|*sum_p |a_ip*op(b)_pj| + |beta*c_ij| that scales its rounding-error bound.
 */
export function gemmReference(
  m: number, n: number, k: number, a: MatrixView, b: MatrixView, c: MatrixView, transB: boolean, alpha: number, beta: number,
): { c: Float64Array; magnitude: Float64Array } {
  const out = new Float64Array(m * n);
  const magnitude = new Float64Array(m * n);
  const ao = a.offset ?? 0, bo = b.offset ?? 0, co = c.offset ?? 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0, sa = 0;
      for (let p = 0; p < k; p++) {
        const x = a.data[ao + i * a.ld + p]! * (transB ? b.data[bo + j * b.ld + p]! : b.data[bo + p * b.ld + j]!);
        s += x;
        sa += Math.abs(x);
      }
      const cij = beta === 0 ? 0 : beta * c.data[co + i * c.ld + j]!;
      out[i * n + j] = alpha * s + cij;
      magnitude[i * n + j] = Math.abs(alpha) * sa + Math.abs(cij);
    }
  }
  return { c: out, magnitude };
}
