// The step pipeline: copy the gradients in, check them (finiteness, or the
// clip norm, in one read-only pass), run each group's method, copy the
// parameters back out. Nothing here allocates on the common path.
import { clipCoefficient, totalNorm } from './clip.js';
import { PoolError } from './threads/pool.js';
import { checkInStep, splitSize, stepGuard } from './threads/split.js';
import type { StepGuard } from './threads/guard.js';
import { FLT_MIN, initialScalars, type Layout } from './layout.js';
import type { MethodSpec, Scalars } from './method.js';
import type { ResolvedStepOptions } from './options.js';
import { checkFloat32Array, describe, isDetached } from './validate.js';
import { bufferOf, copyFloat32, enterReading, leaveReading, ourError, readError, lengthOf, setInto, typedArrayTag } from './input.js';

/** Thrown by `step` when a gradient holds NaN or +-Infinity; nothing was changed. */
export class NonFiniteGradientError extends RangeError {
  override name = 'NonFiniteGradientError';
  constructor(
    message: string,
    /** index of the gradient across all groups */
    readonly param: number,
    /** element index inside it */
    readonly index: number,
  ) {
    super(message);
  }
}

/**
 * Subnormal state is flushed on every FLUSH_EVERY-th step only: a value that
 * decays into the subnormal range costs at most FLUSH_EVERY - 1 slow steps,
 * and the other steps run kernels with the flush compiled out (Adam: about
 * 10% faster in cache). Where flushing is allowed it cannot change a result,
 * so when it happens does not matter either.
 */
const FLUSH_EVERY = 16;

/** What one optimizer's steps work on. */
export interface StepTarget<O extends object, S extends Scalars> {
  spec: MethodSpec<O, S>;
  layout: Layout<O, S>;
  options: ResolvedStepOptions;
  /** the caller's arrays, synced after each `step(grads)` */
  callerParams: readonly Float32Array[];
  /** the joint gradient norm of the last applied step (with maxGradNorm) */
  lastGradNorm: number | undefined;
  /** `${name}.step`, for messages */
  owner: string;
  /** one entry per gradient: where step(grads) reads its argument into (reused, so a step allocates nothing) */
  scratch: unknown[];
}

/** One step (see Optimizer.step); false when skipped for a non-finite gradient. */
export function applyStep<O extends object, S extends Scalars>(target: StepTarget<O, S>, grads: readonly Float32Array[] | undefined): boolean {
  const { spec, layout, options, owner } = target;
  const n = layout.grads.length;
  for (const group of layout.groups) {
    if (group.step >= Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`${owner}: the step count is ${group.step}, the largest a state dict can hold; nothing was changed`);
    }
  }
  if (grads !== undefined) copyGradients(owner, target, grads);
  const k = layout.arena.kernels;
  const [addr, len] = layout.gradRegion;
  let scale = 1;
  let norm: number | undefined;
  try {
    if (options.maxGradNorm !== undefined) {
      // one read-only pass: the norm, which is finite exactly when every gradient is
      norm = totalNorm((f) => f(k, addr, len), options.gradNormType);
      if (!Number.isFinite(norm) && (options.checkFinite || options.skipNonFinite)) {
        if (options.skipNonFinite) return false;
        throw nonFiniteError(spec.name, layout.grads);
      }
      scale = clipCoefficient(options.maxGradNorm, norm);
    } else if (options.checkFinite || options.skipNonFinite) {
      if (!k.allFinite(addr, len)) {
        if (options.skipNonFinite) return false;
        throw nonFiniteError(spec.name, layout.grads);
      }
    }
  } catch (e) {
    // the thread pool failed in this read-only pass: nothing was written
    if (e instanceof PoolError) throw new Error(`${e.message}. The step was not applied; nothing was changed`, { cause: e });
    throw e;
  }
  // Nothing to guard where nothing of this step can run on a worker: every group's elementwise
  // calls are below the split size, and the method has no working memory (Muon's products, split
  // by rows; the 8-bit scratch: kept conservative).
  const from = splitSize(k);
  const guard = stepGuard(k);
  const pooled = guard !== undefined && !(from !== undefined && spec.scratchFloats === undefined && layout.groups.every((g) => g.addr.n < from));
  if (!pooled) {
    runGroups(spec, layout, scale);
  } else {
    runGuarded(target, guard, scale);
  }
  if (grads !== undefined) {
    for (let i = 0; i < n; i++) setInto(target.callerParams[i]!, layout.params[i]!);
  }
  target.lastGradNorm = norm;
  return true;
}

let snapshots = 0;
/** Counter for tests: steps that copied parameters and state to the undo snapshot. */
export function snapshotCount(): number {
  return snapshots;
}

