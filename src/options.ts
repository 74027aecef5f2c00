// Option parsing and validation for every optimizer: the constructor's
// options (hyperparameters, the optimizer-wide step options, PyTorch's
// ignored implementation switches), param groups, and one hyperparameter at a
// time (what paramGroups' setters and loadStateDict use).
import { checkNormType, type NormType } from './clip.js';
import type { MethodSpec, Scalars, TensorSlot } from './method.js';
import { Foreign, lengthOf } from './input.js';
import { checkFloat32Array, checkRule, describe, isFloat32Array, type Rule } from './validate.js';

/** A param group as passed to a constructor: its tensors and any options that differ. */
/**
 * A parameter: a Float32Array, or `{ data, shape }` when its shape matters
 * (Muon's matrices, Adafactor's factored moments). The product of `shape`
 * must equal `data.length`. Elementwise optimizers accept and ignore shapes;
 * state dicts and checkpoints record them.
 */
export type Param = Float32Array | ShapedParam;

/** A parameter with its shape (row-major; the last dimension varies fastest). */
export interface ShapedParam {
  data: Float32Array;
  shape: readonly number[];
}

export type ParamGroupInput<O> = { params: Param[] } & Partial<O>;

/** Options of every optimizer that are not per-group hyperparameters. */
export interface StepOptions {
  /**
   * Check every gradient for NaN and +-Infinity before a step (one read-only
   * SIMD pass). A non-finite gradient then throws a NonFiniteGradientError
   * and nothing changes. Default true. With false, non-finite values flow
   * into parameters and state as in PyTorch.
   */
  checkFinite?: boolean;
  /** Skip a step with a non-finite gradient instead of throwing: `step` returns false. Default false. */
  skipNonFinite?: boolean;
  /**
   * Clip all gradients by their joint norm before the update, as
   * torch.nn.utils.clip_grad_norm_(params, maxGradNorm, gradNormType) would:
   * c = min(1, maxGradNorm / (norm + 1e-6)) multiplies every gradient. The norm
   * pass replaces the finiteness check, and c is folded into the update
   * kernels, so clipping costs no extra pass over memory; the gradient buffers
   * themselves are not rescaled. Default: no clipping.
   */
  maxGradNorm?: number;
  /** The norm for maxGradNorm: 1, 2 (default) or Infinity. */
  gradNormType?: NormType;
  /**
   * Threads this optimizer's steps use (the calling thread included), 1..65.
   * Default: `ready({ threads })`'s setting ('auto': the available cores, at
   * most 8, for optimizers large enough to gain, else 1). With more than one,
   * and where the pool runs (Node, SIMD build, after `ready({ threads })`),
   * the optimizer's memory is a shared WebAssembly.Memory and each
   * elementwise kernel call of at least the split threshold is split into
   * 64-byte-aligned chunks across the pool. Results are bit-identical for
   * every thread count.
   */
  threads?: number;
  /**
   * On the worker pool (threads > 1): how a step that fails in the pool (a
   * worker that throws, dies or is killed) leaves parameters and state.
   * - true (default): as they were before the step, without a copy. Every
   *   writing pool call runs behind a barrier (no thread writes until every
   *   worker has checked in, and a worker can only fail before that); a step
   *   that writes in several pool calls (several large groups, Lamb, Muon)
   *   has its workers check in before its first write (at its first writing
   *   pool call, or at a check-in sent before the step where the first write
   *   is on the calling thread), after which a worker can fail only through
   *   a bug. Only such a bug (never seen) leaves a step partly updated; the
   *   error says so.
   * - 'snapshot': every step on the pool copies first (a copy pass per step:
   *   Adam about 1.9x the step's memory traffic), so that even that bug is undone.
   * - false: no snapshot and no extra memory; a step with several writing
   *   calls that fails may leave them partly updated (restore a checkpoint).
   * No effect on one thread.
   */
  undoOnFailure?: boolean | 'snapshot';
}

