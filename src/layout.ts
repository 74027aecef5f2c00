// Memory layout of an optimizer in its WebAssembly memory: every group's
// parameters, then every group's gradients (one contiguous region, checked in
// one pass), then each group's state buffers. Every tensor starts on a
// 16-byte boundary, so SIMD loads are aligned. Also the per-group record the
// rest of the optimizer works on.
import { Arena } from './arena.js';
import type { BufferSlot, GroupAddresses, GroupProgress, MethodSpec, Scalars, TensorSlot } from './method.js';
import type { GroupInput } from './options.js';
import { lengthOf, setInto } from './input.js';

export const FLOAT = 4;
/** Smallest positive normal float32, the kernels' flush threshold. */
export const FLT_MIN = 2 ** -126;
/** Every tensor starts on a 16-byte boundary, so SIMD loads are aligned. */
export const pad4 = (n: number) => (n + 3) & ~3;

/** The `run` context of a group, reused at every step (the hot path allocates nothing). */
export type MutableProgress<S extends Scalars> = { -readonly [K in keyof GroupProgress<S>]: GroupProgress<S>[K] };

/** One param group as the optimizer keeps it. */
export interface Group<O, S extends Scalars> {
  options: O;
  /** global indices of this group's parameters */
  indices: number[];
  addr: GroupAddresses;
  /** the group's tensors (offset and length within each of its buffers) */
  tensors: readonly TensorSlot[];
  /** buffers allocated for this group */
  allocated: readonly string[];
  /** floats of the group's scratch region (MethodSpec.scratchFloats, fixed at construction) */
  scratchFloats: number;
  /** the threads its scratch was sized for */
  scratchThreads: number;
  step: number;
  started: Set<string>;
  /** running scalars (MethodSpec.scalarNames); undefined before the group's first step */
  scalars: S | undefined;
  /** what `run` is passed, updated in place at every step */
  ctx: MutableProgress<S>;
  /**
   * The padding lanes of the group's parameter and state buffers (past each
   * tensor's end, up to the next multiple of 4): pairs [float index in memory,
   * count]. Where a step could leave NaN there (0/0 where eps = 0: the options
   * for which MethodSpec.flushes answers false), the step zeroes them after
   * `run`, so no lane past a tensor's end ever holds NaN or garbage that a
   * pass over a whole buffer could read.
   */
  pads: Int32Array;
}

/** An optimizer's memory and everything laid out in it. */
export interface Layout<O, S extends Scalars> {
  arena: Arena;
  groups: Group<O, S>[];
  /** views of the parameters in memory, in order across groups */
  params: readonly Float32Array[];
  /** views of the gradient slots */
  grads: readonly Float32Array[];
  /** the length of every parameter (the library never trusts its views' own properties) */
  lengths: readonly number[];
  /** every parameter's shape as given (`{ data, shape }`), undefined for a plain Float32Array */
  shapes: readonly (readonly number[] | undefined)[];
  /** the views of each group's parameters */
  groupParams: readonly (readonly Float32Array[])[];
  /** [address, length] of every gradient, for the finiteness check */
  gradRegion: [number, number];
  /** the flush threshold last set in this layout's kernel instance */
  tiny: number;
  /** the whole memory as floats (it never grows, so this view stays valid until dispose) */
  heap: Float32Array;
  /**
   * On the worker pool: where a step snapshots the parameters and the state
   * before running (byte addresses and float counts), so that a failed step
   * can be undone (src/step.ts). undefined on one thread.
   */
  shadow: { params: number; paramFloats: number; state: number; stateFloats: number; at: number } | undefined;
  /** byte ranges [p0, p1, s0, s1) of the parameters and the state (what a step's guard protects: src/threads/guard.ts) */
  written: readonly [number, number, number, number];
  /**
   * undoOnFailure true on the pool: whether this optimizer's steps call the pool after a write on
   * the calling thread (learned from its first such step), so that a step checks its workers in first (src/step.ts)
   */
  checkInSteps: boolean;
}

const NO_SCALARS = Object.freeze({}) as Scalars;

/**
 * Allocates the memory for `groups`, copies the parameters in and fills the
 * state buffers with their initial values. `base` is the constructor-level
 * options (MethodSpec.initial); `owner` the object that owns the arena.
 */
