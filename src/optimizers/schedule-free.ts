// What Schedule-Free AdamW and SGD share (facebookresearch/schedule_free):
// the averaging weights of a step, the running scalars, and the train/eval
// modes. The parameters hold y (where gradients are taken) in train mode and
// x (the average, to evaluate) in eval mode; opt.train()/opt.eval() move them with one
// fused pass per group (assembly/schedulefree.ts, scheduleFreeInterp).
import { Optimizer, type MethodSpec, type Param, type ParamGroupInput, type StepOptions } from '../optimizer.js';
import { checkNotBusy, checkNotReading, lengthOf, setInto } from '../input.js';
import type { Rule } from '../validate.js';
import type { StateDict } from '../state-dict.js';
import type { Scheduler } from '../schedulers/scheduler.js';

/** The hyperparameters both schedule-free methods have. */
export interface ScheduleFreeCommon {
  lr: number;
  weightDecay: number;
  /** steps of linear learning-rate warmup, lr*(k+1)/warmupSteps for k < warmupSteps */
  warmupSteps: number;
  /** polynomial weighting of the average, weight (k+1)^r */
  r: number;
  /** the average weighs each step by lrMax^weightLrPower */
  weightLrPower: number;
}

/**
 * The running scalars of a group (upstream keeps them in the param group):
 * the sum of the averaging weights, the largest scheduled lr so far, and the
 * mode, 1 in train mode and 0 in eval mode. Upstream's `k` is the step count.
 */
export interface ScheduleFreeScalars extends Record<string, number> {
  weightSum: number;
  lrMax: number;
  trainMode: number;
}

export const scheduleFreeScalarNames = ['weightSum', 'lrMax', 'trainMode'] as const;

/** A group's scalars before its first step (in train mode: a step runs only there). */
export const initScheduleFreeScalars = (): ScheduleFreeScalars => ({ weightSum: 0, lrMax: -1, trainMode: 1 });

/** A state dict's trainMode must be 0 or 1. */
export function checkScheduleFreeScalars(s: Readonly<ScheduleFreeScalars>): string | undefined {
  if (s.trainMode !== 0 && s.trainMode !== 1) return `trainMode must be 1 (train mode) or 0 (eval mode), got ${s.trainMode}`;
  if (s.weightSum < 0) return `weightSum must be >= 0, got ${s.weightSum}`;
  return undefined;
}

/** warmupSteps: a whole number >= 0. */
export const wholeNumber: Rule = {
  expected: 'a whole number >= 0',
  type: 'number',
  test: (v: number) => Number.isSafeInteger(v) && v >= 0,
};

/** An averaging rate in (0, 1): opt.eval() divides by it. */
export const openUnit: Rule = {
  expected: 'a number in (0, 1)',
  type: 'number',
  test: (v: number) => v > 0 && v < 1,
};

/**
 * The coefficients of step t (1-based; upstream's k = t - 1), updating the
 * scalars in place:
 *
 *     lr     = lr * min(1, t/warmupSteps)
 *     lrMax  = max(lrMax, lr)
 *     weight = t^r * lrMax^weightLrPower
 *     weightSum += weight,   ckp1 = weight/weightSum (0 when weightSum = 0)
 */
export function scheduleFreeStep(o: Readonly<ScheduleFreeCommon>, t: number, s: ScheduleFreeScalars): { lr: number; ckp1: number } {
  const k = t - 1;
  const sched = k < o.warmupSteps ? (k + 1) / o.warmupSteps : 1;
  const lr = o.lr * sched;
  const lrMax = (s.lrMax = Math.max(lr, s.lrMax));
  const weight = (k + 1) ** o.r * lrMax ** o.weightLrPower;
  const weightSum = (s.weightSum = s.weightSum + weight);
  const ckp1 = weightSum === 0 ? 0 : weight / weightSum;
  return { lr, ckp1 };
}

/**
 * A schedule-free optimizer: `train()` and `opt.eval()` besides Optimizer's
 * methods. Mode rules, and where they differ from upstream
 * (facebookresearch/schedule_free@70785b53, adamw_schedulefree.py and
 * sgd_schedulefree.py; see the README):
 * - every optimizer starts in train mode (upstream: in eval mode, and step
 *   raises until train()); `train()` in train mode does nothing, as upstream,
 *   so upstream's loops (train() at the start of every epoch) run unchanged;
 * - `eval()` when every group is already in eval mode throws and changes
 *   nothing (upstream: does nothing);
 * - `step` in eval mode throws and changes nothing (as upstream, which checks
 *   only param_groups[0]; here every group).
 */
