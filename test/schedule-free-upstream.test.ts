// Schedule-Free AdamW and SGD against upstream's own code run in float64:
// test/fixtures/schedulefree.json, recorded by tools/fixtures/generate_schedulefree.py
// from facebookresearch/schedule_free at 70785b53e778d0e872c0bbb75ff4ee54ee10c291
// (adamw_schedulefree.py, sgd_schedulefree.py, foreach=False) with PyTorch
// 1.13.1. Every case starts in upstream's way (train() first), steps 25
// times, switches eval()/train() in the middle and ends in eval mode; the
// parameters after every step and every switch are compared under the
// conformance rule.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamWScheduleFree, SGDScheduleFree, ready } from '../src/index.js';
import { adamwScheduleFreeStep, scheduleFreeInit, scheduleFreeInterp, sgdScheduleFreeStep, type ScheduleFreeReferenceState } from '../src/reference/schedulefree.js';
import { conformance } from './helpers.js';

interface Fixture {
  upstream: string;
  cases: {
    name: string;
    kind: 'AdamW' | 'SGD';
    groups: { options: Record<string, unknown>; tensors: number[] }[];
    change: { t: number; options: Record<string, unknown> } | null;
    init: number[][];
    grads: number[][][];
    records: { after: 'step' | 'eval' | 'train'; t: number; params: number[][] }[];
  }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/schedulefree.json', import.meta.url), 'utf8')) as Fixture;

const NAMES: Record<string, string> = { lr: 'lr', betas: 'betas', eps: 'eps', weight_decay: 'weightDecay', warmup_steps: 'warmupSteps', r: 'r', weight_lr_power: 'weightLrPower', momentum: 'momentum' };
const camel = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [NAMES[k] ?? `unknown ${k}`, v]));

describe.each(['simd', 'scalar'] as const)('schedule-free (%s build) replays upstream run in float64', (build) => {
  beforeAll(() => ready({ simd: build === 'simd' }));

  it('the fixture names upstream\'s commit', () => {
    expect(fixture.upstream).toMatch(/^facebookresearch\/schedule_free@70785b53e778d0e872c0bbb75ff4ee54ee10c291 /);
    expect(fixture.cases.length).toBe(8);
  });

  it.each(fixture.cases.map((c) => [`${c.kind}ScheduleFree: ${c.name}`, c] as const))('%s', (_name, c) => {
    let k = 0;
    const groups = c.groups.map((g) => ({ params: g.tensors.map(() => Float32Array.from(c.init[k++]!)), ...camel(g.options) }));
    const opt = c.kind === 'AdamW' ? new AdamWScheduleFree(groups as never) : new SGDScheduleFree(groups as never);
    let worst = { ratio: 0, where: 'nowhere' };
    let checked = 0;
    try {
      opt.train();
      let r = 0;
      for (let t = 1; t <= c.grads.length; t++) {
        if (c.change?.t === t) for (const g of opt.paramGroups) Object.assign(g, camel(c.change.options));
        opt.step(c.grads[t - 1]!.map((g) => Float32Array.from(g)));
        for (; r < c.records.length && c.records[r]!.t === t; r++) {
          const rec = c.records[r]!;
          if (rec.after === 'eval') opt.eval();
          if (rec.after === 'train') opt.train();
          expect(opt.trainMode).toBe(rec.after !== 'eval');
          const res = conformance([...opt.params], rec.params.map((p) => Float32Array.from(p)));
          checked++;
          if (res.ratio > worst.ratio) worst = { ratio: res.ratio, where: `after ${rec.after} at step ${t}: ${res.where}` };
        }
      }
      expect(r).toBe(c.records.length);
    } finally {
      opt.dispose();
    }
    expect(checked).toBeGreaterThanOrEqual(26);
    expect(worst.ratio, worst.where).toBeLessThanOrEqual(1);
  });
});

describe('the float64 transcription (src/reference/schedulefree.ts) equals upstream run in float64', () => {
  it.each(fixture.cases.map((c) => [`${c.kind}ScheduleFree: ${c.name}`, c] as const))('%s (to 1e-12 relative)', (_name, c) => {
    const groupOf = c.groups.flatMap((g, gi) => g.tensors.map(() => gi));
    const options = c.groups.map((g) => camel(g.options));
    const x = c.init.map((p) => Float64Array.from(p));
    const s = x.map((p) => scheduleFreeInit(p.length, true) as ScheduleFreeReferenceState<Float64Array>);
    const b1 = (gi: number) => (c.kind === 'AdamW' ? ((options[gi]!.betas as number[] | undefined)?.[0] ?? 0.9) : ((options[gi]!.momentum as number | undefined) ?? 0.9));
    let worst = 0;
    let r = 0;
    for (let t = 1; t <= c.grads.length; t++) {
      if (c.change?.t === t) options.forEach((o) => Object.assign(o, camel(c.change!.options)));
      x.forEach((p, i) => (c.kind === 'AdamW' ? adamwScheduleFreeStep : sgdScheduleFreeStep)(p, c.grads[t - 1]![i]!, s[i]!, options[groupOf[i]!] as never));
      for (; r < c.records.length && c.records[r]!.t === t; r++) {
        const rec = c.records[r]!;
        if (rec.after !== 'step') x.forEach((p, i) => scheduleFreeInterp(p, s[i]!.z, rec.after === 'eval' ? 1 - 1 / b1(groupOf[i]!) : 1 - b1(groupOf[i]!)));
        rec.params.forEach((want, i) => want.forEach((v, j) => (worst = Math.max(worst, Math.abs(x[i]![j]! - v) / Math.max(1, Math.abs(v))))));
      }
    }
    expect(worst).toBeLessThanOrEqual(1e-12);
  });
});
