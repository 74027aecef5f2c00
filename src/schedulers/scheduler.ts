// The scheduler base classes, as torch.optim.lr_scheduler's LRScheduler: a
// scheduler owns an epoch counter and writes `opt.paramGroups[i].lr` (and, for
// CyclicLR and OneCycleLR, `momentum` or `betas[0]`) through the optimizer's
// validated setters. Every public call is a transaction: if anything throws
// (an option the optimizer refuses, a lambda returning garbage, stepping past
// the end of a OneCycleLR), the optimizer and the scheduler are restored to
// exactly what they were.
import { describe, finiteNumber } from '../validate.js';
import {
  checkStateDictHeader,
  integerAtLeast,
  nonNegativeInteger,
  nullable,
  numberList,
  parseOptions,
  parseStateDict,
  value,
  type Check,
  type OptionSpecs,
} from './check.js';

/** What a scheduler reads and writes of a param group. */
export interface SchedulableGroup {
  lr: number;
  momentum?: number;
  betas?: readonly [number, number];
}

/** Any optimizer with param groups that have an `lr` (every wasm-optim optimizer). */
export interface SchedulableOptimizer {
  readonly paramGroups: readonly SchedulableGroup[];
}

/** Plain, structured-clone-able and JSON-able scheduler state (PyTorch's state_dict, camelCase). */
export interface SchedulerStateDict {
  /** the scheduler class that wrote it */
  kind: string;
  /** format version of this dict */
  version: 1;
  [key: string]: unknown;
}

// PyTorch keeps `initial_lr` in each param group: the first scheduler created
// on an optimizer records the learning rates it found (setdefault), later
// schedulers read them as their base_lrs, OneCycleLR overwrites them, and
// SequentialLR resets the learning rates to them. wasm-optim's param groups
// hold hyperparameters only, so the value lives here, keyed by optimizer.
const initialLrs = new WeakMap<object, number[]>();

/** torch: `group.setdefault('initial_lr', group['lr'])` for every group; returns them. */
export function defaultInitialLrs(opt: SchedulableOptimizer): number[] {
  let lrs = initialLrs.get(opt);
  if (!lrs) {
    lrs = opt.paramGroups.map((g) => g.lr);
    initialLrs.set(opt, lrs);
  }
  return [...lrs];
}

/** torch: `group['initial_lr'] = ...` (OneCycleLR). */
export function setInitialLrs(opt: SchedulableOptimizer, lrs: readonly number[]): void {
  initialLrs.set(opt, [...lrs]);
}

/** Restores what `initialLrsOf` returned (undefined: none recorded), as a checkpoint restores PyTorch's param groups. */
export function restoreInitialLrs(opt: SchedulableOptimizer, lrs: readonly number[] | undefined): void {
  if (lrs) initialLrs.set(opt, [...lrs]);
  else initialLrs.delete(opt);
}

/** The optimizer's recorded `initial_lr` per group, if a scheduler has recorded them. */
export function initialLrsOf(opt: SchedulableOptimizer): number[] | undefined {
  const lrs = initialLrs.get(opt);
  return lrs && [...lrs];
}

/** Where momentum cycling writes: `momentum` (SGD, RMSprop) or `betas[0]` (Adam-like). */
export type MomentumTarget = 'momentum' | 'beta1';

function optimizerName(opt: SchedulableOptimizer): string {
  const kind = (opt as { kind?: unknown }).kind;
  return typeof kind === 'string' ? kind : (opt as object).constructor?.name ?? 'the optimizer';
}

/** As PyTorch 2.x: `betas` when the groups have them, else `momentum`; neither is an error. */
export function momentumTarget(owner: string, opt: SchedulableOptimizer): MomentumTarget {
  const g = opt.paramGroups[0] as SchedulableGroup & Record<string, unknown>;
  if ('betas' in g && Array.isArray(g.betas)) return 'beta1';
  if ('momentum' in g && typeof g.momentum === 'number') return 'momentum';
  throw new TypeError(
    `${owner}: cycleMomentum: true needs an optimizer whose param groups have momentum (SGD, RMSprop) or betas ` +
      `(Adam, AdamW, ...), and ${optimizerName(opt)} has neither; pass cycleMomentum: false`,
  );
}