/** The step options with their defaults applied. */
export interface ResolvedStepOptions {
  checkFinite: boolean;
  skipNonFinite: boolean;
  maxGradNorm: number | undefined;
  gradNormType: NormType;
  /** undefined: the pool's default at construction */
  threads: number | undefined;
  undoOnFailure: boolean | 'snapshot';
}

/** The `threads` option (every optimizer's, L-BFGS's too): 1..65. */
export const THREADS_RULE: Rule = { expected: 'a whole number from 1 to 65', type: 'number', test: (v: number) => Number.isInteger(v) && v >= 1 && v <= 65 };

const STEP_OPTION_RULES: Record<Exclude<keyof StepOptions, 'gradNormType'>, Rule> = {
  checkFinite: { expected: 'true or false', type: 'boolean', test: () => true },
  skipNonFinite: { expected: 'true or false', type: 'boolean', test: () => true },
  maxGradNorm: { expected: 'a number >= 0 (Infinity measures the norm without clipping)', type: 'number', test: (v: number) => v >= 0 },
  threads: THREADS_RULE,
  undoOnFailure: { expected: "true, false or 'snapshot'", type: 'boolean', test: () => true },
};
const STEP_OPTIONS = [...Object.keys(STEP_OPTION_RULES), 'gradNormType'];
/**
 * PyTorch's implementation switches, accepted (true, false or null) so that
 * option objects written for torch.optim carry over, and ignored: they choose
 * between code paths that compute the same update, and here there is one.
 */
const TORCH_IMPLEMENTATION_FLAGS = ['foreach', 'fused', 'capturable', 'differentiable'];

