import { Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { adafactorEpsRule, boolean, nonNegative, type Rule } from '../validate.js';

/** Hyperparameters of Adafactor (torch.optim.Adafactor, camelCase). */
export interface AdafactorOptions {
  /** the largest relative step size rho_t = min(lr, 1/sqrt(t)), and the weight decay's rate; default 1e-2 */
  lr: number;
  /** 1 - beta2_t = t^beta2Decay (<= 0), default -0.8 */
  beta2Decay: number;
  /** [eps1, eps2]: eps1 floors the variance estimate (null: float32 machine epsilon 2^-23), eps2 floors RMS(p); default [null, 1e-3] */
  eps: readonly [number | null, number];
  /** the update clipping threshold (>= 1): U is divided by max(1, RMS(U)/d); default 1 */
  d: number;
  /** decoupled weight decay: p = p*(1 - lr*weightDecay) before the update, default 0 */
  weightDecay: number;
  /** maximize the objective instead of minimizing it, default false */
  maximize: boolean;
}

/** torch.finfo(torch.float32).eps, eps1's value when it is null. */
export const FLOAT32_EPS = 2 ** -23;

const nonPositive: Rule = { expected: 'a finite number <= 0', type: 'number', test: (v: number) => Number.isFinite(v) && v <= 0 };
const clipThreshold: Rule = { expected: 'a finite number >= 1', type: 'number', test: (v: number) => Number.isFinite(v) && v >= 1 };

/**
 * How a tensor is factored: [batches, rows, cols] over its last two
 * dimensions (leading ones batched), or undefined for a vector (fewer than two dimensions).
 */
export function adafactorFactors(shape: readonly number[]): [number, number, number] | undefined {
  if (shape.length < 2) return undefined;
  const rows = shape[shape.length - 2]!;
  const cols = shape[shape.length - 1]!;
  const batches = shape.slice(0, -2).reduce((a, d) => a * d, 1);
  return [batches, rows, cols];
}

/** Elements per unit of the vectors' variance pass (assembly/adafactor.ts VEC_BLOCK). */
export const VEC_BLOCK = 1024;

/** The f64 parts of ||U||^2 a tensor of this shape needs: one per row of its matrices, or per block of a vector. */
function partsOf(shape: readonly number[]): number {
  const f = adafactorFactors(shape);
  return f ? f[0] * f[1] : Math.ceil(shape.reduce((a, d) => a * d, 1) / VEC_BLOCK);
}

/** The move's coefficient: -alpha / max(1, RMS(U)/d), RMS(U) = sqrt(uu / n). */
function moveScale(alpha: number, uu: number, n: number, d: number): number {
  return -alpha / Math.max(1, Math.sqrt(uu) / (Math.sqrt(n) * d));
}

export const adafactorSpec: MethodSpec<AdafactorOptions> = {
  name: 'Adafactor',
  torch: {
    class: 'torch.optim.Adafactor',
    state: { rowVar: 'row_var', colVar: 'col_var', variance: 'variance' },
    options: { lr: 'lr', beta2Decay: 'beta2_decay', eps: 'eps', d: 'd', weightDecay: 'weight_decay', maximize: 'maximize' },
    step: true,
  },
  defaults: { lr: 1e-2, beta2Decay: -0.8, eps: Object.freeze([null, 1e-3]) as readonly [number | null, number], d: 1, weightDecay: 0, maximize: false },
  rules: { lr: nonNegative, beta2Decay: nonPositive, eps: adafactorEpsRule, d: clipThreshold, weightDecay: nonNegative, maximize: boolean },
  buffers: () => ['rowVar', 'colVar', 'variance'],
  /** rowVar: batches*rows, colVar: batches*cols for a tensor of two or more dimensions; variance: n for a vector. */
  bufferLength(buffer, shape) {
    const f = adafactorFactors(shape);
    if (buffer === 'variance') return f ? null : shape.reduce((a, d) => a * d, 1);
    if (!f) return null;
    return buffer === 'rowVar' ? f[0] * f[1] : f[0] * f[2];
  },
  // eps1 = 0 divides by a mean of row factors that may be subnormal: keep them exactly
  flushes: (o) => o.eps[0] === null || o.eps[0] >= 1e-12,
  /**
   * On the pool, calls of 32K elements of work and more split: `node bench/threads.mjs --optimizers=Adafactor`
   * (square-ish matrices, 1 vs 2 threads, load average 0.9, two runs): 8K 0.86x, 0.56x; 16K 1.07x, 1.02x;
   * 32K 1.16x, 1.42x; 64K 1.49x, 1.63x; 1M 1.85x, 1.93x ([257, 129], 33K: 0.86x, 0.97x).
   */
  splitFrom: 32768,
  // per tensor: the parts of ||U||^2, one f64 per row (matrices) or per block of VEC_BLOCK (vectors)
  scratchFloats: (shapes) => Math.max(0, ...shapes.map((s) => 2 * partsOf(s))),
  /**
   * One step is six calls per matrix, four per vector, over independent units (rows, columns,
   * blocks, elements: assembly/adafactor.ts), each split across the worker
   * pool by units (src/threads/protocol.ts STRIDED_KERNELS); the sums that
   * cross units (||p||^2, ||U||^2) add fixed parts in a fixed order, so the
   * bits do not depend on the thread count.
   */
  run(k, a, o, ctx) {
    const t = ctx.t;
    const w = t ** o.beta2Decay;
    const rho = Math.min(o.lr, 1 / t ** 0.5);
    const eps1 = o.eps[0] ?? FLOAT32_EPS;
    const eps2 = o.eps[1];
    const decay = o.weightDecay !== 0 ? 1 - o.lr * o.weightDecay : 1;
    const gs = gradScale(o.maximize, ctx);
    const { rowVar, colVar, variance } = a.state as Record<string, number>;
    const part = a.scratch;
    for (const { offset, length: n, shape, state } of ctx.tensors) {
      if (n === 0) continue;
      const p = a.p + offset;
      const g = a.g + offset;
      // alpha = max(eps2, RMS(p)) * rho, p before the decay (the decay is folded into the move)
      const alpha = Math.max(eps2, Math.sqrt(k.sumSquares(p, n)) / Math.sqrt(n)) * rho;
      const f = adafactorFactors(shape);
      let uu: number;
      if (f) {
        const [b, r, c] = f;
        const row = rowVar! + state.rowVar!.offset;
        const col = colVar! + state.colVar!.offset;
        k.adafactorRows(g, row, b * r, c, w, gs);
        k.adafactorCols(g, col, c, c, r, b, w, gs);
        k.adafactorRowsU(g, row, part, b * r, row, col, r, c, eps1, gs);
        uu = k.adafactorSum(part, b * r);
        k.adafactorMove(p, g, row, b * r, row, col, r, c, moveScale(alpha, uu, n, o.d), eps1, decay, gs);
      } else {
        const v = variance! + state.variance!.offset;
        const blocks = Math.ceil(n / VEC_BLOCK);
        k.adafactorVecBlocks(g, v, part, blocks, g + 4 * n, w, eps1, gs);
        uu = k.adafactorSum(part, blocks);
        k.adafactorVecMove(p, g, v, n, moveScale(alpha, uu, n, o.d), eps1, decay, gs);
      }
    }
  },
};

/**
 * Adafactor: Shazeer & Stern 2018, "Adafactor: Adaptive Learning Rates with
 * Sublinear Memory Cost", arXiv:1804.04235, as torch.optim.Adafactor
 * (torch/optim/_adafactor.py, single-tensor path). Per tensor, at step t:
 *
 *     G     = maximize ? -g : g
 *     w     = t^beta2Decay                      (1 - beta2_t)
 *     rho   = min(lr, 1/sqrt(t))
 *     alpha = max(eps2, RMS(p)) * rho           (p before the decay)
 *     p     = p * (1 - lr*weightDecay)
 *     >= 2 dims (last two factored, leading ones batched):
 *       R = lerp(R, mean over columns of G*G, w)       rows
 *       C = lerp(C, mean over rows of G*G, w)          columns
 *       V = R C^T / max(mean(R), eps1)
 *     vector:  V = variance = lerp(variance, G*G, w)
 *     U     = G / sqrt(max(V, eps1^2))
 *     p     = p - alpha / max(1, RMS(U)/d) * U
 *
 * State per matrix: rows + columns floats (O(rows + cols)), not rows*cols.
 */
export class Adafactor extends Optimizer<AdafactorOptions> {
  constructor(params: Param[] | ParamGroupInput<AdafactorOptions>[], options?: Partial<AdafactorOptions> & StepOptions) {
    super(adafactorSpec, params, options);
  }
}
