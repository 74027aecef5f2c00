// Property tests: for random sizes (0..5000) and random valid hyperparameters,
// every optimizer class (both builds) stays within the conformance tolerance
// of its plain-JS reference over several steps.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ASGD, Adadelta, Adagrad, Adam, AdamW, Adamax, Lamb, Lion, Momentum, NAdam, RAdam, RMSprop, Rprop, SGD, optimizerEntry, optimizerNames, ready, reference,
} from '../src/index.js';
import { conformance, randn, rng } from './helpers.js';

const lr = fc.double({ min: 1e-4, max: 0.2, noNaN: true });
const unit = (max: number) => fc.double({ min: 0, max, noNaN: true, maxExcluded: true });
const wd = fc.oneof(fc.constant(0), fc.double({ min: 0, max: 0.1, noNaN: true }));

type Ctor = new (p: Float32Array[], o: object) => { step(g: Float32Array[]): boolean; dispose(): void };
type Ref = { init(n: number, o: object): unknown; step(p: Float32Array, g: Float32Array, s: never, o: object): void };

const methods: { name: string; ctor: Ctor; ref: Ref; options: fc.Arbitrary<object> }[] = [
  {
    name: 'SGD',
    ctor: SGD as unknown as Ctor,
    ref: reference.SGD as unknown as Ref,
    options: fc
      .record({ lr, momentum: fc.oneof(fc.constant(0), unit(0.99)), dampening: unit(0.5), weightDecay: wd, nesterov: fc.boolean(), maximize: fc.boolean() })
      .map((o) => (o.nesterov ? { ...o, momentum: Math.max(o.momentum, 0.1), dampening: 0 } : o)),
  },
  {
    name: 'Momentum',
    ctor: Momentum as unknown as Ctor,
    ref: reference.Momentum as unknown as Ref,
    options: fc.record({ lr, beta: unit(0.999), weightDecay: wd, maximize: fc.boolean() }),
  },
  {
    name: 'Adagrad',
    ctor: Adagrad as unknown as Ctor,
    ref: reference.Adagrad as unknown as Ref,
    options: fc.record({
      lr, lrDecay: unit(0.1), weightDecay: wd, initialAccumulatorValue: unit(1), eps: fc.constantFrom(1e-10, 1e-8, 1e-6), maximize: fc.boolean(),
    }),
  },
  {
    name: 'RMSprop',
    ctor: RMSprop as unknown as Ctor,
    ref: reference.RMSprop as unknown as Ref,
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
    ctor: (name === 'Adam' ? Adam : AdamW) as unknown as Ctor,
    ref: reference[name] as unknown as Ref,
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
    ctor: Adadelta as unknown as Ctor,
    ref: reference.Adadelta as unknown as Ref,
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
    ctor: Adamax as unknown as Ctor,
    ref: reference.Adamax as unknown as Ref,
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
    ctor: NAdam as unknown as Ctor,
    ref: reference.NAdam as unknown as Ref,
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
    ctor: RAdam as unknown as Ctor,
    ref: reference.RAdam as unknown as Ref,
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
    ctor: Rprop as unknown as Ctor,
    ref: reference.Rprop as unknown as Ref,
    options: fc.record({
      lr: fc.double({ min: 1e-4, max: 0.1, noNaN: true }),
      etas: fc.tuple(fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.double({ min: 1.05, max: 2, noNaN: true })),
      stepSizes: fc.tuple(fc.double({ min: 0, max: 1e-3, noNaN: true }), fc.double({ min: 1e-3, max: 50, noNaN: true })),
      maximize: fc.boolean(),
    }),
  },
  {
    name: 'ASGD',
    ctor: ASGD as unknown as Ctor,
    ref: reference.ASGD as unknown as Ref,
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
    ctor: Lion as unknown as Ctor,
    ref: reference.Lion as unknown as Ref,
    options: fc.record({ lr, betas: fc.tuple(unit(0.99), unit(0.999)), weightDecay: wd }),
  },
  {
    name: 'Lamb',
    ctor: Lamb as unknown as Ctor,
    ref: reference.Lamb as unknown as Ref,
    options: fc.record({
      lr,
      betas: fc.tuple(unit(0.99), fc.double({ min: 0.9, max: 0.9999, noNaN: true })),
      eps: fc.constantFrom(1e-6, 1e-8),
      weightDecay: wd,
    }),
  },
];

it('covers every registered optimizer, against the reference the registry names', () => {
  expect(methods.map((m) => m.name)).toEqual([...optimizerNames]);
  for (const m of methods) expect(m.ref, m.name).toBe(optimizerEntry(m.name).reference);
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