/** Validates one hyperparameter and returns the value to store (pairs are copied and frozen). */
export function checkOption<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, owner: string, name: string, key: string, value: unknown): unknown {
  const rule = (spec.rules as Record<string, Rule | undefined>)[key];
  if (!rule || !Object.prototype.hasOwnProperty.call(spec.rules, key)) {
    const where = name.split('.')[0];
    if (STEP_OPTIONS.includes(key) && where !== 'options') {
      throw new TypeError(
        `${owner}: ${JSON.stringify(key)} in ${where} is an optimizer-wide option, not a per-group hyperparameter: ` +
          `pass it in the constructor's options (the second argument)`,
      );
    }
    const valid = [...Object.keys(spec.rules), ...(where === 'options' ? STEP_OPTIONS : [])].join(', ');
    throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in ${where} (valid options: ${valid})`);
  }
  checkRule(owner, name, rule, value);
  // -0 is stored as 0: a checkpoint (JSON) could not give the sign back, and what is accepted must round-trip
  if (rule.type === 'pair' || rule.type === 'triple') return Object.freeze((value as (number | null)[]).map((x) => (x === null ? null : x + 0)));
  return typeof value === 'number' ? value + 0 : value;
}

/** What of a group's layout was fixed at construction: its buffers, each tensor's part of them, its scratch. */
export interface FixedLayout {
  readonly allocated: readonly string[];
  readonly tensors: readonly TensorSlot[];
  readonly scratchFloats: number;
  /** the threads the scratch was sized for (MethodSpec.scratchFloats' `threads`) */
  readonly scratchThreads: number;
}

/**
 * Checks the constraints between a group's options and, given the group's
 * layout, that these options fit it: its state buffers exist, and every
 * tensor's part of them (MethodSpec.bufferLength) and the scratch
 * (MethodSpec.scratchFloats) are what the group was created with (the 8-bit
 * methods' blockSize and min8bitSize decide both).
 */
export function checkGroup<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, owner: string, where: string, o: O, group?: FixedLayout): void {
  const problem = spec.check?.(o);
  if (problem) throw new RangeError(`${owner}: invalid options in ${where}: ${problem}`);
  if (!group) return;
  const missing = spec.buffers(o).filter((b) => !group.allocated.includes(b));
  if (missing.length) {
    throw new RangeError(
      `${owner}: invalid options in ${where}: they need the state buffer(s) ${missing.join(', ')}, ` +
        `which this group was not created with (state buffers are allocated once, at construction, so that ` +
        `views never move); create the optimizer with these options instead`,
    );
  }
  const created = `(the state's layout is fixed at construction, so that views never move); create the optimizer with these options instead`;
  if (spec.bufferLength) {
    for (const [ti, t] of group.tensors.entries()) {
      for (const b of group.allocated) {
        const now = t.state[b]?.length ?? null;
        const next = spec.bufferLength(b, t.shape, o);
        if (next !== now) {
          throw new RangeError(
            `${owner}: invalid options in ${where}: they give tensor ${ti} of this group ${next ?? 'no'} float(s) of ${b}, ` +
              `where it was created with ${now ?? 'none'} ${created}`,
          );
        }
      }
    }
  }
  if (spec.scratchFloats) {
    const next = (spec.scratchFloats(group.tensors.map((t) => t.shape), o, group.scratchThreads) + 3) & ~3; // padded to 4, as the layout does
    if (next !== group.scratchFloats) {
      throw new RangeError(
        `${owner}: invalid options in ${where}: a step with them needs ${next} float(s) of scratch, where this group was created with ${group.scratchFloats} ${created}`,
      );
    }
  }
}

/** The constructor's options: the defaults merged with the hyperparameters given, and the step options. */
export function parseOptions<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, options: unknown): { base: O; step: ResolvedStepOptions } {
  const owner = spec.name;
  if (options === null || typeof options !== 'object' || Array.isArray(options) || options instanceof Foreign || isFloat32Array(options)) {
    throw new TypeError(`${owner}: options must be an object such as { lr: 0.01 }, got ${describe(options)}`);
  }
  const base = { ...spec.defaults } as O;
  const stepOpts: StepOptions = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (TORCH_IMPLEMENTATION_FLAGS.includes(key)) {
      if (value !== null && typeof value !== 'boolean') {
        throw new TypeError(`${owner}: invalid options.${key}: expected true, false or null (PyTorch's implementation switch, ignored here), got ${describe(value)}`);
      }
      continue;
    }
    if (key === 'gradNormType') {
      stepOpts.gradNormType = checkNormType(owner, 'options.gradNormType', value);
    } else if (key === 'undoOnFailure' && value === 'snapshot') {
      stepOpts.undoOnFailure = value;
    } else if (Object.prototype.hasOwnProperty.call(STEP_OPTION_RULES, key)) {
      checkRule(owner, `options.${key}`, STEP_OPTION_RULES[key as keyof typeof STEP_OPTION_RULES], value);
      (stepOpts as Record<string, unknown>)[key] = value;
    } else {
      (base as Record<string, unknown>)[key] = checkOption(spec, owner, `options.${key}`, key, value);
    }
  }
  if (stepOpts.gradNormType !== undefined && stepOpts.maxGradNorm === undefined) {
    throw new TypeError(`${owner}: options.gradNormType needs options.maxGradNorm (it chooses the norm to clip by), got gradNormType ${stepOpts.gradNormType} alone`);
  }
  return {
    base,
    step: {
      checkFinite: stepOpts.checkFinite ?? true,
      skipNonFinite: stepOpts.skipNonFinite ?? false,
      maxGradNorm: stepOpts.maxGradNorm,
      gradNormType: stepOpts.gradNormType ?? 2,
      threads: stepOpts.threads,
      undoOnFailure: stepOpts.undoOnFailure ?? true,
    },
  };
}

/** A validated group: its options and tensors (the caller's arrays). */
export interface GroupInput<O> {
  options: O;
  tensors: Float32Array[];
  /** each tensor's shape as given (`{ data, shape }`), or undefined for a plain Float32Array */
  shapes: (readonly number[] | undefined)[];
}

/** Whether `v` is given as a parameter (a Float32Array or `{ data, shape }`) rather than a param group. */
function isParamLike(v: unknown): boolean {
  return isFloat32Array(v) || (v !== null && typeof v === 'object' && !Array.isArray(v) && 'data' in v && !('params' in v));
}