function checkOptimizer(owner: string, opt: unknown): number {
  if (opt === null || typeof opt !== 'object') {
    throw new TypeError(`${owner}: optimizer must be a wasm-optim optimizer such as new SGD(params, { lr: 0.1 }), got ${describe(opt)}`);
  }
  const groups = (opt as { paramGroups?: unknown }).paramGroups;
  if (!Array.isArray(groups) || groups.length === 0 || !groups.every((g) => g !== null && typeof g === 'object' && typeof g.lr === 'number')) {
    throw new TypeError(
      `${owner}: optimizer must be a wasm-optim optimizer (an object whose paramGroups each have a numeric lr), got ${describe(opt)}`,
    );
  }
  return groups.length;
}

/** A deep copy of plain data (numbers, strings, booleans, null, arrays and objects of them). */
export function clonePlain<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clonePlain) as T;
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = clonePlain(x);
    return out as T;
  }
  return v;
}

interface OptimizerSnapshot {
  groups: { lr: number; momentum?: number; betas?: readonly [number, number] }[];
  initial: number[] | undefined;
}

function captureOptimizer(opt: SchedulableOptimizer): OptimizerSnapshot {
  return {
    groups: opt.paramGroups.map((g) => {
      const s: OptimizerSnapshot['groups'][number] = { lr: g.lr };
      if ('momentum' in g) s.momentum = g.momentum;
      if ('betas' in g) s.betas = g.betas;
      return s;
    }),
    initial: initialLrs.get(opt),
  };
}

function restoreOptimizer(opt: SchedulableOptimizer, snap: OptimizerSnapshot): void {
  let groups: readonly SchedulableGroup[];
  try {
    groups = opt.paramGroups;
  } catch {
    return; // disposed meanwhile: nothing left to restore
  }
  groups.forEach((g, i) => {
    const s = snap.groups[i]!;
    // The old values were accepted before, so these assignments cannot fail.
    if (!Object.is(g.lr, s.lr)) g.lr = s.lr;
    if ('momentum' in s && !Object.is(g.momentum, s.momentum)) g.momentum = s.momentum;
    if ('betas' in s && g.betas !== s.betas) g.betas = s.betas;
  });
  if (snap.initial) initialLrs.set(opt, snap.initial);
  else initialLrs.delete(opt);
}

function refused(owner: string, what: string, v: number, e: unknown, hint = ''): Error {
  const reason = e instanceof Error ? e.message : String(e);
  const msg =
    `${owner}: the schedule sets ${what} to ${describe(v)}, which the optimizer refuses (${reason})${hint}; ` +
    `the optimizer and the scheduler are left as they were`;
  return e instanceof TypeError ? new TypeError(msg) : new RangeError(msg);
}

/** What every scheduler has: its optimizer, its last learning rates, and state dicts. */
export abstract class Scheduler {
  /** The optimizer whose param groups this scheduler writes. */
  readonly optimizer: SchedulableOptimizer;
  /** Name of the scheduler class, e.g. "StepLR". */
  readonly kind: string;
  /** @internal number of param groups (fixed for an optimizer) */
  readonly _groups: number;
  /** a brand that a Proxy or a look-alike does not carry */
  readonly #brand = true;

  /** @internal whether `o` is a genuine scheduler (not a Proxy around one, not an object made from its prototype) */
  static _is(o: object): boolean {
    return #brand in o;
  }

  protected constructor(kind: string, optimizer: SchedulableOptimizer) {
    this._groups = checkOptimizer(kind, optimizer);
    this.kind = kind;
    this.optimizer = optimizer;
  }

  /** The learning rates of the param groups after the last step (PyTorch's get_last_lr()). */
  abstract getLastLr(): number[];

  /** Plain data (JSON- and structured-clone-able); functions such as lrLambda are not included, as in PyTorch. */
  abstract stateDict(): SchedulerStateDict;

  /**
   * Restores what `stateDict()` returned. Everything is checked first; on
   * error nothing changes. Like PyTorch, this does not touch the optimizer:
   * restore its learning rates with `opt.loadStateDict`.
   */
  abstract loadStateDict(sd: SchedulerStateDict): void;

