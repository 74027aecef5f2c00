// Schedulers on bad input: every option is checked with an error that names
// the scheduler, the option, what was expected and what was given, and a
// failed construction, step or loadStateDict leaves the optimizer and the
// scheduler exactly as they were.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  ChainedScheduler,
  ConstantLR,
  CosineAnnealingLR,
  CosineAnnealingWarmRestarts,
  CyclicLR,
  ExponentialLR,
  LambdaLR,
  LinearLR,
  Momentum,
  MultiStepLR,
  MultiplicativeLR,
  OneCycleLR,
  PolynomialLR,
  SWALR,
  ReduceLROnPlateau,
  SGD,
  SequentialLR,
  StepLR,
  ready,
  type ChainableScheduler,
  type LRScheduler,
  type SchedulableOptimizer,
  type Scheduler,
  type SchedulerStateDict,
} from '../src/index.js';

beforeAll(() => ready());

const f = () => 1;

/** Two groups with momentum buffers, lr 0.1 and 0.02. */
function sgd(momentum = 0.9) {
  return new SGD([{ params: [new Float32Array(2)] }, { params: [new Float32Array(2)], lr: 0.02 }], { lr: 0.1, momentum });
}

/** Everything a scheduler may write, for "nothing changed" checks. */
function groupsOf(opt: SchedulableOptimizer) {
  return opt.paramGroups.map((g) => ({ lr: g.lr, momentum: g.momentum, betas: g.betas && [...g.betas] }));
}

type Make = (opt: SchedulableOptimizer, options: Record<string, unknown>) => Scheduler;
const T = TypeError;
const R = RangeError;

