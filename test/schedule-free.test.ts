// Schedule-Free AdamW and SGD against a float64 transcription of upstream's
// code (src/reference/schedulefree.ts: facebookresearch/schedule_free at
// 70785b53e778d0e872c0bbb75ff4ee54ee10c291, schedulefree/adamw_schedulefree.py
// and sgd_schedulefree.py), replayed step by step with train()/eval()
// switches in the middle, and the mode rules: step in eval mode throws and
// changes nothing, train() twice does nothing, eval() twice throws, state dicts and
// checkpoints carry the mode.
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamWScheduleFree, SGDScheduleFree, ready, type AdamWScheduleFreeOptions, type Optimizer, type SGDScheduleFreeOptions } from '../src/index.js';
import {
  adamwScheduleFreeStep, scheduleFreeInit, scheduleFreeInterp, sgdScheduleFreeStep, type ScheduleFreeReferenceState,
} from '../src/reference/schedulefree.js';
import { bytesOf, conformance, randn, rng } from './helpers.js';

type Kind = 'AdamW' | 'SGD';
type Opts = Partial<AdamWScheduleFreeOptions> & Partial<SGDScheduleFreeOptions>;
type State = ScheduleFreeReferenceState<Float64Array>;

interface Case {
  name: string;
  kind: Kind;
  /** options per group; group 0 holds tensors 0-2, group 1 (if any) the rest */
  groups: Opts[];
  scale?: number;
  sparse?: number;
  /** steps after which eval() is called, then train() before the next step */
  evalAfter?: number[];
  /** option changes before step t, per group */
  changes?: (t: number) => Opts | undefined;
}

const SIZES = [1, 3, 4, 5, 17, 64, 1000];
const STEPS = 25;

const cases: Case[] = [
  { name: 'defaults', kind: 'AdamW', groups: [{}], evalAfter: [10] },
  { name: 'warmup 5, r 1, weightLrPower 1, weight decay', kind: 'AdamW', groups: [{ lr: 0.01, warmupSteps: 5, r: 1, weightLrPower: 1, weightDecay: 0.05 }], evalAfter: [3, 12] },
  { name: 'warmup 30 (longer than the run), weightLrPower 0, betas (0.5, 0.9)', kind: 'AdamW', groups: [{ lr: 0.05, warmupSteps: 30, weightLrPower: 0, betas: [0.5, 0.9] }], evalAfter: [7] },
  { name: 'scaled 1e3, eps 1e-6, two groups', kind: 'AdamW', groups: [{ lr: 0.01, eps: 1e-6 }, { lr: 0.002, weightDecay: 0.1, warmupSteps: 4 }], scale: 1e3, evalAfter: [1, 20] },
  { name: 'scaled 1e-3', kind: 'AdamW', groups: [{ lr: 0.003, r: 2 }], scale: 1e-3, evalAfter: [15] },
  { name: 'sparse gradients, lr changed mid-run', kind: 'AdamW', groups: [{ lr: 0.01, weightDecay: 0.01 }], sparse: 0.8, evalAfter: [9], changes: (t) => (t === 13 ? { lr: 0.001 } : undefined) },
  { name: 'defaults', kind: 'SGD', groups: [{}], scale: 0.01, evalAfter: [10] },
  { name: 'warmup 5, r 1, weightLrPower 1, weight decay', kind: 'SGD', groups: [{ lr: 0.1, warmupSteps: 5, r: 1, weightLrPower: 1, weightDecay: 0.05 }], evalAfter: [3, 12] },
  { name: 'momentum 0.5 (the other lerp branch), weightLrPower 0', kind: 'SGD', groups: [{ lr: 0.05, momentum: 0.5, weightLrPower: 0 }], evalAfter: [7, 8] },
  { name: 'scaled 1e3, two groups', kind: 'SGD', groups: [{ lr: 1e-4 }, { lr: 5e-5, weightDecay: 0.1, warmupSteps: 4, momentum: 0.95 }], scale: 1e3, evalAfter: [1, 20] },
  { name: 'sparse gradients, momentum changed mid-run', kind: 'SGD', groups: [{ lr: 0.02, r: 0.5 }], sparse: 0.8, evalAfter: [9, 16], changes: (t) => (t === 13 ? { momentum: 0.8 } : undefined) },
];

/** Either class, typed by what the tests use of both. */
type SF = Optimizer<object> & { train(): void; eval(): void; readonly trainMode: boolean };