  /** @internal a copy of everything that step() or loadStateDict() may change in this scheduler */
  abstract _snapshot(): unknown;
  /** @internal */
  abstract _restore(snapshot: unknown): void;

  /** Runs `fn`; if it throws, the optimizer's groups and this scheduler are put back as they were. */
  protected transact<T>(fn: () => T): T {
    const opt = captureOptimizer(this.optimizer);
    const own = this._snapshot();
    try {
      return fn();
    } catch (e) {
      this._restore(own);
      restoreOptimizer(this.optimizer, opt);
      throw e;
    }
  }

  /** The learning rates the optimizer's groups hold now. */
  protected currentLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  /** Sets paramGroups[i].lr through the optimizer's validated setter. */
  protected writeLr(i: number, lr: number): void {
    const g = this.optimizer.paramGroups[i]!;
    try {
      g.lr = lr;
    } catch (e) {
      throw refused(this.kind, `paramGroups[${i}].lr`, lr, e);
    }
  }

  /** Sets paramGroups[i].momentum, or betas[0] keeping betas[1]. */
  protected writeMomentum(i: number, target: MomentumTarget, m: number): void {
    const g = this.optimizer.paramGroups[i]!;
    const hint = ' (cycleMomentum: false leaves momentum alone)';
    if (target === 'beta1') {
      const b2 = g.betas![1];
      try {
        g.betas = [m, b2];
      } catch (e) {
        throw refused(this.kind, `paramGroups[${i}].betas[0]`, m, e, hint);
      }
    } else {
      try {
        g.momentum = m;
      } catch (e) {
        throw refused(this.kind, `paramGroups[${i}].momentum`, m, e, hint);
      }
    }
  }
}

/** A scheduler stepped without arguments, which SequentialLR and ChainedScheduler can compose. */
export abstract class ChainableScheduler extends Scheduler {
  /** Advances the schedule by one epoch (or batch, for CyclicLR and OneCycleLR) and writes the new values. */
  step(): void {
    this.transact(() => this._advance());
  }

  /** @internal torch's `step()` without the transaction (the caller holds one) */
  abstract _advance(): void;
}

/** The state every epoch-based scheduler keeps (PyTorch: last_epoch, _step_count, base_lrs, _last_lr). */
export interface LRSchedulerState {
  lastEpoch: number;
  stepCount: number;
  baseLrs: number[];
  lastLr: number[];
}

/**
 * The base of the epoch-based schedulers. A subclass gives its options'
 * specs, `getLr` (PyTorch's chainable form) and, where PyTorch has one,
 * `closedFormLr`; its constructor ends with `this.start()`, which records
 * `initial_lr`, sets lastEpoch = -1 and takes the initial step, as PyTorch.
 */
export abstract class LRScheduler<O extends object = object, S extends object = object> extends ChainableScheduler {
  /** validated options (plain data, replaced as a whole by loadStateDict) */
  protected o: O;
  /** mutable state (plain data) */
  protected st: LRSchedulerState & S;
  readonly #specs: OptionSpecs;