export abstract class ScheduleFreeOptimizer<O extends ScheduleFreeCommon> extends Optimizer<O, ScheduleFreeScalars> {
  /** each group's mode where it has no scalars yet (before its first step, or after loading a state dict without state) */
  readonly #modes: boolean[];
  readonly #name: string;

  protected constructor(spec: MethodSpec<O, ScheduleFreeScalars>, params: Param[] | ParamGroupInput<O>[], options?: Partial<O> & StepOptions) {
    super(spec, params, options);
    this.#name = spec.name;
    this.#modes = this.internals('the constructor').groups.map(() => true);
  }

  /** The averaging rate b1 that moves parameters between y and x (AdamW's betas[0], SGD's momentum). */
  protected abstract beta1(o: Readonly<O>): number;

  #mode(gi: number): boolean {
    const g = this.internals('trainMode').groups[gi]!;
    return g.scalars ? g.scalars.trainMode === 1 : this.#modes[gi]!;
  }

  /** true in train mode (the parameters hold y), false in eval mode (they hold x). */
  get trainMode(): boolean {
    const n = this.internals('trainMode').groups.length;
    for (let gi = 0; gi < n; gi++) if (!this.#mode(gi)) return false;
    return true;
  }

  /**
   * Train mode: the parameters become y = lerp(x, z, 1 - b1), where steps are
   * taken. Does nothing in train mode (as upstream; the optimizer starts there).
   */
  train(): void {
    this.#switch('train', true);
  }

  /**
   * Eval mode: the parameters become x = lerp(y, z, 1 - 1/b1), the average,
   * to evaluate or save; `step` throws until `train()`. When every group is
   * already in eval mode it throws and changes nothing (upstream does
   * nothing): a second eval() is a missing train() in the caller's loop.
   */
  eval(): void {
    this.#switch('eval', false);
  }

  #switch(what: string, train: boolean): void {
    const owner = `${this.#name}.${what}`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    const { kernels: k, groups, params, lengths, callerParams } = this.internals(`${what}()`);
    if (!train && groups.every((_, gi) => !this.#mode(gi))) {
      throw new Error(
        `${owner}: the optimizer is already in eval mode (its parameters hold the average x); ` +
          `eval() twice is refused (upstream ignores it): call opt.train() before stepping again; nothing was changed`,
      );
    }
    groups.forEach((g, gi) => {
      if (this.#mode(gi) === train) return;
      const b1 = this.beta1(g.options);
      if (g.started.has('z')) {
        k.scheduleFreeInterp(g.addr.p, g.addr.state.z!, g.addr.n, train ? 1 - b1 : 1 - 1 / b1);
        // the caller's arrays follow, as after step(grads) (one detached or resized since is skipped)
        for (const i of g.indices) if (lengthOf(callerParams[i]!) === lengths[i]) setInto(callerParams[i]!, params[i]!);
      }
      if (g.scalars) g.scalars.trainMode = train ? 1 : 0;
      this.#modes[gi] = train;
    });
  }

  /** One step, in train mode only: in eval mode it throws (as upstream) and changes nothing. */
  override step(grads?: readonly Float32Array[]): boolean {
    const n = this.internals('step()').groups.length;
    for (let gi = 0; gi < n; gi++) {
      if (!this.#mode(gi)) {
        throw new Error(
          `${this.#name}.step: paramGroups[${gi}] is in eval mode (its parameters hold the average x); ` +
            `call opt.train() before step(), and opt.eval() before evaluating or saving; nothing was changed`,
        );
      }
    }
    return super.step(grads);
  }

  /** The current modes, kept for groups a load leaves without scalars (a state dict without state keeps the mode). */
  #keepModes(): void {
    const n = this.internals('load()').groups.length;
    for (let gi = 0; gi < n; gi++) this.#modes[gi] = this.#mode(gi);
  }

  /** Also restores each group's mode (saved with its state; see the README on loading in the other mode). */
  override loadStateDict(sd: StateDict<O>): void {
    this.#keepModes();
    super.loadStateDict(sd);
  }

  /** Also restores each group's mode, with the parameters (y or x) saved in that mode. */
  override load(bytes: Uint8Array, options?: { schedulers?: readonly Scheduler[] | false }): void {
    this.#keepModes();
    super.load(bytes, options);
  }

  override importState(bytes: Uint8Array): void {
    this.#keepModes();
    super.importState(bytes);
  }
}
