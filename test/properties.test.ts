// Property tests: for random sizes (0..5000) and random valid hyperparameters,
// every optimizer class (both builds) stays within the conformance tolerance
// of its plain-JS reference over several steps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  optimizerNames, ready, registry,
} from '../src/index.js';
import { conformance, randn, rng } from './helpers.js';
import { classFor } from './registry-cases.js';

const lr = fc.double({ min: 1e-4, max: 0.2, noNaN: true });
const unit = (max: number) => fc.double({ min: 0, max, noNaN: true, maxExcluded: true });
const wd = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.1, noNaN: true }));

type Ctor = new (p: Float32Array[], o: object) => { step(g: Float32Array[]): boolean; dispose(): void };
type Ref = { init(n: number, o: object): unknown; step(p: Float32Array, g: Float32Array, s: never, o: object): void };

/** Random valid hyperparameters per optimizer, where they need more than a random lr. */
const specific: { name: string; options: fc.Arbitrary<object> }[] = [
  {
    name: 'SGD',
    options: fc
      .record({ lr, momentum: fc.oneof(fc.constant(0), unit(0.99)), dampening: unit(0.5), weightDecay: wd, nesterov: fc.boolean(), maximize: fc.boolean() })
      .map((o) => (o.nesterov ? { ...o, momentum: Math.max(o.momentum, 0.1), dampening: 0 } : o)),
  },
  {
    name: 'Momentum',
    options: fc.record({ lr, beta: unit(0.999), weightDecay: wd, maximize: fc.boolean() }),
  },
  {
    name: 'Adagrad',
    options: fc.record({
      lr, lrDecay: unit(0.1), weightDecay: wd, initialAccumulatorValue: unit(1), eps: fc.constantFrom(1e-10, 1e-8, 1e-6), maximize: fc.boolean(),
    }),
  },
  {
    name: 'RMSprop',
    options: fc.record({
      lr: fc.double({ min: 1e-4, max: 0.02, noNaN: true }),
      alpha: fc.double({ min: 0.5, max: 0.999, noNaN: true }),
      eps: fc.constantFrom(1e-8, 1e-6),
      weightDecay: wd,
      momentum: fc.oneof(fc.constant(0), unit(0.95)),
      centered: fc.boolean(),
      maximize: fc.boolean(),
    }),
  },
  ...(['Adam', 'AdamW'] as const).map((name) => ({
    name,
    options: fc.record({
      lr,
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.9, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-8, 1e-6),
      weightDecay: wd,
      amsgrad: fc.boolean(),
      maximize: fc.boolean(),
    }),
  })),
  {
    name: 'Adadelta',
    options: fc.record({
      lr: fc.double({ min: 1e-3, max: 1, noNaN: true }),
      rho: fc.double({ min: 0, max: 0.99, noNaN: true }),
      eps: fc.constantFrom(1e-6, 1e-4),
      weightDecay: wd,
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'Adamax',
    options: fc.record({
      lr,
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.9, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-8, 1e-6),
      weightDecay: wd,
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'NAdam',
    options: fc.record({
      lr,
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.9, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-8, 1e-6),
      weightDecay: wd,
      momentumDecay: fc.double({ min: 0, max: 0.05, noNaN: true }),
      decoupledWeightDecay: fc.boolean(),
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'RAdam',
    options: fc.record({
      lr,
      // beta2 down to 0.5 reaches the rectified regime (rho_t > 5) within the 1-6 steps
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.5, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-8, 1e-6),
      weightDecay: wd,
      decoupledWeightDecay: fc.boolean(),
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'Rprop',
    options: fc.record({
      lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
      etas: fc.tuple(fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.double({ min: 1.05, max: 2, noNaN: true })),
      stepSizes: fc.tuple(fc.double({ min: 0, max: 1e-3, noNaN: true }), fc.double({ min: 1e-3, max: 50, noNaN: true })),
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'ASGD',
    options: fc.record({
      lr,
      lambd: fc.double({ min: 0, max: 0.1, noNaN: true }),
      alpha: fc.double({ min: 0, max: 1, noNaN: true }),
      t0: fc.oneof(fc.constant(1e6), fc.double({ min: 0, max: 5, noNaN: true })),
      weightDecay: wd,
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'Lion',
    options: fc.record({ lr, betas: fc.tuple(unit(0.99), unit(0.999)), weightDecay: wd }),
  },
  {
    name: 'Muon',
    options: fc.record({
      lr,
      weightDecay: wd,
      momentum: fc.double({ min: 0, max: 0.99, noNaN: true }),
      nesterov: fc.boolean(),
      nsSteps: fc.integer({ min: 0, max: 6 }),
      adjustLrFn: fc.constantFrom('original' as const, 'match_rms_adamw' as const),
    }),
  },
  {
    name: 'Lamb',
    options: fc.record({
      lr,
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.9, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-6, 1e-8),
      weightDecay: wd,
    }),
  },
];

/** Every registered optimizer: its class, the reference the registry names, and random hyperparameters. */
const methods: { name: string; ctor: Ctor; ref: Ref; options: fc.Arbitrary<object> }[] = registry.map((e) => ({
  name: e.name,
  ctor: classFor(e) as unknown as Ctor,
  ref: e.reference as unknown as Ref,
  options: specific.find((m) => m.name === e.name)?.options ?? fc.record({ lr }),
}));

it('has random hyperparameters for every registered optimizer (a new one gets a random lr until it has its own)', () => {
  expect(specific.map((m) => m.name).filter((n) => !optimizerNames.includes(n as never))).toEqual([]);
  expect(methods.map((m) => m.name)).toEqual([...optimizerNames]);
});

describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
  it.each(methods.map((m) => [m.name, m] as const))('%s equals its plain-JS reference', async (_name, m) => {
    await ready({ simd: build === 'simd' });
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 3 }),
        m.options,
        fc.integer({ min: 1, max: 6 }),
        fc.integer(),
        (sizes, options, steps, seed) => {
          runs++;
          const next = rng(seed);
          const init = sizes.map((n) => randn(next, n));
          const wasmParams = init.map((a) => a.slice());
          const refParams = init.map((a) => a.slice());
          const opt = new m.ctor(wasmParams, options);
          const states = sizes.map((n) => m.ref.init(n, options));
          try {
            for (let s = 0; s < steps; s++) {
              const grads = sizes.map((n) => randn(next, n));
              expect(opt.step(grads)).toBe(true);
              refParams.forEach((p, i) => m.ref.step(p, grads[i]!, states[i] as never, options));
            }
          } finally {
            opt.dispose();
          }
          const { ratio, where } = conformance(wasmParams, refParams);
          if (!(ratio <= 1)) throw new Error(`${m.name} ${JSON.stringify(options)} sizes ${sizes}: ${where}`);
        },
      ),
      { numRuns: 60, seed: 20261125 },
    );
    expect(runs).toBe(60);
  });
});