/**
 * A step on the pool, all or nothing. Every writing pool call runs behind the
 * barrier (src/threads/pool.ts runSplit): a worker fails only before it checks
 * in, and then nobody wrote; once the workers have checked in for one writing
 * call of the step, they can fail in its later calls only through a bug
 * (src/threads/guard.ts). So the step needs no copy when its workers check in
 * before its first write: at its first writing pool call, or, where the first
 * write happens on this thread (Muon's momentum, a small group first), at a
 * check-in pseudo-call sent before the step. The guard runs a pool call that
 * comes after a write with no check-in on this thread (the same bits) and
 * counts them; an optimizer whose steps had such calls sends the check-in
 * before its next steps (a wake-up, not a copy). undoOnFailure 'snapshot'
 * copies parameters and state before every step instead, which also undoes a
 * bug after the first write. On a failure the step counts, running scalars
 * and started buffers are put back as well.
 */
function runGuarded<O extends object, S extends Scalars>(target: StepTarget<O, S>, guard: StepGuard, scale: number): void {
  const { spec, layout, options } = target;
  const k = layout.arena.kernels;
  const undo = options.undoOnFailure;
  const shadow = layout.shadow;
  const snapshot = shadow !== undefined && undo === 'snapshot';
  if (snapshot) {
    try {
      k.muonCopy(shadow.at, shadow.params, shadow.paramFloats);
      k.muonCopy(shadow.at + 4 * shadow.paramFloats, shadow.state, shadow.stateFloats);
    } catch (e) {
      throw new Error(`${(e as Error)?.message ?? String(e)}. The step was not applied; nothing was changed`, { cause: e });
    }
    snapshots++;
  }
  const saved = layout.groups.map((g) => ({ step: g.step, scalars: g.scalars, values: g.scalars && { ...g.scalars }, started: [...g.started] }));
  const restoreGroups = (): void => {
    layout.groups.forEach((g, i) => {
      const s = saved[i]!;
      g.step = s.step;
      g.scalars = s.scalars;
      if (s.scalars && s.values) Object.assign(s.scalars, s.values);
      g.started.clear();
      for (const b of s.started) g.started.add(b);
    });
  };
  const [p0, p1, s0, s1] = layout.written;
  guard.begin(p0, p1, s0, s1, snapshot || undo === false);
  try {
    if (undo === true && layout.checkInSteps) checkInStep(k);
    runGroups(spec, layout, scale);
  } catch (e) {
    // without a snapshot: clean when the failed call wrote nothing and came before the step's first write
    const clean = snapshot || (e instanceof PoolError && !e.written && !guard.dirty);
    if (snapshot) {
      const h = layout.heap;
      h.copyWithin(shadow.params / 4, shadow.at / 4, shadow.at / 4 + shadow.paramFloats);
      h.copyWithin(shadow.state / 4, shadow.at / 4 + shadow.paramFloats, shadow.at / 4 + shadow.paramFloats + shadow.stateFloats);
    }
    if (clean) restoreGroups();
    if (!(e instanceof PoolError) && !snapshot) throw e;
    if (clean) {
      throw new Error(
        `${(e as Error)?.message ?? String(e)}. The step was not applied: parameters and optimizer state ` +
          `are as they were before it, and the optimizer can step again`,
        { cause: e },
      );
    }
    throw new Error(
      `${(e as Error).message}. The step was not completed and the step count was not advanced, but parameters and ` +
        `optimizer state may be partly updated (${undo === false ? 'undoOnFailure: false' : "a bug after the step began writing; undoOnFailure: 'snapshot' undoes even that"}): ` +
        `restore them from a checkpoint`,
      { cause: e },
    );
  } finally {
    guard.end();
    // learn: a step with pool calls after a write with no check-in needs the check-in first (its calls do not change from step to step)
    if (undo === true && guard.late > 0) layout.checkInSteps = true;
  }
}

/** Runs every group's method once (the step proper), advancing the step counts. */
function runGroups<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, layout: Layout<O, S>, scale: number): void {
  const k = layout.arena.kernels;
  for (const group of layout.groups) {
    const t = group.step + 1;
    const tiny = t % FLUSH_EVERY === 0 && spec.flushes?.(group.options) !== false ? FLT_MIN : 0;
    if (tiny !== layout.tiny) {
      k.setFlushThreshold(tiny);
      layout.tiny = tiny;
    }
    if (t === 1 || group.scalars === undefined) group.scalars = initialScalars(spec, group.options);
    const ctx = group.ctx;
    ctx.t = t;
    ctx.started = group.started;
    ctx.gradScale = scale;
    ctx.scalars = group.scalars;
    spec.run(k, group.addr, group.options, ctx);
    // Padding lanes hold p = g = 0 and state 0 (or its finite initial value), which every
    // kernel maps to 0 or a finite value, except a division by an eps-sized term where
    // eps is tiny (0/0): exactly the options under which the method keeps subnormals.
    const pads = group.pads;
    if (pads.length !== 0 && spec.flushes?.(group.options) === false) {
      for (let i = 0; i < pads.length; i += 2) layout.heap.fill(0, pads[i]!, pads[i]! + pads[i + 1]!);
    }
    group.step = t;
    if (group.started.size < group.allocated.length) {
      for (const b of spec.uses?.(group.options) ?? spec.buffers(group.options)) group.started.add(b);
    }
  }
}

