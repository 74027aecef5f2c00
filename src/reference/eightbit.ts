import { isEightBit, signedMap, unsignedMap, EIGHT_BIT_DEFAULTS, type EightBitOptions } from '../eightbit.js';
import { adamSpec, type AdamOptions } from '../optimizers/adam.js';
import { lionSpec, type LionOptions } from '../optimizers/lion.js';
import type { ReferenceMethod } from './types.js';

/**
 * The 8-bit methods' plain-JS references: my transcription of bitsandbytes'
 * blockwise 8-bit optimizers (Dettmers et al. 2022, "8-bit Optimizers via
 * Block-wise Quantization", arXiv:2110.02861, section 2; bitsandbytes
 * csrc/kernels.cu @ 95f9af309d4d5793847169c39288dcd3fcbdf564:
 * kOptimizerStatic8bit2StateBlockwise, kOptimizerStatic8bit1StateBlockwise
 * and quantize_2D), written from that source, not from assembly/eightbit.ts.
 * Per block: dequantize (map[code] * absmax), update the moments, take the new
 * absmax = max |moment| over the block, update p from the unquantized moments,
 * requantize (nearest code of moment/absmax, the first moment's code keeping
 * its sign). Arithmetic is float32 (Math.fround after every operation), as in
 * the Lion reference: a code is a decision at a midpoint, so a reference in
 * double would pick another code now and then and the two would drift apart.
 * Tensors below min8bitSize keep float32 state and follow the float method.
 */

const f = Math.fround;

/** bitsandbytes' quantize_2D: binary search from code 127 over 7 halvings, then the nearer of the last two codes. */
export function quantizeCode(map: Float32Array, x: number, signed: boolean): number {
  let pivot = 127, upperPivot = 255, lowerPivot = 0;
  let lower = signed ? -1 : 0, upper = 1;
  let val = map[pivot]!;
  for (let i = 64; i > 0; i >>= 1) {
    if (x > val) {
      lowerPivot = pivot;
      lower = val;
      pivot += i;
    } else {
      upperPivot = pivot;
      upper = val;
      pivot -= i;
    }
    val = map[pivot]!;
  }
  if (x > val) return x > f(f(upper + val) * 0.5) ? upperPivot : pivot;
  return x < f(f(lower + val) * 0.5) ? lowerPivot : pivot;
}

const signBit = (x: number) => (x < 0 || Object.is(x, -0) ? 1 : 0);

/** The signed code of m in a block of absmax mx, its sign kept (bitsandbytes: c1 += 1 or -= 1 where the code's sign differs). */
export function signedCode(m: number, mx: number): number {
  let c = quantizeCode(signedMap, mx > 0 ? f(m / mx) : m, true);
  if (signBit(signedMap[c]!) !== signBit(m)) c = m > 0 ? c + 1 : c - 1;
  return c & 255;
}

export interface EightBitMoment {
  /** float32 state (tensors below min8bitSize), else empty */
  values: Float32Array;
  /** one code per element (8-bit tensors), else empty */
  codes: Uint8Array;
  /** one absmax per block (8-bit tensors), else empty */
  absmax: Float32Array;
}

const moment = (n: number, o: EightBitOptions): EightBitMoment =>
  isEightBit(o, n)
    ? { values: new Float32Array(0), codes: new Uint8Array(n), absmax: new Float32Array(Math.ceil(n / o.blockSize)) }
    : { values: new Float32Array(n), codes: new Uint8Array(0), absmax: new Float32Array(0) };

export interface Adam8bitReferenceState {
  step: number;
  expAvg: EightBitMoment;
  expAvgSq: EightBitMoment;
}

type Adam8bitOpts = AdamOptions & EightBitOptions;

