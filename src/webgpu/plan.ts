// How a step's update dispatches cover a group's tensors (pure: no GPU here).
//
// WebGPU binds a fixed number of buffers per dispatch, so one dispatch can
// cover only tensors whose parameters lie in one GPUBuffer and whose
// gradients lie in one GPUBuffer. planRuns partitions each group's tensors
// by that pair of buffers into runs; a run of two or more tensors is ONE
// dispatch, in one of two forms:
//
//   flat   the run's tensors are back to back in the parameter buffer, in the
//          gradient buffer and in the state (each starts where the previous
//          ends, in group order): the run is one range of sum(n) floats and
//          the plain kernel covers it (i = 0 .. sum(n) - 1), no table at all;
//   table  anything else (gaps, any order): one entry per tensor in a small
//          storage table, { parameter offset, gradient offset, state offsets
//          (3), n, first workgroup } (offsets in floats from the start of the
//          run's bindings), and a per-workgroup index (workgroup -> entry);
//          each invocation reads its workgroup's entry (two loads, the same
//          address across the workgroup) and runs the same body at element
//          i = (workgroup - first) * 256 + local index. (A binary search over
//          "first workgroup" per invocation doubled the step's time on
//          SwiftShader, and one search per workgroup shared through workgroup
//          memory needs a barrier, which SwiftShader makes 7 to 20 times
//          slower than the per-tensor dispatches; the index costs 4 bytes per
//          workgroup of 256 elements.)
//
// Flat is the default where it applies: it reads no table and its
// workgroups split the run evenly (the table form pads every tensor to whole
// workgroups and searches the table per workgroup), and it is exactly the
// kernel a single tensor runs. A tensor alone in its pair of buffers keeps a
// dispatch of its own ("single"), as do the tensors of a group whose method
// reduces per tensor (Lamb's trust ratio), and a run whose bound range would
// exceed the device's maxStorageBufferBindingSize.

/** A range of float32 values in a GPUBuffer: `length` floats at byte `offset`. */
export interface PlanTensor {
  readonly buffer: object;
  readonly offset: number;
  readonly length: number;
}

/** One dispatch (or, for Lamb's "single", its pair of dispatches). */
export interface Run {
  readonly kind: 'single' | 'flat' | 'table';
  readonly group: number;
  /** indices of the tensors it covers (across groups), in group order */
  readonly tensors: readonly number[];
  /** the bound byte ranges of the parameter and gradient buffers */
  readonly params: { readonly buffer: object; readonly offset: number; readonly size: number };
  readonly grads: { readonly buffer: object; readonly offset: number; readonly size: number };
  /** floats covered (flat and single: the range length; table: the sum of the tensors' lengths) */
  readonly length: number;
  /** workgroups of 256 the update needs */
  readonly workgroups: number;
  /** table: index of its first entry in `table` (entries of ENTRY words) */
  readonly entry: number;
  /** table: word offset in `table` of its per-workgroup index (one entry number per workgroup) */
  readonly index: number;
}

export interface Plan {
  readonly runs: readonly Run[];
  /**
   * ENTRY u32 words per entry of every table run, in run order, the entries
   * region padded to ENTRY * (number of tensors) words; then each table run's
   * per-workgroup index. At most tableWords(lengths) words.
   */
  readonly table: Uint32Array;
}

/** u32 words per table entry: pOff, gOff, s0, s1, s2, n, firstWorkgroup, unused. */
export const ENTRY = 8;

export interface PlanInput {
  /** tensor indices per group, in group order */
  readonly groups: readonly (readonly number[])[];
  readonly params: readonly PlanTensor[];
  readonly grads: readonly PlanTensor[];
  /** per tensor, the float offsets of its state arguments in the state buffer (up to 3) */
  readonly state: readonly (readonly number[])[];
  /** groups whose tensors must each be a dispatch of their own (Lamb) */
  readonly single?: readonly boolean[];
  /** the device's maxStorageBufferBindingSize, in bytes */
  readonly maxBinding: number;
  /** the update's workgroup size */
  readonly workgroup: number;
}

