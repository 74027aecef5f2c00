import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import type { Kernels } from '../wasm.js';
import { betasRule, boolean, nonNegative, oneOf, tripleRule, type Rule } from '../validate.js';
import { GEMM_WORK_PER_ELEMENT } from '../threads/split.js';

/** How Muon scales lr by the matrix's shape (rows A, columns B). */
export type MuonAdjustLr = 'original' | 'match_rms_adamw';

/** Hyperparameters of Muon (torch.optim.Muon, camelCase), and of its AdamW groups (`useMuon: false`). */
export interface MuonOptions {
  /** learning rate, default 1e-3 */
  lr: number;
  /** decoupled weight decay, p = p*(1 - lr*weightDecay), default 0.1 */
  weightDecay: number;
  /** momentum factor, default 0.95 */
  momentum: number;
  /** Nesterov momentum, default true */
  nesterov: boolean;
  /** the quintic Newton-Schulz coefficients [a, b, c], default [3.4445, -4.775, 2.0315] */
  nsCoefficients: readonly [number, number, number];
  /** Muon groups: lower bound of the norm the update is divided by (default 1e-7); AdamW groups: Adam's eps */
  eps: number;
  /** Newton-Schulz iterations, an integer in [0, 99], default 5 */
  nsSteps: number;
  /** 'original' (default): lr*sqrt(max(1, A/B)); 'match_rms_adamw': lr*0.2*sqrt(max(A, B)) */
  adjustLrFn: MuonAdjustLr;
  /** false: this group steps with AdamW's rule (biases, gains, embeddings), default true */
  useMuon: boolean;
  /** AdamW groups only: Adam's betas, default [0.9, 0.95] (KellerJordan/Muon's MuonWithAuxAdam) */
  betas: readonly [number, number];
}

const nsStepsRule: Rule = {
  expected: 'an integer in [0, 99] (torch refuses 100 or more)',
  type: 'number',
  test: (v: number) => Number.isInteger(v) && v >= 0 && v < 100,
};

/** Floats of gemm's packed panel for n columns and depth k: assembly/gemm.ts gemmWorkBytes / 4 (KC 256, NC 512). */
export function gemmWorkFloats(n: number, k: number): number {
  return Math.min(k, 256) * Math.min((n + 7) & ~7, 512);
}

const pad4 = (n: number) => (n + 3) & ~3;

/**
 * Newton-Schulz working memory for one rows x cols matrix, m = min(rows, cols), n = max:
 * X and Y (m x n: the iterate and the next), A and B (m x m), gemm's panel, one per thread
 * (on the worker pool, thread c packs B into the panel at w + c*stride, the stride gemm's
 * panel rounded up to 64 bytes: src/threads/split.ts).
 */
function scratchOf(rows: number, cols: number, threads = 1): { x: number; y: number; a: number; b: number; w: number; total: number } {
  const m = Math.min(rows, cols), n = Math.max(rows, cols);
  const x = 0, y = pad4(m * n), a = 2 * y, b = a + pad4(m * m), w = b + pad4(m * m);
  const work = Math.max(gemmWorkFloats(m, n), gemmWorkFloats(m, m), gemmWorkFloats(n, m));
  return { x, y, a, b, w, total: w + (threads > 1 ? threads * Math.ceil(work / 16) * 16 : pad4(work)) };
}

/** The lr factor for a rows x cols matrix (torch's `_adjust_lr`). */
export function muonLrRatio(fn: MuonAdjustLr, rows: number, cols: number): number {
  return fn === 'match_rms_adamw' ? 0.2 * Math.sqrt(Math.max(rows, cols)) : Math.sqrt(Math.max(1, rows / cols));
}

/**
 * X = NS(X) in place of the m x n iterate at x (m <= n), torch's `_zeropower_via_newtonschulz`
 * after its transpose: X = X / max(||X||_F, eps), then nsSteps times
 *   A = X X^T,  B = b*A + c*A A,  X = a*X + B X
 * Returns the address holding the result (x or y: the iterate and the next swap each step).
 */
function newtonSchulz(k: Kernels, o: Readonly<MuonOptions>, m: number, n: number, x: number, y: number, a: number, b: number, w: number): number {
  const [ca, cb, cc] = o.nsCoefficients;
  // the Frobenius norm in double, fixed order (assembly/norm.ts): the same bits for any thread split
  const norm = Math.sqrt(k.sumSquares(x, m * n));
  k.scale(x, m * n, 1 / Math.max(norm, o.eps));
  for (let s = 0; s < o.nsSteps; s++) {
    k.gemm(x, x, a, w, m, m, n, n, n, m, 1, 1, 0); // A = X X^T
    k.muonCopy(b, a, m * m);
    k.gemm(a, a, b, w, m, m, m, m, m, m, 0, cc, cb); // B = c*A A + b*A
    k.muonCopy(y, x, m * n);
    k.gemm(b, x, y, w, m, n, m, m, n, n, 0, 1, ca); // Y = B X + a*X
    const t = x;
    x = y;
    y = t;
  }
  return x;
}