export function layOut<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, groups: GroupInput<O>[], base: O, owner: object, threads = 1, undo: boolean | 'snapshot' = true): Layout<O, S> {
  const specs = groups.map((g) => {
    const lengths = g.tensors.map(lengthOf);
    const allocated = spec.buffers(g.options);
    const shapes = lengths.map((n, ti) => g.shapes[ti] ?? [n]);
    // per buffer, per tensor: its floats (null: none), then offsets packed in the buffer, each padded to 4
    const slots: Record<string, BufferSlot>[] = lengths.map(() => ({}));
    const sizes: Record<string, number> = {};
    for (const b of allocated) {
      let off = 0;
      lengths.forEach((n, ti) => {
        const len = spec.bufferLength ? spec.bufferLength(b, shapes[ti]!, g.options) : n;
        if (len === null) return;
        slots[ti]![b] = Object.freeze({ offset: FLOAT * off, length: len });
        off += pad4(len);
      });
      sizes[b] = off;
    }
    return { ...g, lengths, allocated, slots, sizes };
  });
  const sizes = specs.map((s) => s.lengths.reduce((acc, n) => acc + pad4(n), 0));
  const totalFloats = sizes.reduce((a, b) => a + b, 0);
  const stateFloats = specs.reduce((acc, s) => acc + s.allocated.reduce((a, b) => a + s.sizes[b]!, 0), 0);
  // per-group working memory (MethodSpec.scratchFloats), after every state buffer
  const scratch = specs.map((s) => pad4(spec.scratchFloats?.(s.lengths.map((n, i) => s.shapes[i] ?? [n]), s.options, threads) ?? 0));
  const scratchFloats = scratch.reduce((a, b) => a + b, 0);
  // the method's constants (MethodSpec.constants) lie between the 64 reserved bytes and the parameters
  const constants = spec.constants?.();
  const base0 = 64 + FLOAT * pad4(Math.ceil((constants?.length ?? 0) / FLOAT));
  // on the pool with undoOnFailure 'snapshot': a copy of the parameters and state, after the scratch (a failed step is undone from it)
  const shadowFloats = undo === 'snapshot' && Arena.pooled(threads) ? totalFloats + stateFloats : 0;
  const bytes = base0 + FLOAT * (2 * totalFloats + stateFloats + scratchFloats + shadowFloats);
  const arena = Arena.acquire(spec.name, bytes, owner, true, threads, spec.splitFrom);
  arena.kernels.setFlushThreshold(FLT_MIN); // a pooled instance may carry another's setting
  const buffer = arena.buffer;
  if (constants) new Uint8Array(buffer, 64, constants.length).set(constants);

  const gradBase = base0 + FLOAT * totalFloats;
  let pOff = base0;
  let sOff = base0 + FLOAT * 2 * totalFloats;
  let wOff = base0 + FLOAT * (2 * totalFloats + stateFloats);
  const params: Float32Array[] = [];
  const grads: Float32Array[] = [];
  const lengths: number[] = [];
  const shapes: (readonly number[] | undefined)[] = [];
  const groupParams: (readonly Float32Array[])[] = [];
  const out: Group<O, S>[] = [];
  let gIndex = 0;
  specs.forEach((s, gi) => {
    const n = sizes[gi]!;
    const state: Record<string, number> = {};
    for (const b of s.allocated) {
      state[b] = sOff;
      const init = spec.initial?.(b, s.options, base) ?? 0;
      if (init !== 0) new Float32Array(buffer, sOff, s.sizes[b]!).fill(init);
      sOff += FLOAT * s.sizes[b]!;
    }
    const addr: GroupAddresses = { p: pOff, g: pOff + (gradBase - base0), state, n, sizes: s.sizes, scratch: scratch[gi]! ? wOff : 0, constants: constants ? 64 : 0 };
    wOff += FLOAT * scratch[gi]!;
    const indices: number[] = [];
    const tensors: TensorSlot[] = [];
    const views: Float32Array[] = [];
    let off = 0;
    s.tensors.forEach((t, ti) => {
      const len = s.lengths[ti]!;
      // The views are not extensible: no own property (a shadowed length, set, ...) can be added to them.
      const pv = Object.preventExtensions(new Float32Array(buffer, addr.p + FLOAT * off, len));
      setInto(pv, t);
      views.push(pv);
      params.push(pv);
      grads.push(Object.preventExtensions(new Float32Array(buffer, addr.g + FLOAT * off, len)));
      lengths.push(len);
      const given = s.shapes[ti];
      shapes.push(given);
      tensors.push(Object.freeze({ offset: FLOAT * off, length: len, shape: given ?? Object.freeze([len]), state: Object.freeze(s.slots[ti]!) }));
      indices.push(gIndex++);
      off += pad4(len);
    });
    pOff += FLOAT * n;
    const pads: number[] = [];
    for (const t of tensors) {
      const pad = pad4(t.length) - t.length;
      if (pad !== 0) pads.push((addr.p + t.offset) / FLOAT + t.length, pad);
      for (const [b, at] of Object.entries(state)) {
        const slot = t.state[b];
        const sp = slot ? pad4(slot.length) - slot.length : 0;
        if (slot && sp !== 0) pads.push((at + slot.offset) / FLOAT + slot.length, sp);
      }
    }
    groupParams.push(Object.freeze(views));
    const started = new Set(spec.eager ? s.allocated : []);
    const frozenTensors = Object.freeze(tensors);
    out.push({
      options: s.options,
      indices,
      addr,
      tensors: frozenTensors,
      allocated: s.allocated,
      scratchFloats: scratch[gi]!,
      scratchThreads: threads,
      step: 0,
      started,
      scalars: undefined,
      ctx: { t: 0, started, gradScale: 1, group: gi, tensors: frozenTensors, scalars: NO_SCALARS as S },
      pads: Int32Array.from(pads),
    });
  });
  return {
    arena,
    groups: out,
    params: Object.freeze(params),
    grads: Object.freeze(grads),
    lengths: Object.freeze(lengths),
    shapes: Object.freeze(shapes),
    groupParams: Object.freeze(groupParams),
    gradRegion: [gradBase, totalFloats],
    tiny: FLT_MIN,
    heap: new Float32Array(buffer),
    shadow:
      shadowFloats !== 0 && arena.threads > 1
        ? { params: base0, paramFloats: totalFloats, state: base0 + FLOAT * 2 * totalFloats, stateFloats, at: base0 + FLOAT * (2 * totalFloats + stateFloats + scratchFloats) }
        : undefined,
    written: Object.freeze([base0, base0 + FLOAT * totalFloats, base0 + FLOAT * 2 * totalFloats, base0 + FLOAT * (2 * totalFloats + stateFloats)] as const),
    checkInSteps: false,
  };
}

/** The scalars a group starts its first step with (a shared empty object for a method without any). */
export function initialScalars<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, o: O): S {
  return spec.initScalars ? { ...spec.initScalars(o) } : (NO_SCALARS as S);
}