function make(kind: Kind, groups: ({ params: Float32Array[] } & Opts)[]): SF {
  return (kind === 'AdamW' ? new AdamWScheduleFree(groups as never) : new SGDScheduleFree(groups as never)) as unknown as SF;
}

const beta1 = (kind: Kind, o: Opts) => (kind === 'AdamW' ? (o.betas ?? [0.9, 0.999])[0] : (o.momentum ?? 0.9));

describe.each(['simd', 'scalar'] as const)('schedule-free (%s build) equals upstream transcribed in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it.each(cases.map((c) => [`${c.kind}ScheduleFree: ${c.name}`, c] as const))('%s', (_name, c) => {
    const next = rng(1234 + cases.indexOf(c));
    const params = SIZES.map((n) => randn(next, n));
    const groupOf = SIZES.map((_, i) => (c.groups.length > 1 && i >= 3 ? 1 : 0));
    const tensors = c.groups.map((_, gi) => SIZES.flatMap((_, i) => (groupOf[i] === gi ? [i] : [])));
    const opt = make(c.kind, c.groups.map((o, gi) => ({ params: tensors[gi]!.map((i) => params[i]!.slice()), ...o })));
    const current = c.groups.map((o) => ({ ...o }));
    const x = params.map((p) => Float64Array.from(p));
    const state: State[] = SIZES.map((n) => scheduleFreeInit(n, true) as State);
    const order = tensors.flat();
    let worst = { ratio: 0, where: 'nowhere' };
    const compare = (when: string) => {
      const r = conformance([...opt.params], order.map((i) => Float32Array.from(x[i]!)));
      if (r.ratio > worst.ratio) worst = { ratio: r.ratio, where: `${when}: ${r.where}` };
    };
    try {
      opt.train();
      for (let t = 1; t <= STEPS; t++) {
        const change = c.changes?.(t);
        if (change) c.groups.forEach((_, gi) => { Object.assign(current[gi]!, change); Object.assign(opt.paramGroups[gi]!, change); });
        const grads = SIZES.map((n) => {
          const g = randn(next, n, c.scale ?? 1);
          if (c.sparse) for (let i = 0; i < n; i++) if (next() < c.sparse) g[i] = 0;
          return g;
        });
        opt.step(order.map((i) => grads[i]!));
        SIZES.forEach((_, i) => {
          const o = current[groupOf[i]!]!;
          if (c.kind === 'AdamW') adamwScheduleFreeStep(x[i]!, grads[i]!, state[i]!, o);
          else sgdScheduleFreeStep(x[i]!, grads[i]!, state[i]!, o);
        });
        compare(`step ${t}`);
        if (c.evalAfter?.includes(t)) {
          opt.eval();
          expect(opt.trainMode).toBe(false);
          SIZES.forEach((_, i) => scheduleFreeInterp(x[i]!, state[i]!.z, 1 - 1 / beta1(c.kind, current[groupOf[i]!]!)));
          compare(`eval() after step ${t}`);
          opt.train();
          SIZES.forEach((_, i) => scheduleFreeInterp(x[i]!, state[i]!.z, 1 - beta1(c.kind, current[groupOf[i]!]!)));
          compare(`train() after step ${t}`);
        }
      }
      opt.eval();
      SIZES.forEach((_, i) => scheduleFreeInterp(x[i]!, state[i]!.z, 1 - 1 / beta1(c.kind, current[groupOf[i]!]!)));
      compare('final eval()');
    } finally {
      opt.dispose();
    }
    expect(worst.ratio, worst.where).toBeLessThanOrEqual(1);
  });
});