export const muonSpec: MethodSpec<MuonOptions> = {
  name: 'Muon',
  torch: {
    class: 'torch.optim.Muon',
    note: 'no torch.optim twin in PyTorch 1.13 (Muon arrived in 2.9): the names of torch/optim/_muon.py; useMuon: false groups (AdamW) as KellerJordan/Muon MuonWithAuxAdam: exp_avg, exp_avg_sq, betas, use_muon',
    state: { momentumBuffer: 'momentum_buffer', expAvg: 'exp_avg', expAvgSq: 'exp_avg_sq' },
    options: {
      lr: 'lr', weightDecay: 'weight_decay', momentum: 'momentum', nesterov: 'nesterov', nsCoefficients: 'ns_coefficients',
      eps: 'eps', nsSteps: 'ns_steps', adjustLrFn: 'adjust_lr_fn', useMuon: 'use_muon', betas: 'betas',
    },
    step: true,
  },
  defaults: {
    lr: 1e-3, weightDecay: 0.1, momentum: 0.95, nesterov: true,
    nsCoefficients: Object.freeze([3.4445, -4.775, 2.0315]) as readonly [number, number, number],
    eps: 1e-7, nsSteps: 5, adjustLrFn: 'original', useMuon: true,
    betas: Object.freeze([0.9, 0.95]) as readonly [number, number],
  },
  rules: {
    lr: nonNegative, weightDecay: nonNegative, momentum: nonNegative, nesterov: boolean, nsCoefficients: tripleRule,
    eps: nonNegative, nsSteps: nsStepsRule, adjustLrFn: oneOf('original', 'match_rms_adamw'), useMuon: boolean, betas: betasRule,
  },
  checkShape(shape, length, o) {
    if (!o.useMuon || (shape !== undefined && shape.length === 2)) return undefined;
    const got = shape === undefined ? `a Float32Array of length ${length} without a shape` : `shape [${shape.join(', ')}]`;
    return (
      `Muon only supports 2-D parameters (matrices), got ${got}; give a matrix as { data, shape: [rows, cols] }, and ` +
      `biases, gains and embeddings to AdamW: put them in a param group with useMuon: false`
    );
  },
  flushes: (o) => o.useMuon || o.eps >= 1e-12,
  buffers: (o) => (o.useMuon ? ['momentumBuffer'] : ['expAvg', 'expAvgSq']),
  // under threads 'auto': a matrix whose products split (m = min(rows, cols) >= 8 and X X^T's m*m*n multiply-adds
  // at least GEMM_WORK_PER_ELEMENT times the threshold: src/threads/split.ts) puts the optimizer on the pool
  poolWork: (shapes, threshold) =>
    shapes.some((s) => {
      if (s.length !== 2) return false;
      const m = Math.min(s[0]!, s[1]!), n = Math.max(s[0]!, s[1]!);
      return m >= 8 && m * m * n >= GEMM_WORK_PER_ELEMENT * threshold;
    }),
  scratchFloats: (shapes, o, threads) => (o.useMuon ? Math.max(0, ...shapes.map((s) => (s.length === 2 ? scratchOf(s[0]!, s[1]!, threads).total : 0))) : 0),
  run(k, addr, o, ctx) {
    const gs = ctx.gradScale;
    if (!o.useMuon) {
      // AdamW (KellerJordan's adam_update): p = p*(1 - lr*wd) - lr*mhat/(sqrt(vhat) + eps)
      const [b1, b2] = o.betas;
      const { expAvg: m, expAvgSq: v } = addr.state as Record<string, number>;
      k.adam(addr.p, addr.g, m!, v!, addr.n, o.lr / (1 - b1 ** ctx.t), 1 / Math.sqrt(1 - b2 ** ctx.t), b1, b2, o.eps, 0, 1 - o.lr * o.weightDecay, gs);
      return;
    }
    const buf = addr.state.momentumBuffer!;
    const decay = 1 - o.lr * o.weightDecay;
    for (const { offset, length, shape } of ctx.tensors) {
      if (length === 0) continue;
      const rows = shape[0]!, cols = shape[1]!;
      const tr = rows > cols ? 1 : 0;
      const m = Math.min(rows, cols), n = Math.max(rows, cols);
      const s = scratchOf(rows, cols);
      const at = (f: number) => addr.scratch + 4 * f;
      k.muonMomentum(addr.g + offset, buf + offset, at(s.x), rows, cols, o.momentum, o.nesterov ? 1 : 0, gs, tr);
      const out = newtonSchulz(k, o, m, n, at(s.x), at(s.y), at(s.a), at(s.b), at(s.w));
      k.muonApply(addr.p + offset, out, rows, cols, decay, o.lr * muonLrRatio(o.adjustLrFn, rows, cols), tr);
    }
  },
};

/**
 * Muon (MomentUm Orthogonalized by Newton-Schulz), as torch.optim.Muon
 * (torch/optim/_muon.py), for 2-D parameters; param groups with
 * `useMuon: false` step with AdamW's rule instead (KellerJordan/Muon's
 * MuonWithAuxAdam). Per matrix G (rows x cols), d = clip coefficient * G:
 *
 *     buf = mu*buf + (1 - mu)*d                       (torch: buf.lerp_(grad, 1 - momentum))
 *     U   = nesterov ? (1 - mu)*d + mu*buf : buf
 *     X   = U (U^T if rows > cols);  X = X / max(||X||_F, eps)
 *     nsSteps times:  A = X X^T;  B = b*A + c*A A;  X = a*X + B X
 *     O   = X (X^T if rows > cols)
 *     p   = p*(1 - lr*weightDecay) - lr*r*O
 *     r   = sqrt(max(1, rows/cols))  ('original')  or  0.2*sqrt(max(rows, cols))  ('match_rms_adamw')
 *
 * torch runs Newton-Schulz in bfloat16; here it is float32 (on a copy: the
 * momentum buffer is never normalised in place).
 */
export class Muon extends Optimizer<MuonOptions> {
  constructor(params: Param[] | ParamGroupInput<MuonOptions>[], options?: Partial<MuonOptions> & StepOptions) {
    super(muonSpec, params, options);
  }
}