/**
 * Reads `grads` once into the target's scratch list (the only phase in which
 * user code, a getter or a Proxy trap, can run), checks every gradient and
 * the caller's parameter arrays through the typed-array intrinsics, then
 * copies the gradients into their slots. Nothing is written before every check
 * has passed; nothing here allocates on the common path.
 */
function copyGradients<O extends object, S extends Scalars>(owner: string, target: StepTarget<O, S>, gradsIn: readonly Float32Array[]): void {
  const { layout, callerParams, scratch } = target;
  const slots = layout.grads;
  const lengths = layout.lengths;
  const n = slots.length;
  // 1. Read: the list's length and each element exactly once (user code, a getter or a trap, runs only here).
  enterReading(owner);
  try {
    let isList: boolean;
    try {
      isList = Array.isArray(gradsIn);
    } catch {
      isList = false; // a revoked Proxy
    }
    if (!isList) {
      throw ourError(new TypeError(`${owner}: grads must be an array of ${n} Float32Array(s), one per parameter, got ${describe(gradsIn)}`));
    }
    const got = gradsIn.length;
    if (got !== n) {
      throw ourError(new RangeError(`${owner}: expected ${n} gradient(s), one per parameter in order across groups, got ${describe(got)}`));
    }
    for (let i = 0; i < n; i++) scratch[i] = gradsIn[i];
  } catch (e) {
    scratch.fill(undefined);
    throw readError(owner, 'grads', e);
  } finally {
    leaveReading();
  }
  try {
    // 2. Check, through the internal slots only (a genuine Float32Array of the
    // right non-zero length cannot be detached: a detached view has length 0).
    for (let i = 0; i < n; i++) {
      const g = scratch[i];
      const len = lengths[i]!;
      if (!(typedArrayTag(g) === 'Float32Array' && lengthOf(g as Float32Array) === len && len > 0)) {
        // the slow path (its message may describe a Proxy, whose traps are user code): a reading phase too
        enterReading(owner);
        try {
          checkFloat32Array(owner, `grads[${i}]`, g, len);
        } finally {
          leaveReading();
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const t = callerParams[i]!;
      const len = lengths[i]!;
      if (lengthOf(t) !== len || (len === 0 && isDetached(t))) {
        throw new TypeError(
          `${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized, so ` +
            `the updated values cannot be written back; read opt.params[${i}] and use step() without arguments`,
        );
      }
    }
    // 3. Copy. A gradient that is a view of this optimizer's own memory
    // (another slot, say) could be overwritten by an earlier copy: take those
    // out first (rare: checked without allocating).
    const buffer = layout.arena.buffer;
    let aliased = false;
    for (let i = 0; i < n; i++) {
      if (bufferOf(scratch[i] as Float32Array) === buffer && scratch[i] !== slots[i]) aliased = true;
    }
    if (aliased) {
      for (let i = 0; i < n; i++) {
        const g = scratch[i] as Float32Array;
        if (bufferOf(g) === buffer && g !== slots[i]) scratch[i] = copyFloat32(g) as Float32Array;
      }
    }
    for (let i = 0; i < n; i++) {
      const g = scratch[i];
      const slot = slots[i]!;
      if (g !== slot) setInto(slot, g as Float32Array);
    }
  } finally {
    scratch.fill(undefined);
  }
}

function nonFiniteError(owner: string, grads: readonly Float32Array[]): NonFiniteGradientError {
  for (let i = 0; i < grads.length; i++) {
    const g = grads[i]!;
    const len = lengthOf(g);
    for (let j = 0; j < len; j++) {
      if (!Number.isFinite(g[j]!)) {
        return new NonFiniteGradientError(
          `${owner}: grads[${i}][${j}] is ${g[j]}; the step was not applied and parameters and state are ` +
            `unchanged (options: skipNonFinite: true skips such steps, checkFinite: false lets them through as PyTorch does)`,
          i,
          j,
        );
      }
    }
  }
  return new NonFiniteGradientError(`${owner}: a gradient is not finite; the step was not applied`, -1, -1);
}