describe('schedule-free modes (as upstream)', () => {
  beforeAll(() => ready());
  const grads = [Float32Array.from([0.5, -1, 2]), Float32Array.from([0.25])];
  const fresh = (kind: Kind) => make(kind, [{ params: [Float32Array.from([1, 2, 3]), Float32Array.from([-1])] }]);

  it.each(['AdamW', 'SGD'] as const)('%s: train() twice does nothing; eval() twice and step in eval mode throw and change nothing', (kind) => {
    const opt = fresh(kind);
    expect(opt.trainMode).toBe(true); // upstream starts in eval mode and needs train() first (README)
    opt.train(); // no-op, as upstream
    opt.step(grads);
    opt.step(grads);
    const y = bytesOf(opt.params);
    opt.eval();
    const xBytes = bytesOf(opt.params);
    expect(xBytes).not.toEqual(y);
    const sd = opt.stateDict();
    // a second eval() is refused (upstream ignores it): a clear error, nothing changed
    expect(() => opt.eval()).toThrow(
      new RegExp(`^${kind}ScheduleFree\\.eval: the optimizer is already in eval mode \\(its parameters hold the average x\\); .*call opt\\.train\\(\\) before stepping again; nothing was changed$`),
    );
    expect(bytesOf(opt.params)).toEqual(xBytes);
    expect(opt.stateDict()).toEqual(sd);
    expect(opt.trainMode).toBe(false);
    expect(() => opt.step(grads)).toThrow(new RegExp(`^${kind}ScheduleFree\\.step: paramGroups\\[0\\] is in eval mode .*call opt\\.train\\(\\) before step\\(\\).*nothing was changed`));
    expect(bytesOf(opt.params)).toEqual(xBytes);
    expect(opt.stateDict()).toEqual(sd);
    expect(opt.stepCount).toBe(2);
    opt.train();
    const yBytes = bytesOf(opt.params);
    opt.train(); // train() in train mode does nothing, as upstream
    expect(bytesOf(opt.params)).toEqual(yBytes);
    expect(opt.trainMode).toBe(true);
    opt.eval(); // and eval() works again after train()
    expect(opt.trainMode).toBe(false);
    opt.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: a loop written for upstream (train() at the start of every epoch, eval() to evaluate) runs unchanged', (kind) => {
    const opt = fresh(kind);
    for (let epoch = 0; epoch < 3; epoch++) {
      opt.train(); // the first one finds the optimizer in train mode already
      opt.step(grads);
      opt.step(grads);
      opt.eval();
      expect(opt.trainMode).toBe(false);
    }
    expect(opt.stepCount).toBe(6);
    opt.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: eval() with one group still in train mode moves that group; then eval() again throws', (kind) => {
    const two = () => make(kind, [{ params: [Float32Array.from([1, 2, 3])] }, { params: [Float32Array.from([-1])] }]);
    const a = two();
    a.step(grads);
    a.step(grads); // (after one step y = z: eval() would move nothing)
    a.eval();
    const evalSd = a.stateDict();
    const b = two();
    b.step(grads);
    b.step(grads);
    // group 0 from a's eval-mode state, group 1 stays in train mode
    const sd = b.stateDict();
    sd.state[0] = evalSd.state[0]!;
    b.loadStateDict(sd);
    expect(b.trainMode).toBe(false); // not every group is in train mode
    const y1 = b.params[1]!.slice();
    b.eval();
    expect(b.params[1]).not.toEqual(y1);
    expect(b.stateDict().state[1]!.trainMode).toBe(0);
    const after = bytesOf(b.params);
    expect(() => b.eval()).toThrow(/already in eval mode/);
    expect(bytesOf(b.params)).toEqual(after);
    a.dispose();
    b.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: before the first step eval() moves nothing (no z yet) and step throws', (kind) => {
    const opt = fresh(kind);
    opt.eval();
    expect([...opt.params[0]!]).toEqual([1, 2, 3]);
    expect(() => opt.eval()).toThrow(/already in eval mode/);
    expect(() => opt.step(grads)).toThrow(/eval mode/);
    expect(opt.stepCount).toBe(0);
    opt.train();
    expect(opt.step(grads)).toBe(true);
    opt.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: eval() writes x into the caller\'s arrays too', (kind) => {
    const w = Float32Array.from([1, 2, 3]);
    const b = Float32Array.from([-1]);
    const opt = make(kind, [{ params: [w, b] }]);
    opt.step(grads);
    opt.step(grads);
    opt.eval();
    expect(bytesOf([w, b])).toEqual(bytesOf(opt.params));
    opt.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: state dicts and checkpoints carry the mode; a load takes the saved mode', (kind) => {
    const a = fresh(kind);
    a.step(grads);
    a.step(grads);
    a.eval();
    const sd = a.stateDict();
    expect(sd.state[0]).toMatchObject({ step: 2, trainMode: 0 });
    const bytes = a.save();
    const b = fresh(kind);
    expect(b.trainMode).toBe(true);
    b.load(bytes);
    expect(b.trainMode).toBe(false);
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    expect(() => b.step(grads)).toThrow(/eval mode/);
    a.train();
    b.train();
    a.step(grads);
    b.step(grads);
    expect(bytesOf(b.params)).toEqual(bytesOf(a.params));
    // a state dict of an eval-mode optimizer puts a train-mode one into eval mode (the parameters are the caller's business, as upstream)
    const c = fresh(kind);
    c.step(grads);
    c.loadStateDict(sd);
    expect(c.trainMode).toBe(false);
    // a state dict without state keeps the current mode
    const d = fresh(kind);
    d.eval();
    d.loadStateDict(fresh(kind).stateDict());
    expect(d.trainMode).toBe(false);
    for (const o of [a, b, c, d]) o.dispose();
  });

  it.each(['AdamW', 'SGD'] as const)('%s: a state dict with a bad mode is refused and nothing changes', (kind) => {
    const a = fresh(kind);
    a.step(grads);
    const sd = a.stateDict();
    const before = bytesOf(a.params);
    const bad = structuredClone(sd);
    bad.state[0]!.trainMode = 2;
    bad.state[1]!.trainMode = 2;
    expect(() => a.loadStateDict(bad)).toThrow(/state\[0\]: trainMode must be 1 \(train mode\) or 0 \(eval mode\), got 2/);
    expect(a.stateDict()).toEqual(sd);
    expect(bytesOf(a.params)).toEqual(before);
    expect(a.trainMode).toBe(true);
    a.dispose();
  });

  it('rejects a momentum or beta1 of 0 or 1 (eval() divides by it), naming it', () => {
    const p = [new Float32Array(2)];
    expect(() => new SGDScheduleFree(p, { momentum: 0 })).toThrow(/^SGDScheduleFree: invalid options.momentum: expected a number in \(0, 1\), got 0$/);
    expect(() => new SGDScheduleFree(p, { momentum: 1 })).toThrow(RangeError);
    expect(() => new AdamWScheduleFree(p, { betas: [0, 0.999] })).toThrow(/^AdamWScheduleFree: invalid options.betas: expected a pair \[beta1, beta2\] with beta1 in \(0, 1\)/);
    expect(() => new AdamWScheduleFree(p, { warmupSteps: 2.5 })).toThrow(/invalid options.warmupSteps: expected a whole number >= 0, got 2\.5/);
  });

  it('defaults are upstream\'s', () => {
    const a = new AdamWScheduleFree([new Float32Array(1)]);
    const s = new SGDScheduleFree([new Float32Array(1)]);
    const { params: _p, ...ao } = a.paramGroups[0]!;
    const { params: _q, ...so } = s.paramGroups[0]!;
    expect({ ...ao }).toEqual({ lr: 0.0025, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 });
    expect({ ...so }).toEqual({ lr: 1.0, momentum: 0.9, weightDecay: 0, warmupSteps: 0, r: 0, weightLrPower: 2 });
    a.dispose();
    s.dispose();
  });
});

describe('schedule-free: the SIMD and scalar builds give the same bits', () => {
  const configs: [Kind, Opts][] = [
    ['AdamW', {}],
    ['AdamW', { lr: 0.05, warmupSteps: 3, r: 1, weightDecay: 0.1, betas: [0.4, 0.9], eps: 0 }],
    ['SGD', { lr: 0.1 }],
    ['SGD', { lr: 0.02, warmupSteps: 3, weightLrPower: 0, weightDecay: 0.1, momentum: 0.3 }],
  ];
  async function run(build: 'simd' | 'scalar', kind: Kind, o: Opts): Promise<Uint8Array> {
    await ready({ simd: build === 'simd' });
    const next = rng(99);
    const sizes = [1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 64, 1023];
    const opt = make(kind, [{ params: sizes.map((n) => randn(next, n)), ...o }]);
    const out: Float32Array[] = [];
    for (let t = 1; t <= 12; t++) {
      opt.step(sizes.map((n) => {
        const g = randn(next, n);
        for (let i = 0; i < n; i++) if (next() < 0.3) g[i] = 0;
        return g;
      }));
      if (t % 5 === 0) {
        opt.eval();
        out.push(...opt.params.map((p) => p.slice()));
        opt.train();
      }
    }
    const sd = opt.stateDict();
    out.push(...opt.params.map((p) => p.slice()), ...sd.state.flatMap((s) => [s!.z as Float32Array, ...(s!.expAvgSq ? [s!.expAvgSq as Float32Array] : [])]));
    opt.dispose();
    return bytesOf(out);
  }
  it.each(configs.map((c, i) => [`${c[0]}ScheduleFree #${i}`, c] as const))('%s', async (_n, [kind, o]) => {
    const a = await run('simd', kind, o);
    const b = await run('scalar', kind, o);
    await ready({ simd: true });
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  });
});
