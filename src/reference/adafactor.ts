// A float64 transcription of torch.optim.Adafactor's single-tensor step,
// `_single_tensor_adafactor` in torch/optim/_adafactor.py of pytorch/pytorch at
// commit 5f65158aefc31977355102011b310a7d020e5604, line by line (the torch
// statement in each comment). Parameters, gradients and state are float64;
// eps1 = null is float32's machine epsilon (torch.finfo(param.dtype).eps for
// the float32 parameters this library keeps). The tests compare the float32
// kernels against it; it shares no code with them.
import type { AdafactorOptions } from '../optimizers/adafactor.js';
import type { ReferenceMethod } from './types.js';

const DEFAULTS: AdafactorOptions = { lr: 1e-2, beta2Decay: -0.8, eps: [null, 1e-3], d: 1, weightDecay: 0, maximize: false };

/** One tensor's state: its shape, and row_var/col_var (>= 2 dims) or variance (vectors), in float64. */
export interface AdafactorReferenceState {
  step: number;
  shape: number[];
  rowVar?: Float64Array;
  colVar?: Float64Array;
  variance?: Float64Array;
}

/** torch's Tensor.lerp_(end, weight) on CPU: self + w*(end - self) for |w| < 0.5, else end - (end - self)*(1 - w). */
function lerp(a: number, b: number, w: number): number {
  return Math.abs(w) < 0.5 ? a + w * (b - a) : b - (b - a) * (1 - w);
}

/** Python's max(a, b): a unless b > a (so max(x, NaN) is x). */
const pyMax = (a: number, b: number) => (b > a ? b : a);

/** Fresh state for a tensor of this shape (torch's lazy state initialisation). */
export function adafactorInit(shape: readonly number[]): AdafactorReferenceState {
  const n = shape.reduce((a, d) => a * d, 1);
  if (shape.length > 1) {
    const lead = shape.slice(0, -2).reduce((a, d) => a * d, 1);
    // row_shape[-1] = 1; col_shape[-2] = 1
    return { step: 0, shape: [...shape], rowVar: new Float64Array(lead * shape.at(-2)!), colVar: new Float64Array(lead * shape.at(-1)!) };
  }
  return { step: 0, shape: [...shape], variance: new Float64Array(n) };
}

/** One step on one tensor, in float64, in place on p and the state. */
export function adafactorStep64(p: Float64Array, gIn: ArrayLike<number>, s: AdafactorReferenceState, options: Partial<AdafactorOptions> = {}): void {
  const { lr, beta2Decay, eps, d, weightDecay, maximize } = { ...DEFAULTS, ...options };
  const n = p.length;
  // grad = grads[i] if not maximize else -grads[i]
  const grad = Float64Array.from(gIn, (x) => (maximize ? -x : x));
  // if eps1 is None: eps1 = torch.finfo(param.dtype).eps
  const eps1 = eps[0] ?? 2 ** -23;
  const eps2 = eps[1];
  // step_t += 1; step_float = step_t.item()
  const step = ++s.step;
  // one_minus_beta2_t = step_float**beta2_decay
  const w = step ** beta2Decay;
  // rho_t = min(lr, 1 / (step_float**0.5))
  const rho = Math.min(lr, 1 / step ** 0.5);
  // alpha = max(eps2, param.norm(2).item() / (param.numel() ** 0.5)) * rho_t
  let pp = 0;
  for (let i = 0; i < n; i++) pp += p[i]! * p[i]!;
  const alpha = pyMax(eps2, Math.sqrt(pp) / n ** 0.5) * rho;
  // if weight_decay != 0: param.mul_(1 - lr * weight_decay)
  if (weightDecay !== 0) for (let i = 0; i < n; i++) p[i] = p[i]! * (1 - lr * weightDecay);
  const varEstimate = new Float64Array(n);
  if (s.shape.length > 1) {
    const R = s.shape.at(-2)!;
    const C = s.shape.at(-1)!;
    const B = n / (R * C) || 0;
    const row = s.rowVar!;
    const col = s.colVar!;
    for (let b = 0; b < B; b++) {
      const g0 = b * R * C;
      // row_mean = torch.norm(grad, dim=-1, keepdim=True).square_().div_(grad.size(-1)); row_var.lerp_(row_mean, w)
      for (let r = 0; r < R; r++) {
        let ss = 0;
        for (let c = 0; c < C; c++) ss += grad[g0 + r * C + c]! ** 2;
        row[b * R + r] = lerp(row[b * R + r]!, ss / C, w);
      }
      // col_mean = torch.norm(grad, dim=-2, keepdim=True).square_().div_(grad.size(-2)); col_var.lerp_(col_mean, w)
      for (let c = 0; c < C; c++) {
        let ss = 0;
        for (let r = 0; r < R; r++) ss += grad[g0 + r * C + c]! ** 2;
        col[b * C + c] = lerp(col[b * C + c]!, ss / R, w);
      }
      // var_estimate = row_var @ col_var; var_estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
      let rs = 0;
      for (let r = 0; r < R; r++) rs += row[b * R + r]!;
      const rowMean = Math.max(rs / R, eps1);
      for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) varEstimate[g0 + r * C + c] = (row[b * R + r]! * col[b * C + c]!) / rowMean;
    }
  } else {
    // grad_squared = grad * grad; variance.lerp_(grad_squared, w); var_estimate = variance.clone()
    const v = s.variance!;
    for (let i = 0; i < n; i++) {
      v[i] = lerp(v[i]!, grad[i]! * grad[i]!, w);
      varEstimate[i] = v[i]!;
    }
  }
  // update = var_estimate.clamp_(min=eps1 * eps1).rsqrt_(); update.mul_(grad)
  const update = new Float64Array(n);
  let uu = 0;
  for (let i = 0; i < n; i++) {
    update[i] = (1 / Math.sqrt(Math.max(varEstimate[i]!, eps1 * eps1))) * grad[i]!;
    uu += update[i]! * update[i]!;
  }
  // denom = max(1.0, update.norm(2).item() / ((update.numel() ** 0.5) * d))
  const denom = pyMax(1.0, Math.sqrt(uu) / (n ** 0.5 * d));
  // param.add_(update, alpha=-alpha / denom)
  for (let i = 0; i < n; i++) p[i] = p[i]! + (-alpha / denom) * update[i]!;
}

/**
 * The registry's reference (plain Float32Arrays are vectors, as torch's 1-D
 * parameters): the float64 step above on a float64 copy of p, stored back as float32.
 */
export const adafactor: ReferenceMethod<AdafactorOptions, AdafactorReferenceState> = {
  init: (n) => adafactorInit([n]),
  step(p, g, s, options) {
    const p64 = Float64Array.from(p);
    adafactorStep64(p64, g, s, options);
    p.set(p64);
  },
};
