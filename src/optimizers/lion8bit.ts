import { absmaxLength, codesLength, EIGHT_BIT_DEFAULTS, EIGHT_BIT_RULES, eightBitScratch, isEightBit, type EightBitOptions } from '../eightbit.js';
import { quantizationConstants } from '../quantization-table.js';
import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { betasRule, nonNegative } from '../validate.js';
import type { LionOptions } from './lion.js';

/** Hyperparameters of Lion8bit: Lion's plus blockSize and min8bitSize. */
export interface Lion8bitOptions extends LionOptions, EightBitOptions {}

export const lion8bitSpec: MethodSpec<Lion8bitOptions> = {
  name: 'Lion8bit',
  torch: {
    class: 'bitsandbytes.optim.Lion8bit',
    note: 'no torch.optim twin: the state names of bitsandbytes.optim.Optimizer1State (state1: uint8 codes, or float32 below min_8bit_size)',
    state: { expAvg: 'state1', expAvgAbsmax: 'absmax1' },
    options: { lr: 'lr', betas: 'betas', weightDecay: 'weight_decay', blockSize: 'block_size', min8bitSize: 'min_8bit_size' },
    step: false,
  },
  defaults: { lr: 1e-4, betas: Object.freeze([0.9, 0.99]) as readonly [number, number], weightDecay: 0, ...EIGHT_BIT_DEFAULTS },
  rules: { lr: nonNegative, betas: betasRule, weightDecay: nonNegative, ...EIGHT_BIT_RULES },
  constants: quantizationConstants,
  /** codes: ceil(n/4) floats (n bytes) for an 8-bit tensor, else n floats; absmax: one per block, none for a float tensor */
  bufferLength: (b, shape, o) => {
    const n = shape.reduce((a, d) => a * d, 1);
    return b === 'expAvgAbsmax' ? absmaxLength(o, n) : codesLength(o, n);
  },
  scratchFloats: (shapes, o, threads) => eightBitScratch(o, shapes, 1, threads),
  // as Lion: the float32 state of small tensors keeps subnormals
  flushes: () => false,
  buffers: () => ['expAvg', 'expAvgAbsmax'],
  run(k, a, o, ctx) {
    const [b1, b2] = o.betas;
    const decay = 1 - o.lr * o.weightDecay;
    const { expAvg: m, expAvgAbsmax: a1 } = a.state as Record<string, number>;
    for (const { offset, length, state } of ctx.tensors) {
      if (isEightBit(o, length)) {
        k.lion8bit(a.p + offset, a.g + offset, m! + state.expAvg!.offset, a1! + state.expAvgAbsmax!.offset, length, o.blockSize, a.constants, a.scratch, o.lr, b1, b2, decay, ctx.gradScale);
      } else k.lion(a.p + offset, a.g + offset, m! + state.expAvg!.offset, length, o.lr, b1, b2, decay, ctx.gradScale);
    }
  },
};

/**
 * Lion with 8-bit blockwise state (bitsandbytes.optim.Lion8bit): Lion's update
 *
 *     c = b1*m + (1 - b1)*g;   p = p - lr*(sign(c) + weightDecay*p);   m = b2*m + (1 - b2)*g
 *
 * with m kept as one signed code per element and one float32 absmax per block
 * of `blockSize` elements in tensors of at least `min8bitSize` elements (about
 * 1.02 bytes per parameter instead of 4). sign(c) reads the dequantized m, so
 * a small momentum in a block with a large absmax (coarse codes near 0) can
 * flip or zero a step that float32 Lion would take.
 */
export class Lion8bit extends Optimizer<Lion8bitOptions> {
  constructor(params: Param[] | ParamGroupInput<Lion8bitOptions>[], options?: Partial<Lion8bitOptions> & StepOptions) {
    super(lion8bitSpec, params, options);
  }
}
