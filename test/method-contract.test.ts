// The contract between the Optimizer base class and a method: `run` is given
// the group index, the group's tensor slots and its running scalars, and the
// base class keeps the scalars, writes them into state dicts (PyTorch order:
// step, scalars, buffers) and restores them. A probe method records what it sees.
import { beforeAll, describe, expect, it } from 'vitest';
import { Optimizer, ready, type ParamGroupInput } from '../src/index.js';
import type { GroupProgress, MethodSpec } from '../src/method.js';
import { nonNegative } from '../src/validate.js';

beforeAll(() => ready());

interface ProbeOptions {
  lr: number;
}
interface ProbeScalars extends Record<string, number> {
  calls: number;
  lrSum: number;
}
const seen: { group: number; t: number; tensors: { offset: number; length: number }[]; scalars: ProbeScalars; ctx: GroupProgress<ProbeScalars>; p: number }[] = [];

const probeSpec: MethodSpec<ProbeOptions, ProbeScalars> = {
  name: 'Probe',
  defaults: { lr: 0.5 },
  rules: { lr: nonNegative },
  buffers: () => ['acc'],
  scalarNames: ['calls', 'lrSum'],
  initScalars: (o) => ({ calls: 0, lrSum: o.lr * 1000 }),
  run(k, a, o, ctx) {
    seen.push({ group: ctx.group, t: ctx.t, tensors: ctx.tensors.map((s) => ({ ...s })), scalars: { ...ctx.scalars }, ctx, p: a.p });
    ctx.scalars.calls += 1;
    ctx.scalars.lrSum += o.lr;
  },
};

class Probe extends Optimizer<ProbeOptions, ProbeScalars> {
  constructor(params: ParamGroupInput<ProbeOptions>[]) {
    super(probeSpec, params);
  }
}

describe('the method contract', () => {
  it('run gets the group index, the tensor slots and the running scalars; the base class keeps and serialises them', () => {
    seen.length = 0;
    const opt = new Probe([{ params: [new Float32Array(3), new Float32Array(6)] }, { params: [new Float32Array(5)], lr: 0.25 }]);
    opt.step();
    opt.step();
    expect(seen.map((s) => [s.group, s.t])).toEqual([[0, 1], [1, 1], [0, 2], [1, 2]]);
    // slots: byte offsets of each tensor from the start of the group's buffers (padded to 4 floats)
    const slots = opt.paramGroups.map((g) => g.params.map((v) => ({ length: v.length })));
    seen.forEach((s) => {
      const views = opt.paramGroups[s.group]!.params;
      // without bufferLength, each tensor's part of every state buffer lies where it lies in p and g
      expect(s.tensors).toEqual(views.map((v) => ({ offset: v.byteOffset - s.p, length: v.length, shape: [v.length], state: { acc: { offset: v.byteOffset - s.p, length: v.length } } })));
      expect(s.tensors.map((x) => ({ length: x.length }))).toEqual(slots[s.group]);
    });
    expect(seen[0]!.tensors).toEqual([
      { offset: 0, length: 3, shape: [3], state: { acc: { offset: 0, length: 3 } } },
      { offset: 16, length: 6, shape: [6], state: { acc: { offset: 16, length: 6 } } },
    ]);
    // the scalars start from initScalars at the first step and carry over
    expect(seen.map((s) => s.scalars)).toEqual([
      { calls: 0, lrSum: 500 },
      { calls: 0, lrSum: 250 },
      { calls: 1, lrSum: 500.5 },
      { calls: 1, lrSum: 250.25 },
    ]);
    // one context object per group, reused at every step (no allocation on the hot path)
    expect(seen[2]!.ctx).toBe(seen[0]!.ctx);
    expect(seen[3]!.ctx).toBe(seen[1]!.ctx);
    const sd = opt.stateDict();
    expect(sd.state.map((s) => Object.keys(s!))).toEqual([['step', 'calls', 'lrSum', 'acc'], ['step', 'calls', 'lrSum', 'acc'], ['step', 'calls', 'lrSum', 'acc']]);
    expect(sd.state.map((s) => [s!.step, s!.calls, s!.lrSum])).toEqual([[2, 2, 501], [2, 2, 501], [2, 2, 250.5]]);

    // loadStateDict restores the scalars; the next step continues from them
    const b = new Probe([{ params: [new Float32Array(3), new Float32Array(6)] }, { params: [new Float32Array(5)], lr: 0.25 }]);
    sd.state[2]!.calls = 40;
    b.loadStateDict(sd);
    seen.length = 0;
    b.step();
    expect(seen.map((s) => s.scalars)).toEqual([{ calls: 2, lrSum: 501 }, { calls: 40, lrSum: 250.5 }]);
    expect(b.stateDict().state[2]).toMatchObject({ step: 3, calls: 41 });
    // a checkpoint carries them too
    const c = new Probe([{ params: [new Float32Array(3), new Float32Array(6)] }, { params: [new Float32Array(5)], lr: 0.25 }]);
    c.load(b.save());
    expect(c.stateDict()).toEqual(b.stateDict());
    [opt, b, c].forEach((o) => o.dispose());
  });

  it('refuses state dicts whose scalars are missing or differ within a group, changing nothing', () => {
    const opt = new Probe([{ params: [new Float32Array(2), new Float32Array(2)] }]);
    opt.step();
    const sd = opt.stateDict();
    const before = opt.stateDict();
    const missing = structuredClone(sd);
    delete (missing.state[1] as Record<string, unknown>).lrSum;
    expect(() => opt.loadStateDict(missing)).toThrow(/Probe\.loadStateDict: state\[1\]\.lrSum must be a finite number \(Probe keeps it per parameter, as PyTorch does\), got undefined/);
    const differ = structuredClone(sd);
    differ.state[1]!.calls = 7;
    expect(() => opt.loadStateDict(differ)).toThrow(/must share one calls \(every group steps as one\); state\[1\]\.calls is 7, expected 1/);
    expect(opt.stateDict()).toEqual(before);
    opt.dispose();
  });
});