function makeAdam8bit(decoupled: boolean): ReferenceMethod<Adam8bitOpts, Adam8bitReferenceState> {
  const defaults = { ...adamSpec.defaults, weightDecay: decoupled ? 1e-2 : 0, ...EIGHT_BIT_DEFAULTS };
  return {
    init: (n, options) => {
      const o = { ...defaults, ...options };
      return { step: 0, expAvg: moment(n, o), expAvgSq: moment(n, o) };
    },
    step(p, g, s, options) {
      const o = { ...defaults, ...options };
      const [b1d, b2d] = o.betas;
      const t = ++s.step;
      const stepSize = o.lr / (1 - b1d ** t);
      const rsqrtBc2 = 1 / Math.sqrt(1 - b2d ** t);
      // the constants as the float kernel rounds them (src/reference/adam.ts computes the same update in double)
      const step = f(stepSize / rsqrtBc2), eps = f(o.eps / rsqrtBc2);
      const [b1, b2, omb1, omb2] = [f(b1d), f(b2d), f(1 - b1d), f(1 - b2d)];
      const wd = f(decoupled ? 0 : o.weightDecay), decay = f(decoupled ? 1 - o.lr * o.weightDecay : 1);
      const gs = o.maximize ? -1 : 1;
      const n = p.length;
      const { expAvg: M, expAvgSq: V } = s;
      const moments = (i: number, am1: number, am2: number, eightBit: boolean): [number, number] => {
        const d = f(f(gs * g[i]!) + f(wd * p[i]!));
        const m0 = eightBit ? f(signedMap[M.codes[i]!]! * am1) : M.values[i]!;
        const v0 = eightBit ? f(unsignedMap[V.codes[i]!]! * am2) : V.values[i]!;
        return [f(f(m0 * b1) + f(omb1 * d)), f(f(v0 * b2) + f(f(omb2 * d) * d))];
      };
      const update = (i: number, m: number, v: number) => {
        p[i] = f(f(p[i]! * decay) - f(f(step * m) / f(f(Math.sqrt(v)) + eps)));
      };
      if (!isEightBit(o, n)) {
        for (let i = 0; i < n; i++) {
          const [m, v] = moments(i, 0, 0, false);
          M.values[i] = m;
          V.values[i] = v;
          update(i, m, v);
        }
        return;
      }
      for (let start = 0, blk = 0; start < n; start += o.blockSize, blk++) {
        const end = Math.min(start + o.blockSize, n);
        const ms: number[] = [], vs: number[] = [];
        let mx1 = 0, mx2 = 0;
        for (let i = start; i < end; i++) {
          const [m, v] = moments(i, M.absmax[blk]!, V.absmax[blk]!, true);
          ms.push(m);
          vs.push(v);
          if (Math.abs(m) > mx1) mx1 = Math.abs(m);
          if (v > mx2) mx2 = v;
        }
        M.absmax[blk] = mx1;
        V.absmax[blk] = mx2;
        for (let i = start; i < end; i++) {
          const m = ms[i - start]!, v = vs[i - start]!;
          update(i, m, v);
          M.codes[i] = signedCode(m, mx1);
          V.codes[i] = quantizeCode(unsignedMap, mx2 > 0 ? f(v / mx2) : v, false);
        }
      }
    },
  };
}

/** Plain-JS Adam8bit (see the Adam8bit class). */
export const adam8bit = makeAdam8bit(false);
/** Plain-JS AdamW8bit (see the AdamW8bit class). */
export const adamw8bit = makeAdam8bit(true);

export interface Lion8bitReferenceState {
  step: number;
  expAvg: EightBitMoment;
}

/** Plain-JS Lion8bit (see the Lion8bit class). */
export const lion8bit: ReferenceMethod<LionOptions & EightBitOptions, Lion8bitReferenceState> = {
  init: (n, options) => ({ step: 0, expAvg: moment(n, { ...EIGHT_BIT_DEFAULTS, ...options }) }),
  step(p, g, s, options) {
    const o = { ...lionSpec.defaults, ...EIGHT_BIT_DEFAULTS, ...options };
    const [b1, b2, omb1, omb2] = [f(o.betas[0]), f(o.betas[1]), f(1 - o.betas[0]), f(1 - o.betas[1])];
    const lr = f(o.lr), decay = f(1 - o.lr * o.weightDecay);
    s.step++;
    const n = p.length;
    const M = s.expAvg;
    const eightBit = isEightBit(o, n);
    const bs = eightBit ? o.blockSize : Math.max(n, 1);
    for (let start = 0, blk = 0; start < n; start += bs, blk++) {
      const end = Math.min(start + bs, n);
      const m0s: number[] = [], ms: number[] = [];
      let mx = 0;
      for (let i = start; i < end; i++) {
        const m0 = eightBit ? f(signedMap[M.codes[i]!]! * M.absmax[blk]!) : M.values[i]!;
        const m = f(f(m0 * b2) + f(omb2 * g[i]!));
        m0s.push(m0);
        ms.push(m);
        if (Math.abs(m) > mx) mx = Math.abs(m);
      }
      if (eightBit) M.absmax[blk] = mx;
      for (let i = start; i < end; i++) {
        const c = f(f(m0s[i - start]! * b1) + f(omb1 * g[i]!));
        const sign = c > 0 ? 1 : c < 0 ? -1 : c === 0 ? 0 : NaN;
        p[i] = f(f(p[i]! * decay) - f(lr * sign));
        if (eightBit) M.codes[i] = signedCode(ms[i - start]!, mx);
        else M.values[i] = ms[i - start]!;
      }
    }
  },
};
