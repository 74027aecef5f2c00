// src/webgpu/plan.ts without a GPU: which tensors of a group share an update
// dispatch, in which form (flat range or table of offsets), and what the
// table holds. The numbers a plan produces on a GPU are checked against the
// PyTorch fixtures by test/browser/webgpu.test.ts ("one dispatch per run ...").
import { describe, expect, it } from 'vitest';
import { contiguous, ENTRY, planRuns, tableWords, type PlanInput, type PlanTensor } from '../src/webgpu/plan.js';

const A = { name: 'A' };
const B = { name: 'B' };
const G = { name: 'G' };
const H = { name: 'H' };

/** State offsets as the optimizer lays them out: each tensor padded to 4 floats, `k` state arguments of `total` floats each. */
function stateOf(lengths: number[], k: number): number[][] {
  const total = lengths.reduce((a, n) => a + Math.ceil(n / 4) * 4, 0);
  let off = 0;
  return lengths.map((n) => {
    const s = Array.from({ length: k }, (_, j) => j * total + off);
    off += Math.ceil(n / 4) * 4;
    return s;
  });
}

function input(params: PlanTensor[], grads: PlanTensor[], k = 2, extra: Partial<PlanInput> = {}): PlanInput {
  return { groups: [params.map((_, i) => i)], params, grads, state: stateOf(params.map((p) => p.length), k), maxBinding: 1 << 27, workgroup: 256, ...extra };
}

