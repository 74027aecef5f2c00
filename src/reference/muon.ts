// A float64 transcription of torch.optim.Muon: pytorch/pytorch, torch/optim/_muon.py at commit
// 098e03f91de9384cc3afdf5c8b9a6bbc442bd66a (`_single_tensor_muon`, `_zeropower_via_newtonschulz`
// with use_addmm=False, `_adjust_lr`), every operation in double (torch: Newton-Schulz in
// bfloat16); and of KellerJordan/Muon muon.py's `adam_update` for `useMuon: false` groups.
// Independent of src/optimizers/muon.ts's kernels (only the defaults are shared).
import { muonSpec, type MuonOptions } from '../optimizers/muon.js';
import type { ReferenceMethod } from './types.js';

/** Reference options: Muon's, plus the matrix's shape (default [1, n]: a row). */
export type MuonReferenceOptions = MuonOptions & { shape: readonly [number, number] };

export interface MuonReferenceState {
  step: number;
  shape: readonly [number, number];
  /** Muon groups */
  momentumBuffer: Float64Array;
  /** useMuon: false groups */
  expAvg: Float64Array;
  expAvgSq: Float64Array;
}

/** torch.lerp: w < 0.5 ? a + w*(b - a) : b - (b - a)*(1 - w). */
const lerp = (a: number, b: number, w: number) => (w < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w));

/** C = A B for row-major A (m x k), B (k x n). */
function matmul(A: Float64Array, B: Float64Array, m: number, k: number, n: number): Float64Array {
  const C = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const a = A[i * k + p]!;
      if (a === 0) continue;
      for (let j = 0; j < n; j++) C[i * n + j]! += a * B[p * n + j]!;
    }
  }
  return C;
}

function transpose(X: Float64Array, rows: number, cols: number): Float64Array {
  const T = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) T[j * rows + i] = X[i * cols + j]!;
  return T;
}

/** `_zeropower_via_newtonschulz(grad, ns_coefficients, ns_steps, eps, use_addmm=False)` in double. */
export function newtonSchulzReference(G: Float64Array, rows: number, cols: number, coefficients: readonly number[], steps: number, eps: number): Float64Array {
  const [a, b, c] = coefficients as [number, number, number];
  const tr = rows > cols;
  let X = tr ? transpose(G, rows, cols) : Float64Array.from(G);
  const m = tr ? cols : rows, n = tr ? rows : cols;
  let ss = 0;
  for (const x of X) ss += x * x;
  const d = Math.max(Math.sqrt(ss), eps);
  for (let i = 0; i < X.length; i++) X[i] = X[i]! / d;
  for (let s = 0; s < steps; s++) {
    const A = matmul(X, transpose(X, m, n), m, n, m); // gram_matrix = X @ X.T
    const AA = matmul(A, A, m, m, m);
    const B = A.map((v, i) => b * v + c * AA[i]!); // gram_update = b*A + c*A@A
    const BX = matmul(B, X, m, m, n);
    X = X.map((v, i) => a * v + BX[i]!); // X = a*X + gram_update@X
  }
  return tr ? transpose(X, m, n) : X;
}

/** `_adjust_lr`. */
export function adjustLrReference(lr: number, fn: string, rows: number, cols: number): number {
  return lr * (fn === 'match_rms_adamw' ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols)));
}

/** One step of `_single_tensor_muon` (or `adam_update` + decoupled decay when useMuon is false) on float64 arrays. */
export function muonStep64(p: Float64Array, g: Float64Array, s: MuonReferenceState, options?: Partial<MuonOptions>): void {
  const o = { ...muonSpec.defaults, ...options };
  const t = ++s.step;
  if (!o.useMuon) {
    const [b1, b2] = o.betas;
    const { expAvg: m, expAvgSq: v } = s;
    for (let i = 0; i < p.length; i++) {
      m[i] = lerp(m[i]!, g[i]!, 1 - b1);
      v[i] = lerp(v[i]!, g[i]! * g[i]!, 1 - b2);
      const u = m[i]! / (1 - b1 ** t) / (Math.sqrt(v[i]! / (1 - b2 ** t)) + o.eps);
      p[i] = p[i]! * (1 - o.lr * o.weightDecay) - o.lr * u;
    }
    return;
  }
  const [rows, cols] = s.shape;
  const buf = s.momentumBuffer;
  const U = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    buf[i] = lerp(buf[i]!, g[i]!, 1 - o.momentum);
    U[i] = o.nesterov ? lerp(g[i]!, buf[i]!, o.momentum) : buf[i]!;
  }
  if (p.length === 0) return;
  const O = newtonSchulzReference(U, rows, cols, o.nsCoefficients, o.nsSteps, o.eps);
  const adjusted = adjustLrReference(o.lr, o.adjustLrFn, rows, cols);
  for (let i = 0; i < p.length; i++) p[i] = p[i]! * (1 - o.lr * o.weightDecay) - adjusted * O[i]!;
}

/** Fresh reference state for an n-element tensor of shape `shape` (default [1, n]). */
export function muonInit64(n: number, shape?: readonly [number, number]): MuonReferenceState {
  return { step: 0, shape: shape ?? [1, n], momentumBuffer: new Float64Array(n), expAvg: new Float64Array(n), expAvgSq: new Float64Array(n) };
}

/** Plain-JS Muon on one matrix (options.shape, default [1, n]): the float64 step, float32 parameters. */
export const muon: ReferenceMethod<MuonReferenceOptions, MuonReferenceState> = {
  init: (n, options) => muonInit64(n, options?.shape),
  step(p, g, s, options) {
    const p64 = Float64Array.from(p);
    muonStep64(p64, Float64Array.from(g), s, options);
    p.set(p64);
  },
};