/** The runs of a step's update dispatches and the table they read. */
export function planRuns(input: PlanInput): Plan {
  const { params, grads, state, workgroup: W } = input;
  const runs: Run[] = [];
  const table: number[] = [];
  const indexWords: number[] = [];
  const single = (group: number, t: number): Run => ({
    kind: 'single',
    group,
    tensors: [t],
    params: { buffer: params[t]!.buffer, offset: params[t]!.offset, size: 4 * params[t]!.length },
    grads: { buffer: grads[t]!.buffer, offset: grads[t]!.offset, size: 4 * grads[t]!.length },
    length: params[t]!.length,
    workgroups: Math.ceil(params[t]!.length / W),
    entry: -1,
    index: -1,
  });
  input.groups.forEach((members, group) => {
    if (input.single?.[group]) {
      for (const t of members) runs.push(single(group, t));
      return;
    }
    // partition by (parameter buffer, gradient buffer), in order of first appearance
    const byPair = new Map<object, Map<object, number[]>>();
    const order: number[][] = [];
    for (const t of members) {
      let inner = byPair.get(params[t]!.buffer);
      if (!inner) byPair.set(params[t]!.buffer, (inner = new Map()));
      let list = inner.get(grads[t]!.buffer);
      if (!list) {
        inner.set(grads[t]!.buffer, (list = []));
        order.push(list);
      }
      list.push(t);
    }
    for (const ts of order) {
      if (ts.length === 1) {
        runs.push(single(group, ts[0]!));
        continue;
      }
      const span = (list: readonly PlanTensor[]) => {
        const lo = Math.min(...ts.map((t) => list[t]!.offset));
        const hi = Math.max(...ts.map((t) => list[t]!.offset + 4 * list[t]!.length));
        return { buffer: list[ts[0]!]!.buffer, offset: lo, size: hi - lo };
      };
      const p = span(params);
      const g = span(grads);
      if (p.size > input.maxBinding || g.size > input.maxBinding) {
        for (const t of ts) runs.push(single(group, t));
        continue;
      }
      const length = ts.reduce((a, t) => a + params[t]!.length, 0);
      if (contiguous(ts, params, grads, state)) {
        runs.push({ kind: 'flat', group, tensors: ts, params: p, grads: g, length, workgroups: Math.ceil(length / W), entry: -1, index: -1 });
        continue;
      }
      const entry = table.length / ENTRY;
      const index = ENTRY * params.length + indexWords.length;
      let wg = 0;
      ts.forEach((t, j) => {
        const s = state[t]!;
        const wgs = Math.ceil(params[t]!.length / W);
        table.push((params[t]!.offset - p.offset) / 4, (grads[t]!.offset - g.offset) / 4, s[0] ?? 0, s[1] ?? 0, s[2] ?? 0, params[t]!.length, wg, 0);
        for (let k = 0; k < wgs; k++) indexWords.push(entry + j);
        wg += wgs;
      });
      runs.push({ kind: 'table', group, tensors: ts, params: p, grads: g, length, workgroups: wg, entry, index });
    }
  });
  if (indexWords.length === 0) return { runs, table: Uint32Array.from(table) };
  const out = new Uint32Array(ENTRY * params.length + indexWords.length);
  out.set(table);
  out.set(indexWords, ENTRY * params.length);
  return { runs, table: out };
}

/** The most words a plan's table can take for tensors of these lengths (its GPU buffer's size / 4). */
export function tableWords(lengths: readonly number[], workgroup: number): number {
  return lengths.reduce((a, n) => a + ENTRY + Math.ceil(n / workgroup), 0);
}

/** Whether tensors `ts` (in this order) are back to back in the parameters, the gradients and every state argument. */
export function contiguous(ts: readonly number[], params: readonly PlanTensor[], grads: readonly PlanTensor[], state: readonly (readonly number[])[]): boolean {
  for (let k = 1; k < ts.length; k++) {
    const a = ts[k - 1]!;
    const b = ts[k]!;
    const n = params[a]!.length;
    if (params[b]!.offset !== params[a]!.offset + 4 * n || grads[b]!.offset !== grads[a]!.offset + 4 * n) return false;
    const sa = state[a]!;
    const sb = state[b]!;
    if (sa.length !== sb.length || sa.some((o, j) => sb[j] !== o + n)) return false;
  }
  return true;
}
