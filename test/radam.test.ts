// RAdam against the torch 2.x code (torch/optim/radam.py, _single_tensor_radam),
// transcribed here in float64 independently of the library, for the options
// that torch 1.13 lacks and the fixture can only emulate: maximize (2.2+) and
// decoupled_weight_decay (2.1+); and rho_t around the rectification threshold.
import { beforeAll, describe, expect, it } from 'vitest';
import { RAdam, ready, type RAdamOptions } from '../src/index.js';
import { trajectory, type TrajectoryCase } from './trajectory.js';

interface State64 {
  m: Float64Array;
  v: Float64Array;
}

const DEFAULTS: RAdamOptions = { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, decoupledWeightDecay: false, maximize: false };

/** torch 2.x _single_tensor_radam, one parameter, float64. */
function radam64(x: Float64Array, g32: Float32Array, s: State64, step: number, o: RAdamOptions): void {
  const [beta1, beta2] = o.betas;
  const biasCorrection1 = 1 - beta1 ** step;
  const biasCorrection2 = 1 - beta2 ** step;
  const rhoInf = 2 / (1 - beta2) - 1;
  const rhoT = rhoInf - (2 * step * beta2 ** step) / biasCorrection2;
  for (let i = 0; i < x.length; i++) {
    let grad = o.maximize ? -g32[i]! : g32[i]!;
    if (o.weightDecay !== 0) {
      if (o.decoupledWeightDecay) x[i] = x[i]! * (1 - o.lr * o.weightDecay);
      else grad = grad + o.weightDecay * x[i]!;
    }
    s.m[i] = s.m[i]! + (grad - s.m[i]!) * (1 - beta1);
    s.v[i] = s.v[i]! * beta2 + (1 - beta2) * grad * grad;
    const biasCorrectedExpAvg = s.m[i]! / biasCorrection1;
    if (rhoT > 5) {
      const rect = (((rhoT - 4) * (rhoT - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rhoT)) ** 0.5;
      const adaptiveLr = biasCorrection2 ** 0.5 / (Math.sqrt(s.v[i]!) + o.eps);
      x[i] = x[i]! - biasCorrectedExpAvg * o.lr * adaptiveLr * rect;
    } else {
      x[i] = x[i]! - biasCorrectedExpAvg * o.lr;
    }
  }
}

const init64 = (n: number): State64 => ({ m: new Float64Array(n), v: new Float64Array(n) });
const SIZES = [1, 3, 4, 5, 17, 64, 1000];
const all = SIZES.map((_, i) => i);
const one = (options: Partial<RAdamOptions>) => [{ options, tensors: all }];

const cases: [string, TrajectoryCase<RAdamOptions>][] = [
  ['maximize', { groups: one({ lr: 0.05, maximize: true }), sizes: SIZES, steps: 25, seed: 11 }],
  ['decoupledWeightDecay', { groups: one({ lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true }), sizes: SIZES, steps: 25, seed: 12 }],
  ['maximize + decoupledWeightDecay, betas=(0.8,0.9), scale=1e3', { groups: one({ lr: 0.05, betas: [0.8, 0.9], weightDecay: 0.5, decoupledWeightDecay: true, maximize: true }), sizes: SIZES, steps: 25, seed: 13, scale: 1e3 }],
  ['maximize + L2 weightDecay, eps=1e-3, scale=1e-3', { groups: one({ lr: 0.05, eps: 1e-3, weightDecay: 0.1, maximize: true }), sizes: SIZES, steps: 25, seed: 14, scale: 1e-3 }],
  ['decoupledWeightDecay, sparse', { groups: one({ lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true }), sizes: SIZES, steps: 25, seed: 15, sparse: 0.8 }],
  [
    'groups, betas[1] changed across the threshold',
    {
      groups: [
        { options: { lr: 0.05 }, tensors: [0, 2, 4, 6] },
        { options: { lr: 0.02, decoupledWeightDecay: true, weightDecay: 0.05, maximize: true }, tensors: [1, 3, 5] },
      ],
      sizes: SIZES,
      steps: 30,
      seed: 16,
      changes: (t) => (t === 8 ? { betas: [0.9, 0.9] } : t === 20 ? { betas: [0.9, 0.999] } : undefined),
    },
  ],
];

describe.each(['simd', 'scalar'] as const)('RAdam (%s build) equals the torch 2.x code in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(cases)('%s', (_name, c) => {
    const { ratio, where } = trajectory((g) => new RAdam(g), DEFAULTS, init64, radam64, c);
    if (!(ratio <= 1)) expect.fail(where);
  });

  it('is un-rectified while rho_t <= 5 (beta2 = 0.999: steps 1-5) and rectified from step 6', () => {
    const o = new RAdam([new Float32Array([0])], { lr: 0.1 });
    const pos: number[] = [];
    for (let t = 1; t <= 6; t++) {
      o.step([new Float32Array([t === 1 ? 1 : 1e-3])]);
      pos.push(o.params[0]![0]!);
    }
    // steps 1-5: p -= lr * m/(1 - b1^t), whatever v is (momentum SGD with bias correction)
    let m = 0;
    let x = 0;
    for (let t = 1; t <= 5; t++) {
      m = 0.9 * m + 0.1 * (t === 1 ? 1 : 1e-3);
      x -= (0.1 * m) / (1 - 0.9 ** t);
      expect(pos[t - 1]).toBeCloseTo(x, 6);
    }
    // step 6 divides by sqrt(v): a very different move
    m = 0.9 * m + 0.1 * 1e-3;
    expect(Math.abs(pos[5]! - (x - (0.1 * m) / (1 - 0.9 ** 6)))).toBeGreaterThan(1e-3);
    o.dispose();
  });
});
