// NAdam against the torch 2.x code (torch/optim/nadam.py, _single_tensor_nadam),
// transcribed here in float64 independently of the library, for the options
// that torch 1.13 lacks and the fixture can only emulate: maximize (2.2+) and
// decoupled_weight_decay (2.1+); and the running product mu_product under
// changing betas[0] and momentum_decay, as a scheduler cycling betas[0] does.
import { beforeAll, describe, expect, it } from 'vitest';
import { NAdam, ready, type NAdamOptions } from '../src/index.js';
import { trajectory, type TrajectoryCase } from './trajectory.js';

interface State64 {
  muProduct: number;
  m: Float64Array;
  v: Float64Array;
}

const DEFAULTS: NAdamOptions = {
  lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, decoupledWeightDecay: false, maximize: false,
};

/** torch 2.x _single_tensor_nadam, one parameter, float64. */
function nadam64(x: Float64Array, g32: Float32Array, s: State64, t: number, o: NAdamOptions): void {
  const [beta1, beta2] = o.betas;
  const biasCorrection2 = 1 - beta2 ** t;
  const mu = beta1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
  s.muProduct *= mu;
  const muProductNext = s.muProduct * muNext;
  for (let i = 0; i < x.length; i++) {
    let grad = o.maximize ? -g32[i]! : g32[i]!;
    if (o.weightDecay !== 0) {
      if (o.decoupledWeightDecay) x[i] = x[i]! * (1 - o.lr * o.weightDecay);
      else grad = grad + o.weightDecay * x[i]!;
    }
    s.m[i] = s.m[i]! + (grad - s.m[i]!) * (1 - beta1); // exp_avg.lerp_(grad, 1 - beta1)
    s.v[i] = s.v[i]! * beta2 + (1 - beta2) * grad * grad;
    const denom = Math.sqrt(s.v[i]! / biasCorrection2) + o.eps;
    x[i] = x[i]! + ((-o.lr * (1 - mu)) / (1 - s.muProduct)) * (grad / denom);
    x[i] = x[i]! + ((-o.lr * muNext) / (1 - muProductNext)) * (s.m[i]! / denom);
  }
}

const init64 = (n: number): State64 => ({ muProduct: 1, m: new Float64Array(n), v: new Float64Array(n) });
const SIZES = [1, 3, 4, 5, 17, 64, 1000];
const all = SIZES.map((_, i) => i);
const one = (options: Partial<NAdamOptions>) => [{ options, tensors: all }];

const cases: [string, TrajectoryCase<NAdamOptions>][] = [
  ['maximize', { groups: one({ lr: 0.05, maximize: true }), sizes: SIZES, steps: 25, seed: 1 }],
  ['decoupledWeightDecay', { groups: one({ lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true }), sizes: SIZES, steps: 25, seed: 2 }],
  ['maximize + decoupledWeightDecay, scale=1e3', { groups: one({ lr: 0.05, weightDecay: 0.5, decoupledWeightDecay: true, maximize: true }), sizes: SIZES, steps: 25, seed: 3, scale: 1e3 }],
  ['maximize + L2 weightDecay, scale=1e-3', { groups: one({ lr: 0.05, weightDecay: 0.1, maximize: true }), sizes: SIZES, steps: 25, seed: 4, scale: 1e-3 }],
  ['decoupledWeightDecay, sparse', { groups: one({ lr: 0.05, weightDecay: 0.1, decoupledWeightDecay: true }), sizes: SIZES, steps: 25, seed: 5, sparse: 0.8 }],
  [
    'betas[0] and momentumDecay cycled every step (running mu_product)',
    {
      groups: [
        { options: { lr: 0.05 }, tensors: [0, 2, 4, 6] },
        { options: { lr: 0.02, decoupledWeightDecay: true, weightDecay: 0.05 }, tensors: [1, 3, 5] },
      ],
      sizes: SIZES,
      steps: 30,
      seed: 6,
      changes: (t, gi) => ({ betas: [0.85 + 0.1 * Math.abs(Math.sin(t + gi)), 0.999], momentumDecay: 0.004 * (1 + (t % 3)), lr: 0.05 / (1 + t / 10) }),
    },
  ],
];

describe.each(['simd', 'scalar'] as const)('NAdam (%s build) equals the torch 2.x code in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(cases)('%s', (_name, c) => {
    const { ratio, where } = trajectory((g) => new NAdam(g), DEFAULTS, init64, nadam64, c);
    if (!(ratio <= 1)) expect.fail(where);
  });

  it('keeps mu_product as a running product in the state dict, resumable after betas changed', () => {
    const betas1 = [0.9, 0.8, 0.95, 0.7, 0.9];
    const a = new NAdam([new Float32Array([1, -2, 3])], { lr: 0.01 });
    let product = 1;
    betas1.forEach((b1, i) => {
      const t = i + 1;
      a.paramGroups[0]!.betas = [b1, 0.999];
      a.step([new Float32Array([0.5, 0.25, -1])]);
      product *= b1 * (1 - 0.5 * 0.96 ** (t * 4e-3));
    });
    const sd = structuredClone(a.stateDict());
    expect(sd.state[0]!.muProduct).toBeCloseTo(product, 15);
    expect(Object.keys(sd.state[0]!)).toEqual(['step', 'muProduct', 'expAvg', 'expAvgSq']);
    const b = new NAdam([a.params[0]!.slice()]);
    b.loadStateDict(sd);
    for (const opt of [a, b]) {
      opt.paramGroups[0]!.betas = [0.6, 0.99];
      opt.step([new Float32Array([1, 2, 3])]);
    }
    expect(Array.from(b.params[0]!)).toEqual(Array.from(a.params[0]!));
    expect(b.stateDict()).toEqual(a.stateDict());
  });
});