/** [scheduler, factory, valid base options, option, [bad value, error class][]] */
const table: [string, Make, Record<string, unknown>, string, [unknown, ErrorConstructor][]][] = [
  ['StepLR', (o, x) => new StepLR(o, x as never), { stepSize: 3 }, 'stepSize', [[0, R], [1.5, R], [-1, R], ['3', T], [NaN, R], [undefined, T]]],
  ['StepLR', (o, x) => new StepLR(o, x as never), { stepSize: 3 }, 'gamma', [[-0.1, R], [NaN, R], [Infinity, R], ['0.1', T]]],
  ['MultiStepLR', (o, x) => new MultiStepLR(o, x as never), { milestones: [3] }, 'milestones', [['x', T], [[1, -1], R], [[1.5], R], [5, T], [[1, '2'], T]]],
  ['MultiStepLR', (o, x) => new MultiStepLR(o, x as never), { milestones: [3] }, 'gamma', [[-1, R]]],
  ['ConstantLR', (o, x) => new ConstantLR(o, x as never), {}, 'factor', [[0, R], [1.5, R], [-0.1, R], ['0.5', T]]],
  ['ConstantLR', (o, x) => new ConstantLR(o, x as never), {}, 'totalIters', [[0, R], [2.5, R], [null, T]]],
  ['LinearLR', (o, x) => new LinearLR(o, x as never), {}, 'startFactor', [[0, R], [1.1, R], [NaN, R]]],
  ['LinearLR', (o, x) => new LinearLR(o, x as never), {}, 'endFactor', [[-0.1, R], [1.1, R]]],
  ['LinearLR', (o, x) => new LinearLR(o, x as never), {}, 'totalIters', [[0, R], [-3, R]]],
  ['ExponentialLR', (o, x) => new ExponentialLR(o, x as never), { gamma: 0.9 }, 'gamma', [[undefined, T], [-1, R], [NaN, R]]],
  ['PolynomialLR', (o, x) => new PolynomialLR(o, x as never), {}, 'totalIters', [[0, R]]],
  ['PolynomialLR', (o, x) => new PolynomialLR(o, x as never), {}, 'power', [[-1, R], [true, T]]],
  ['CosineAnnealingLR', (o, x) => new CosineAnnealingLR(o, x as never), { TMax: 10 }, 'TMax', [[0, R], [2.5, R], [undefined, T]]],
  ['CosineAnnealingLR', (o, x) => new CosineAnnealingLR(o, x as never), { TMax: 10 }, 'etaMin', [[-1, R], ['0', T]]],
  ['CosineAnnealingWarmRestarts', (o, x) => new CosineAnnealingWarmRestarts(o, x as never), { T0: 5 }, 'T0', [[0, R], [1.5, R], [undefined, T]]],
  ['CosineAnnealingWarmRestarts', (o, x) => new CosineAnnealingWarmRestarts(o, x as never), { T0: 5 }, 'TMult', [[0, R], [1.5, R]]],
  ['CosineAnnealingWarmRestarts', (o, x) => new CosineAnnealingWarmRestarts(o, x as never), { T0: 5 }, 'etaMin', [[-1, R]]],
  ['LambdaLR', (o, x) => new LambdaLR(o, x as never), { lrLambda: f }, 'lrLambda', [['x', T], [[f], R], [[f, 'x'], T], [undefined, T]]],
  ['MultiplicativeLR', (o, x) => new MultiplicativeLR(o, x as never), { lrLambda: f }, 'lrLambda', [[3, T], [[f, f, f], R]]],
  ['SWALR', (o, x) => new SWALR(o, x as never), { swaLr: 0.05 }, 'swaLr', [[undefined, T], [-0.1, R], [NaN, R], [Infinity, R], ['0.05', T], [[0.05], R], [[0.05, 0.05, 0.05], R], [[0.05, -1], R]]],
  ['SWALR', (o, x) => new SWALR(o, x as never), { swaLr: 0.05 }, 'annealEpochs', [[-1, R], [2.5, R], [NaN, R], [Infinity, R], ['10', T]]],
  ['SWALR', (o, x) => new SWALR(o, x as never), { swaLr: 0.05 }, 'annealStrategy', [['cosine', R], ['Cos', R], [1, T]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'mode', [['avg', R], [3, T]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'factor', [[1, R], [-0.1, R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'patience', [[-1, R], [1.5, R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'threshold', [[-1, R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'thresholdMode', [['x', R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'cooldown', [[-1, R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'minLr', [[[0.1], R], [-1, R], ['x', T], [[0, -1], R]]],
  ['ReduceLROnPlateau', (o, x) => new ReduceLROnPlateau(o, x as never), {}, 'eps', [[-1, R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'baseLr', [[undefined, T], [-1, R], [[0.1], R], [[0.1, -1], R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'maxLr', [[NaN, R], ['1', T]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'stepSizeUp', [[0, R], [-1, R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'stepSizeDown', [[-1, R], ['2', T]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'mode', [['cosine', R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'gamma', [[-1, R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'scaleFn', [['x', T]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'scaleMode', [['epoch', R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'cycleMomentum', [[1, T]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'baseMomentum', [[-0.1, R], [[0.8], R]]],
  ['CyclicLR', (o, x) => new CyclicLR(o, x as never), { baseLr: 0.01, maxLr: 0.1 }, 'maxMomentum', [[[0.9, 0.9, 0.9], R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'maxLr', [[undefined, T], [-1, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'totalSteps', [[0, R], [1.5, R], ['10', T]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, epochs: 5, stepsPerEpoch: 10 }, 'epochs', [[0, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, epochs: 5, stepsPerEpoch: 10 }, 'stepsPerEpoch', [[-2, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'pctStart', [[1.5, R], [-0.1, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'annealStrategy', [['exp', R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'divFactor', [[0, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'finalDivFactor', [[-1, R]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'threePhase', [[1, T]]],
  ['OneCycleLR', (o, x) => new OneCycleLR(o, x as never), { maxLr: 0.1, totalSteps: 100 }, 'baseMomentum', [[[0.8], R]]],
];

const fmt = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(fmt).join(', ')}]` : typeof v === 'string' ? JSON.stringify(v) : typeof v === 'function' ? 'a function' : String(v);

describe('scheduler options', () => {
  it.each(table.map((row) => [`${row[0]} ${row[3]}`, ...row] as const))(
    '%s: each bad value throws a clear error and changes nothing',
    (_label, name, make, base, option, bads) => {
      for (const [value, Err] of bads) {
        const opt = sgd();
        const before = groupsOf(opt);
        let err: unknown;
        try {
          make(opt, { ...base, [option]: value });
        } catch (e) {
          err = e;
        }
        const what = `${name} ${option}=${fmt(value)}`;
        expect(err, what).toBeInstanceOf(Err);
        const msg = (err as Error).message;
        expect(msg, what).toContain(name);
        expect(msg, what).toContain(option);
        if (value !== undefined) {
          expect(msg, what).toMatch(/expected/);
          if (!Array.isArray(value) || value.length <= 6) expect(msg.includes(fmt(value)) || /\[\d\]/.test(msg) || /length/.test(msg), `${what}: ${msg}`).toBe(true);
        } else expect(msg, what).toContain('missing');
        expect(groupsOf(opt), what).toEqual(before);
        // No initial_lr was recorded: a later scheduler starts from the optimizer's own rates.
        const later = new StepLR(opt, { stepSize: 2 });
        expect(later.baseLrs, what).toEqual(before.map((g) => g.lr));
        opt.dispose();
      }
    },
  );

  it('rejects unknown options, non-object options and non-optimizers', () => {
    const opt = sgd();
    expect(() => new StepLR(opt, { stepSize: 2, step_size: 3 } as never)).toThrow(/unknown option "step_size" \(valid options: stepSize, gamma\)/);
    expect(() => new CosineAnnealingLR(opt, { T_max: 3 } as never)).toThrow(TypeError);
    expect(() => new StepLR(opt, 3 as never)).toThrow(/options must be an object/);
    expect(() => new StepLR(null as never, { stepSize: 2 })).toThrow(/optimizer must be a wasm-optim optimizer/);
    expect(() => new ExponentialLR({ paramGroups: [] } as never, { gamma: 0.9 })).toThrow(TypeError);
    expect(() => new ReduceLROnPlateau(opt, { mode: 'min', patienec: 3 } as never)).toThrow(/unknown option "patienec"/);
    expect(groupsOf(opt)).toEqual([{ lr: 0.1, momentum: 0.9, betas: undefined }, { lr: 0.02, momentum: 0.9, betas: undefined }]);
  });
});

describe('momentum cycling', () => {
  it('needs momentum or betas, as PyTorch 2.x', () => {
    for (const opt of [new Momentum([new Float32Array(2)], { lr: 0.1 }), new Adagrad([new Float32Array(2)], { lr: 0.1 })]) {
      const before = groupsOf(opt);
      expect(() => new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1 })).toThrow(/cycleMomentum: true needs an optimizer whose param groups have momentum .* or betas .*cycleMomentum: false/);
      expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10 })).toThrow(TypeError);
      expect(groupsOf(opt)).toEqual(before);
      const s = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, cycleMomentum: false });
      s.step();
      expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.055, 15);
    }
  });

  it('an SGD group created without momentum cannot start cycling it; lr and initial lr are restored', () => {
    const opt = sgd(0);
    expect(() => new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1 })).toThrow(/momentumBuffer.*cycleMomentum: false/);
    expect(groupsOf(opt)).toEqual([{ lr: 0.1, momentum: 0, betas: undefined }, { lr: 0.02, momentum: 0, betas: undefined }]);
    expect(new LinearLR(opt).baseLrs).toEqual([0.1, 0.02]);
  });

  it('writes betas[0] and keeps betas[1] on Adam', () => {
    const opt = new Adam([{ params: [new Float32Array(2)], betas: [0.9, 0.98] }, { params: [new Float32Array(2)] }], { lr: 1e-3 });
    const s = new OneCycleLR(opt, { maxLr: 0.01, totalSteps: 10, baseMomentum: 0.8, maxMomentum: [0.95, 0.9] });
    expect(opt.paramGroups.map((g) => [...g.betas])).toEqual([[0.95, 0.98], [0.9, 0.999]]);
    s.step();
    s.step(); // the peak, at step pctStart * totalSteps - 1 = 2 (up to rounding)
    expect(opt.paramGroups[0]!.betas[1]).toBe(0.98);
    expect(opt.paramGroups[1]!.betas[1]).toBe(0.999);
    expect(opt.paramGroups[0]!.betas[0]).toBeCloseTo(0.8, 12);
    expect(opt.paramGroups[0]!.lr).toBeCloseTo(0.01, 12);
  });
});

describe('failed steps change nothing', () => {
  it('OneCycleLR refuses to step past totalSteps', () => {
    const opt = sgd();
    const s = new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 5 });
    for (let i = 0; i < 5; i++) s.step();
    const before = groupsOf(opt);
    const sd = s.stateDict();
    expect(() => s.step()).toThrow(/tried to step 6 times, but the cycle has totalSteps = 5/);
    expect(groupsOf(opt)).toEqual(before);
    expect(s.stateDict()).toEqual(sd);
    expect(s.lastEpoch).toBe(5);
  });

  it('OneCycleLR rejects cycles whose phases PyTorch would divide by zero in', () => {
    const opt = sgd();
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 0.1 })).toThrow(/first phase empty/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 10, pctStart: 1 })).toThrow(/last phase empty/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, totalSteps: 9, pctStart: 5 / 9, threePhase: true })).toThrow(/last phase empty/);
    expect(() => new OneCycleLR(opt, { maxLr: 0.1, epochs: 3 })).toThrow(/missing options.totalSteps: give totalSteps, or both epochs and stepsPerEpoch/);
    expect(groupsOf(opt)).toEqual([{ lr: 0.1, momentum: 0.9, betas: undefined }, { lr: 0.02, momentum: 0.9, betas: undefined }]);
  });

  it('a value the optimizer refuses rolls every group back', () => {
    const opt = sgd();
    const s = new LambdaLR(opt, { lrLambda: [() => 0.5, (e: number) => (e >= 2 ? -1 : 1)] });
    s.step();
    const before = groupsOf(opt);
    let err: unknown;
    try {
      s.step();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/LambdaLR: the schedule sets paramGroups\[1\]\.lr to -0\.02, which the optimizer refuses \(SGD: invalid .*\); the optimizer and the scheduler are left as they were/);
    expect(groupsOf(opt)).toEqual(before);
    expect(s.lastEpoch).toBe(1);
    expect(s.getLastLr()).toEqual([0.05, 0.02]);
  });

  it('lrLambda and scaleFn must return finite numbers; a throwing one changes nothing', () => {
    const opt = sgd();
    expect(() => new LambdaLR(opt, { lrLambda: () => 'x' as never })).toThrow(/LambdaLR: lrLambda\(0\) for paramGroups\[0\] returned "x"; expected a finite number/);
    expect(() => new MultiplicativeLR(opt, { lrLambda: () => NaN }).step()).toThrow(RangeError);
    expect(groupsOf(opt)).toEqual([{ lr: 0.1, momentum: 0.9, betas: undefined }, { lr: 0.02, momentum: 0.9, betas: undefined }]);
    const s = new CyclicLR(opt, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 2, scaleFn: (x) => (x > 1 ? Infinity : 1) });
    for (let i = 0; i < 3; i++) s.step();
    const before = groupsOf(opt);
    expect(() => s.step()).toThrow(/scaleFn\(2\) returned Infinity/);
    expect(groupsOf(opt)).toEqual(before);
    const boom = new LambdaLR(sgd(), {
      lrLambda: (e) => {
        if (e === 1) throw new Error('boom');
        return 1;
      },
    });
    expect(() => boom.step()).toThrow('boom');
    expect(boom.lastEpoch).toBe(0);
  });

  it('CosineAnnealingWarmRestarts.step(epoch) takes a finite number >= 0', () => {
    const s = new CosineAnnealingWarmRestarts(sgd(), { T0: 5 });
    expect(() => s.step(-1)).toThrow(RangeError);
    expect(() => s.step(NaN)).toThrow(RangeError);
    expect(() => s.step('2' as never)).toThrow(/invalid epoch: expected a finite number >= 0 \(or no argument\), got "2"/);
    expect(s.lastEpoch).toBe(0);
  });

  it('a disposed optimizer is reported by the optimizer', () => {
    const opt = sgd();
    const s = new StepLR(opt, { stepSize: 1 });
    opt.dispose();
    expect(() => s.step()).toThrow(/after dispose\(\)/);
  });
});

describe('ReduceLROnPlateau', () => {
  it('takes a number; NaN counts as no improvement, as float("nan") in PyTorch', () => {
    const opt = sgd();
    const s = new ReduceLROnPlateau(opt, { patience: 0, factor: 0.5 });
    expect(s.getLastLr()).toEqual([0.1, 0.02]);
    expect(() => s.step('0.5' as never)).toThrow(/expected the monitored metric as a number/);
    expect(() => (s.step as () => void)()).toThrow(TypeError);
    s.step(1); // first value: an improvement over +Infinity
    expect(s.best).toBe(1);
    s.step(NaN); // not better: one bad epoch > patience 0
    expect(s.getLastLr()).toEqual([0.05, 0.01]);
    expect(s.best).toBe(1);
  });

  it('its state dict survives JSON, +-Infinity included', () => {
    for (const mode of ['min', 'max'] as const) {
      const a = new ReduceLROnPlateau(sgd(), { mode, patience: 1 });
      const fresh = JSON.parse(JSON.stringify(a.stateDict())) as SchedulerStateDict;
      expect(fresh.best).toBe(null);
      const b = new ReduceLROnPlateau(sgd(), { mode: mode === 'min' ? 'max' : 'min' });
      b.loadStateDict(fresh);
      expect(b.best).toBe(mode === 'min' ? Infinity : -Infinity);
      expect(b.stateDict()).toEqual(a.stateDict());
    }
  });
});

describe('composition', () => {
  it('SequentialLR checks its schedulers and milestones', () => {
    const opt = sgd();
    const other = sgd();
    const a = new LinearLR(opt);
    const b = new ExponentialLR(opt, { gamma: 0.9 });
    const seq = (schedulers: unknown, milestones: unknown) => () => new SequentialLR(opt, { schedulers, milestones } as never);
    expect(seq('x', [])).toThrow(/options.schedulers must be an array of schedulers/);
    expect(seq([], [])).toThrow(RangeError);
    expect(seq([a, new ReduceLROnPlateau(opt)], [3])).toThrow(/ReduceLROnPlateau, which cannot be composed/);
    expect(seq([a, new ChainedScheduler([b])], [3])).toThrow(/is a ChainedScheduler; SequentialLR restarts/);
    expect(seq([a, new StepLR(other, { stepSize: 2 })], [3])).toThrow(/belongs to another optimizer/);
    expect(seq([a, a], [3])).toThrow(/is the same scheduler as options.schedulers\[0\]/);
    expect(seq([a, b], [])).toThrow(/expected 1 milestone\(s\), one fewer than the 2 scheduler\(s\), got 0/);
    expect(seq([a, b, new StepLR(opt, { stepSize: 2 })], [5, 5])).toThrow(/expected increasing epochs, got 5, 5/);
    expect(seq([a, b], [0])).toThrow(/milestones\[0\]: expected an integer >= 1, got 0/);
    expect(() => new SequentialLR(opt, { schedulers: [a, b], milestones: [2], lastEpoch: 3 } as never)).toThrow(/unknown option "lastEpoch"/);
    other.dispose();
  });

  it('ChainedScheduler checks its schedulers', () => {
    const opt = sgd();
    expect(() => new ChainedScheduler([])).toThrow(RangeError);
    expect(() => new ChainedScheduler('x' as never)).toThrow(TypeError);
    expect(() => new ChainedScheduler([new ReduceLROnPlateau(opt) as never])).toThrow(/cannot be composed/);
    expect(() => new ChainedScheduler([new LinearLR(opt), new LinearLR(sgd())])).toThrow(/belongs to another optimizer/);
    expect(() => new ChainedScheduler([new LinearLR(opt)], sgd())).toThrow(/the optimizer passed in/);
  });
});

describe('loadStateDict', () => {
  const makers: [string, (opt: SchedulableOptimizer) => Scheduler][] = [
    ['StepLR', (o) => new StepLR(o, { stepSize: 3 })],
    ['CyclicLR', (o) => new CyclicLR(o, { baseLr: 0.01, maxLr: 0.1, stepSizeUp: 3 })],
    ['OneCycleLR', (o) => new OneCycleLR(o, { maxLr: 0.1, totalSteps: 20 })],
    ['CosineAnnealingWarmRestarts', (o) => new CosineAnnealingWarmRestarts(o, { T0: 3, TMult: 2 })],
    ['ReduceLROnPlateau', (o) => new ReduceLROnPlateau(o)],
    ['SequentialLR', (o) => new SequentialLR(o, { schedulers: [new LinearLR(o), new StepLR(o, { stepSize: 3 })], milestones: [4] })],
    ['ChainedScheduler', (o) => new ChainedScheduler([new LinearLR(o), new ExponentialLR(o, { gamma: 0.9 })])],
  ];

  it.each(makers)('%s: a bad state dict throws and changes nothing', (name, make) => {
    const s = make(sgd());
    if (s instanceof ReduceLROnPlateau) s.step(1);
    else (s as ChainableScheduler).step();
    const good = s.stateDict();
    const before = JSON.stringify(good);
    const bad: [unknown, ErrorConstructor, RegExp][] = [
      [null, TypeError, /expected a state dict object/],
      [{ ...good, kind: 'Other' }, TypeError, /belongs to "Other", not/],
      [{ ...good, version: 2 }, RangeError, /unsupported state dict version 2/],
      [{ ...good, extra: 1 }, RangeError, /unknown key "extra"/],
      [{ ...good, lastLr: [0.1] }, RangeError, /expected 2 value\(s\), one per param group/],
    ];
    const { lastLr: _drop, ...missing } = good;
    bad.push([missing, RangeError, /has no "lastLr"/]);
    if ('schedulers' in good) {
      const children = structuredClone(good.schedulers) as SchedulerStateDict[];
      children[1] = { ...children[1]!, lastEpoch: -5 };
      bad.push([{ ...good, schedulers: children }, RangeError, /sd\.schedulers\[1\]: .*lastEpoch/]);
      bad.push([{ ...good, schedulers: [children[0]] }, RangeError, /one per scheduler/]);
    } else if ('stepSize' in good) bad.push([{ ...good, stepSize: 0 }, RangeError, /invalid sd\.stepSize: expected an integer >= 1, got 0/]);
    for (const [sd, Err, re] of bad) {
      expect(() => s.loadStateDict(sd as SchedulerStateDict), `${name} ${JSON.stringify(sd)}`).toThrow(Err);
      expect(() => s.loadStateDict(sd as SchedulerStateDict)).toThrow(re);
      expect(JSON.stringify(s.stateDict())).toBe(before);
    }
  });

  it('lambdas are not saved; loading keeps the scheduler its own', () => {
    const a = new LambdaLR(sgd(), { lrLambda: (e) => 0.5 ** e });
    a.step();
    const sd = a.stateDict();
    expect(Object.values(sd).some((v) => typeof v === 'function')).toBe(false);
    const b = new LambdaLR(sgd(), { lrLambda: (e) => 0.5 ** e });
    b.loadStateDict(structuredClone(sd));
    a.step();
    b.step();
    expect(b.getLastLr()).toEqual(a.getLastLr());
  });

  it('camelCase spellings of PyTorch names: tMax, t0, tMult give the same schedule; both spellings at once is an error', () => {
    const run = (make: (o: SchedulableOptimizer) => { step(): unknown }) => {
      const o = sgd();
      const s = make(o);
      return Array.from({ length: 12 }, () => (s.step(), o.paramGroups[0]!.lr));
    };
    expect(run((o) => new CosineAnnealingLR(o, { tMax: 5, etaMin: 0.01 }))).toEqual(run((o) => new CosineAnnealingLR(o, { TMax: 5, etaMin: 0.01 })));
    expect(run((o) => new CosineAnnealingWarmRestarts(o, { t0: 3, tMult: 2 }))).toEqual(run((o) => new CosineAnnealingWarmRestarts(o, { T0: 3, TMult: 2 })));
    expect(() => new CosineAnnealingLR(sgd(), { tMax: 5, TMax: 5 } as never)).toThrow(/CosineAnnealingLR: give options\.TMax or options\.tMax \(the same option\), not both/);
    expect(() => new CosineAnnealingLR(sgd(), { tMax: 0 })).toThrow(/options\.TMax/);
  });

  it('getLastLr and baseLrs return copies', () => {
    const s = new StepLR(sgd(), { stepSize: 2 }) as LRScheduler;
    s.getLastLr()[0] = 5;
    s.baseLrs[0] = 5;
    expect(s.getLastLr()[0]).toBe(0.1);
    expect(s.baseLrs[0]).toBe(0.1);
  });
});