/** The largest rank a shape may have (more than any tensor a model uses, few enough to print). */
const MAX_RANK = 16;

/** Checks a `{ data, shape }` parameter: data a Float32Array, shape whole numbers >= 0 with product data.length. */
function checkShaped(owner: string, name: string, p: unknown): { data: Float32Array; shape: readonly number[] } {
  const { data, shape, ...rest } = p as Record<string, unknown>;
  const extra = Object.keys(rest);
  if (extra.length) throw new TypeError(`${owner}: unknown key ${JSON.stringify(extra[0])} in ${name} (a shaped parameter is { data: Float32Array, shape: number[] })`);
  const t = checkFloat32Array(owner, `${name}.data`, data);
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new TypeError(`${owner}: invalid ${name}.shape: expected an array of at most ${MAX_RANK} whole numbers >= 0, got ${describe(shape)}`);
  }
  const size = shape.reduce((a: number, d: number) => a * d, 1);
  if (size !== lengthOf(t)) {
    throw new RangeError(`${owner}: invalid ${name}.shape: [${shape.join(', ')}] holds ${size} values, but ${name}.data has length ${lengthOf(t)}`);
  }
  return { data: t, shape: Object.freeze([...shape] as number[]) };
}

/** Validates the constructor's `params` (tensors or param groups) against `base`, the constructor-level options. */
export function parseGroups<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, params: unknown, base: O): GroupInput<O>[] {
  const owner = spec.name;
  const groupsIn = normalizeGroups<O>(owner, params);
  const flat = Array.isArray(params) && isParamLike((params as unknown[])[0]);
  const seen = new Set<Float32Array>();
  let index = 0;
  return groupsIn.map((gin, gi) => {
    const o = { ...base };
    for (const [key, value] of Object.entries(gin)) {
      if (key === 'params' || value === undefined) continue;
      (o as Record<string, unknown>)[key] = checkOption(spec, owner, `params[${gi}].${key}`, key, value);
    }
    checkGroup(spec, owner, `params[${gi}]`, o);
    const shapes: (readonly number[] | undefined)[] = [];
    const tensors = (gin.params as unknown[]).map((t0, i) => {
      const name = flat ? `params[${index + i}]` : `params[${gi}].params[${i}]`;
      let t: Float32Array;
      if (!isFloat32Array(t0) && t0 !== null && typeof t0 === 'object' && 'data' in t0) {
        const sp = checkShaped(owner, name, t0);
        t = sp.data;
        shapes.push(sp.shape);
      } else {
        t = checkFloat32Array(owner, name, t0);
        shapes.push(undefined);
      }
      const wrong = spec.checkShape?.(shapes[shapes.length - 1], lengthOf(t), o);
      if (wrong) throw new RangeError(`${owner}: invalid ${name}: ${wrong}`);
      if (seen.has(t)) throw new TypeError(`${owner}: ${name} appears more than once; each parameter may be given only once`);
      seen.add(t);
      return t;
    });
    index += tensors.length;
    return { options: o, tensors, shapes };
  });
}

function normalizeGroups<O>(owner: string, params: unknown): ParamGroupInput<O>[] {
  if (!Array.isArray(params)) {
    throw new TypeError(`${owner}: params must be an array of Float32Arrays (or { data, shape }) or of param groups { params: [...] }, got ${describe(params)}`);
  }
  if (params.length === 0) throw new RangeError(`${owner}: params is an empty list; give at least one parameter`);
  if (params.every(isParamLike)) return [{ params: params as Param[] } as ParamGroupInput<O>];
  return params.map((g, gi) => {
    if (g === null || typeof g !== 'object' || isParamLike(g) || !Array.isArray((g as { params?: unknown }).params)) {
      throw new TypeError(
        `${owner}: params[${gi}] must be a Float32Array or { data, shape } (all of them) or a param group { params: [...], ...options }, got ${describe(g)}`,
      );
    }
    return g as ParamGroupInput<O>;
  });
}