  protected constructor(
    kind: string,
    optimizer: SchedulableOptimizer,
    specs: (groups: number) => OptionSpecs,
    options: unknown,
    example: string,
    extraKeys: readonly string[] = [],
    state: S = {} as S,
  ) {
    super(kind, optimizer);
    this.#specs = specs(this._groups);
    this.o = parseOptions(kind, options, this.#specs, example, extraKeys) as O;
    this.st = { lastEpoch: -1, stepCount: 0, baseLrs: [], lastLr: [], ...state };
  }

  /**
   * PyTorch's constructor tail, in one transaction: `pre` (the subclass's own
   * writes), then initial_lr, base_lrs, last_epoch = -1 and the initial step,
   * then `post`.
   */
  protected start(pre?: () => void, post?: () => void): void {
    this.transact(() => {
      pre?.();
      this.st.baseLrs = defaultInitialLrs(this.optimizer);
      this.st.lastEpoch = -1;
      this._initialStep();
      post?.();
    });
  }

  /** The learning rates for `lastEpoch` in PyTorch's chainable (recursive) form. */
  protected abstract getLr(): number[];

  /** The closed form PyTorch uses when stepped to an explicit epoch (SequentialLR's milestones). */
  protected closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** torch's `step(epoch)`: one step, to the next epoch or to `epoch` (closed form where there is one). */
  protected stepOnce(epoch?: number): void {
    this.st.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.st.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.st.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.applyLrs(values);
  }

  /** Writes the step's learning rates and records them as getLastLr(). */
  protected applyLrs(values: readonly number[]): void {
    values.forEach((v, i) => this.writeLr(i, v));
    this.st.lastLr = this.currentLrs();
  }

  /** @internal torch's `_initial_step()` */
  _initialStep(): void {
    this.st.stepCount = 0;
    this.stepOnce();
  }

  /** @internal */
  _advance(): void {
    this.stepOnce();
  }

  /** @internal torch's `step(0)`, which SequentialLR calls at a milestone */
  _restart(): void {
    this.stepOnce(0);
  }

  /** @internal SequentialLR's "undo" of the initial step */
  _undo(): void {
    this.st.lastEpoch -= 1;
  }

  /** The index of the last epoch stepped to (0 after construction). */
  get lastEpoch(): number {
    return this.st.lastEpoch;
  }

  /** The learning rates the schedule starts from (PyTorch's base_lrs). */
  get baseLrs(): number[] {
    return [...this.st.baseLrs];
  }

  getLastLr(): number[] {
    return [...this.st.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return { kind: this.kind, version: 1, ...clonePlain(this.o), ...clonePlain(this.st) } as SchedulerStateDict;
  }

  /** Checks for the subclass's own state keys (besides lastEpoch, stepCount, baseLrs, lastLr). */
  protected stateChecks(): Record<string, Check> {
    return {};
  }

  /** Constraints between loaded values; returns what is wrong, or undefined. */
  protected checkLoaded(_o: O, _st: LRSchedulerState & S): string | undefined {
    return undefined;
  }

  loadStateDict(sd: SchedulerStateDict): void {
    const owner = `${this.kind}.loadStateDict`;
    const r = checkStateDictHeader(owner, sd, this.kind);
    const n = this._groups;
    const optionChecks: Record<string, Check> = {};
    for (const [k, spec] of Object.entries(this.#specs)) optionChecks[k] = spec.optional ? nullable(spec.check) : spec.check;
    const stateChecks: Record<string, Check> = {
      lastEpoch: value(integerAtLeast(-1)),
      stepCount: value(nonNegativeInteger),
      baseLrs: numberList(finiteNumber, n),
      lastLr: numberList(finiteNumber, n),
      ...this.stateChecks(),
    };
    const parsed = parseStateDict(owner, r, { ...optionChecks, ...stateChecks });
    const o = {} as Record<string, unknown>;
    const st = {} as Record<string, unknown>;
    for (const k of Object.keys(optionChecks)) o[k] = parsed[k];
    for (const k of Object.keys(stateChecks)) st[k] = parsed[k];
    const problem = this.checkLoaded(o as O, st as LRSchedulerState & S);
    if (problem) throw new RangeError(`${owner}: ${problem}`);
    this.o = o as O;
    this.st = st as LRSchedulerState & S;
  }

  /** @internal */
  _snapshot(): unknown {
    return { o: this.o, st: clonePlain(this.st) };
  }

  /** @internal */
  _restore(s: unknown): void {
    const snap = s as { o: O; st: LRSchedulerState & S };
    this.o = snap.o;
    this.st = snap.st;
  }
}

/** Calls a user function (lrLambda, scaleFn) and checks that it returned a finite number. */
export function callFactor(owner: string, name: string, fn: (x: number) => unknown, x: number, where = ''): number {
  const r = fn(x);
  const msg = () => `${owner}: ${name}(${x})${where} returned ${describe(r)}; expected a finite number`;
  if (typeof r !== 'number') throw new TypeError(msg());
  if (!Number.isFinite(r)) throw new RangeError(msg());
  return r;
}
