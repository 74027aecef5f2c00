import { absmaxLength, codesLength, EIGHT_BIT_DEFAULTS, EIGHT_BIT_RULES, eightBitScratch, isEightBit, type EightBitOptions } from '../eightbit.js';
import { quantizationConstants } from '../quantization-table.js';
import { FLUSH_MIN_EPS, Optimizer, gradScale, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, boolean, nonNegative } from '../validate.js';
import type { AdamOptions } from './adam.js';

/** Hyperparameters of Adam8bit and AdamW8bit: Adam's (amsgrad must stay false) plus blockSize and min8bitSize. */
export interface Adam8bitOptions extends AdamOptions, EightBitOptions {}

const ABSMAX: Record<string, string> = { expAvgAbsmax: 'expAvg', expAvgSqAbsmax: 'expAvgSq' };

/** Adam8bit's method spec; `decoupled` gives AdamW8bit. */
export function makeAdam8bitSpec(name: string, decoupled: boolean): MethodSpec<Adam8bitOptions> {
  return {
    name,
    torch: {
      class: `bitsandbytes.optim.${name}`,
      note: 'no torch.optim twin: the state names of bitsandbytes.optim.Optimizer2State (state1/state2: uint8 codes, or float32 below min_8bit_size)',
      state: { expAvg: 'state1', expAvgSq: 'state2', expAvgAbsmax: 'absmax1', expAvgSqAbsmax: 'absmax2' },
      options: { lr: 'lr', betas: 'betas', eps: 'eps', weightDecay: 'weight_decay', amsgrad: 'amsgrad', maximize: 'maximize', blockSize: 'block_size', min8bitSize: 'min_8bit_size' },
      step: true,
    },
    defaults: {
      lr: 1e-3, betas: Object.freeze([0.9, 0.999]) as readonly [number, number], eps: 1e-8, weightDecay: decoupled ? 1e-2 : 0, amsgrad: false, maximize: false,
      ...EIGHT_BIT_DEFAULTS,
    },
    rules: { lr: nonNegative, betas: betasRule, eps: nonNegative, weightDecay: nonNegative, amsgrad: boolean, maximize: boolean, ...EIGHT_BIT_RULES },
    check: (o) => (o.amsgrad ? 'amsgrad must be false: the 8-bit state has no maximum of past second moments (bitsandbytes has none either)' : undefined),
    constants: quantizationConstants,
    /** codes: ceil(n/4) floats (n bytes) for an 8-bit tensor, else n floats; absmax: one per block, none for a float tensor */
    bufferLength: (b, shape, o) => {
      const n = shape.reduce((a, d) => a * d, 1);
      return b in ABSMAX ? absmaxLength(o, n) : codesLength(o, n);
    },
    scratchFloats: (shapes, o, threads) => eightBitScratch(o, shapes, 2, threads),
    flushes: (o) => o.eps >= FLUSH_MIN_EPS,
    buffers: () => ['expAvg', 'expAvgSq', 'expAvgAbsmax', 'expAvgSqAbsmax'],
    run(k, a, o, ctx) {
      const { t } = ctx;
      const [b1, b2] = o.betas;
      const stepSize = o.lr / (1 - b1 ** t);
      const rsqrtBc2 = 1 / Math.sqrt(1 - b2 ** t);
      const wd = decoupled ? 0 : o.weightDecay;
      const decay = decoupled ? 1 - o.lr * o.weightDecay : 1;
      const gs = gradScale(o.maximize, ctx);
      const { expAvg: m, expAvgSq: v, expAvgAbsmax: a1, expAvgSqAbsmax: a2 } = a.state as Record<string, number>;
      for (const { offset, length, state } of ctx.tensors) {
        if (isEightBit(o, length)) {
          k.adam8bit(
            a.p + offset, a.g + offset, m! + state.expAvg!.offset, v! + state.expAvgSq!.offset, a1! + state.expAvgAbsmax!.offset, a2! + state.expAvgSqAbsmax!.offset,
            length, o.blockSize, a.constants, a.scratch, stepSize, rsqrtBc2, b1, b2, o.eps, wd, decay, gs,
          );
        } else k.adam(a.p + offset, a.g + offset, m! + state.expAvg!.offset, v! + state.expAvgSq!.offset, length, stepSize, rsqrtBc2, b1, b2, o.eps, wd, decay, gs);
      }
    },
  };
}

export const adam8bitSpec = makeAdam8bitSpec('Adam8bit', false);

/**
 * Adam with 8-bit blockwise state (Dettmers et al. 2022, "8-bit Optimizers via
 * Block-wise Quantization"; bitsandbytes.optim.Adam8bit). The update is Adam's:
 *
 *     d = (maximize ? -g : g) + weightDecay*p
 *     m = b1*m + (1 - b1)*d;   v = b2*v + (1 - b2)*d*d
 *     p = p - lr/(1 - b1^t) * m / (sqrt(v)/sqrt(1 - b2^t) + eps)
 *
 * but each tensor of at least `min8bitSize` elements (default 4096) keeps m
 * and v as one byte per element: a code into bitsandbytes' dynamic map
 * (signed for m, unsigned for v) times one float32 absmax per block of
 * `blockSize` elements (default 256), about 2.03 bytes of state per parameter
 * instead of 8. Each step dequantizes, updates and requantizes a block in one
 * pass. Smaller tensors keep float32 state, exactly as Adam.
 */
export class Adam8bit extends Optimizer<Adam8bitOptions> {
  constructor(params: Param[] | ParamGroupInput<Adam8bitOptions>[], options?: Partial<Adam8bitOptions> & StepOptions) {
    super(adam8bitSpec, params, options);
  }
}