describe('planRuns', () => {
  it('back to back in one parameter and one gradient buffer: one flat run, no table', () => {
    const params = [{ buffer: A, offset: 0, length: 64 }, { buffer: A, offset: 256, length: 128 }, { buffer: A, offset: 768, length: 300 }];
    const grads = [{ buffer: G, offset: 0, length: 64 }, { buffer: G, offset: 256, length: 128 }, { buffer: G, offset: 768, length: 300 }];
    const plan = planRuns(input(params, grads));
    expect(plan.runs).toEqual([
      { kind: 'flat', group: 0, tensors: [0, 1, 2], params: { buffer: A, offset: 0, size: 4 * 492 }, grads: { buffer: G, offset: 0, size: 4 * 492 }, length: 492, workgroups: 2, entry: -1, index: -1 },
    ]);
    expect(plan.table.length).toBe(0);
  });

  it('gaps: one table run; offsets in floats from the bound range, state offsets, n, first workgroup; the per-workgroup index', () => {
    const params = [{ buffer: A, offset: 512, length: 5 }, { buffer: A, offset: 1024, length: 300 }, { buffer: A, offset: 4096, length: 1 }];
    const grads = [{ buffer: G, offset: 256, length: 5 }, { buffer: G, offset: 2048, length: 300 }, { buffer: G, offset: 768, length: 1 }];
    const plan = planRuns(input(params, grads));
    expect(plan.runs.length).toBe(1);
    const run = plan.runs[0]!;
    expect(run).toMatchObject({ kind: 'table', tensors: [0, 1, 2], params: { buffer: A, offset: 512, size: 4096 + 4 - 512 }, grads: { buffer: G, offset: 256, size: 2048 + 1200 - 256 }, length: 306, workgroups: 1 + 2 + 1, entry: 0, index: 3 * ENTRY });
    // state: 2 arguments of 8 + 300 + 4 = 312 floats each
    expect([...plan.table]).toEqual([
      0, 0, 0, 312, 0, 5, 0, 0,
      128, 448, 8, 320, 0, 300, 1, 0,
      896, 128, 308, 620, 0, 1, 3, 0,
      // workgroup -> entry
      0, 1, 1, 2,
    ]);
    expect(plan.table.length).toBeLessThanOrEqual(tableWords([5, 300, 1], 256));
  });

  it('partitions by (parameter buffer, gradient buffer); a tensor alone keeps its own dispatch; groups never share a run', () => {
    const params = [
      { buffer: A, offset: 0, length: 64 }, // 0: A/G
      { buffer: B, offset: 0, length: 10 }, // 1: B/G alone
      { buffer: A, offset: 256, length: 64 }, // 2: A/G
      { buffer: A, offset: 1024, length: 7 }, // 3: A/H
      { buffer: A, offset: 2048, length: 7 }, // 4: A/H
      { buffer: A, offset: 4096, length: 64 }, // 5: group 1, A/G
    ];
    const grads = [
      { buffer: G, offset: 0, length: 64 },
      { buffer: G, offset: 4096, length: 10 },
      { buffer: G, offset: 256, length: 64 },
      { buffer: H, offset: 0, length: 7 },
      { buffer: H, offset: 256, length: 7 },
      { buffer: G, offset: 8192, length: 64 },
    ];
    const state = stateOf([64, 10, 64, 7, 7], 1).concat([[10000]]);
    const plan = planRuns({ groups: [[0, 1, 2, 3, 4], [5]], params, grads, state, maxBinding: 1 << 27, workgroup: 256 });
    expect(plan.runs.map((r) => [r.kind, r.group, r.tensors])).toEqual([
      ['table', 0, [0, 2]], // back to back in A and G, but not in the state (tensor 1 lies between them there)
      ['single', 0, [1]],
      ['table', 0, [3, 4]],
      ['single', 1, [5]],
    ]);
    expect(plan.runs[2]!).toMatchObject({ entry: 2, index: 6 * ENTRY + 2 });
    // two table runs: entries 0, 1 (tensors 0, 2) and 2, 3 (tensors 3, 4); then their per-workgroup indexes
    expect([...plan.table.subarray(6 * ENTRY)]).toEqual([0, 1, 2, 3]);
  });

  it('Lamb groups (single) and runs wider than maxStorageBufferBindingSize keep a dispatch per tensor', () => {
    const params = [{ buffer: A, offset: 0, length: 64 }, { buffer: A, offset: 256, length: 64 }];
    const grads = [{ buffer: G, offset: 0, length: 64 }, { buffer: G, offset: 256, length: 64 }];
    expect(planRuns(input(params, grads, 2, { single: [true] })).runs.map((r) => r.kind)).toEqual(['single', 'single']);
    expect(planRuns(input(params, grads, 2, { maxBinding: 256 })).runs.map((r) => r.kind)).toEqual(['single', 'single']);
    expect(planRuns(input(params, grads, 2, { maxBinding: 512 })).runs.map((r) => r.kind)).toEqual(['flat']);
  });

  it('every element of every tensor is covered once by the table form', () => {
    const lengths = [1, 255, 256, 257, 1000, 3];
    let off = 0;
    const params = lengths.map((n) => {
      const t = { buffer: A, offset: off, length: n };
      off += Math.ceil((4 * n) / 256) * 256 + 256;
      return t;
    });
    const grads = params.map((p) => ({ ...p, buffer: G }));
    const plan = planRuns(input(params, grads));
    const run = plan.runs[0]!;
    expect(run.kind).toBe('table');
    // simulate the WGSL: each workgroup's entry from the index, then i = (wg - first) * 256 + lid
    const seen = lengths.map((n) => new Uint8Array(n));
    for (let wg = 0; wg < run.workgroups; wg++) {
      const entry = plan.table[run.index + wg]!;
      const e = ENTRY * entry;
      for (let lid = 0; lid < 256; lid++) {
        const i = (wg - plan.table[e + 6]!) * 256 + lid;
        if (i < plan.table[e + 5]!) seen[entry - run.entry]![i]!++;
      }
    }
    expect(plan.table.length).toBeLessThanOrEqual(tableWords(lengths, 256));
    expect(seen.every((s) => s.every((c) => c === 1))).toBe(true);
  });
});

describe('contiguous', () => {
  const p = [{ buffer: A, offset: 0, length: 64 }, { buffer: A, offset: 256, length: 64 }];
  it('needs parameters, gradients and every state argument back to back', () => {
    expect(contiguous([0, 1], p, p, [[0, 128], [64, 192]])).toBe(true);
    expect(contiguous([1, 0], p, p, [[0, 128], [64, 192]])).toBe(false);
    expect(contiguous([0, 1], p, p, [[0, 128], [64, 200]])).toBe(false);
    expect(contiguous([0, 1], p, [p[0]!, { ...p[1]!, offset: 512 }], [[0, 128], [64, 192]])).toBe(false);
  });
});
