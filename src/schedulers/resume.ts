// Schedulers in optimizer checkpoints: `opt.save({ schedulers })` stores each
// scheduler's state dict (and the optimizer's recorded initial lrs, which
// PyTorch keeps in its param groups as `initial_lr`); `opt.load(bytes,
// { schedulers })` checks every one of them before the optimizer writes
// anything, and restores them all or none.
import { checkRule, describe, finiteNumber } from '../validate.js';
import { initialLrsOf, restoreInitialLrs, Scheduler, type SchedulableOptimizer, type SchedulerStateDict } from './scheduler.js';

/** The schedule part of a checkpoint. */
export interface SavedSchedule {
  /** one state dict per scheduler, in the order given to save() */
  schedulers: ({ kind: string } & Record<string, unknown>)[];
  /** the optimizer's initial lr per group (PyTorch's `initial_lr`), null if no scheduler recorded them */
  initialLr: number[] | null;
}

/** Whether `o` is a scheduler (what load's and save's options keep by reference). */
export function isScheduler(o: object): boolean {
  return Scheduler._is(o);
}

/** Checks `list` (the value of options.schedulers) is an array of distinct schedulers of `opt` (the optimizer). */
function checkList(owner: string, opt: object, list: unknown): Scheduler[] {
  const name = 'options.schedulers';
  if (!Array.isArray(list)) {
    throw new TypeError(`${owner}: ${name} must be an array of the optimizer's schedulers, e.g. [warmup, decay], got ${describe(list)}`);
  }
  const copy: unknown[] = [...list]; // read once; the copy is checked and used
  copy.forEach((s0, i) => {
    const s = s0 as Scheduler;
    if (!(s0 !== null && typeof s0 === 'object' && Scheduler._is(s0))) throw new TypeError(`${owner}: ${name}[${i}] must be a scheduler such as new StepLR(opt, ...), got ${describe(s)}`);
    if (s.optimizer !== opt) throw new RangeError(`${owner}: ${name}[${i}] (${s.kind}) belongs to another optimizer; give the schedulers of this one`);
    if (copy.indexOf(s) !== i) throw new RangeError(`${owner}: ${name}[${i}] is the same scheduler as ${name}[${copy.indexOf(s)}]; give each scheduler once`);
  });
  return copy as Scheduler[];
}

/** What `save({ schedulers })` stores; undefined for none (the checkpoint is then written as before). */
export function saveSchedule(owner: string, opt: object, list: unknown): SavedSchedule | undefined {
  if (list === undefined) return undefined;
  const schedulers = checkList(owner, opt, list);
  if (schedulers.length === 0) return undefined;
  return { schedulers: schedulers.map((s) => s.stateDict()), initialLr: initialLrsOf(opt as SchedulableOptimizer) ?? null };
}

function kinds(saved: SavedSchedule | undefined): string {
  return saved ? saved.schedulers.map((s) => s.kind).join(', ') : '';
}

/**
 * Checks that `list` (load's options.schedulers: an array, false, or
 * undefined) matches the schedule `saved` in the checkpoint and that every
 * state dict loads; returns the function that restores them (it cannot fail).
 * Nothing is changed here: each scheduler is put back after its trial load.
 */
export function planSchedule(owner: string, opt: object, list: unknown, saved: SavedSchedule | undefined): () => void {
  const count = saved?.schedulers.length ?? 0;
  if (list === false) return () => {};
  if (list === undefined) {
    if (count === 0) return () => {};
    throw new TypeError(
      `${owner}: this checkpoint holds the state of ${count} scheduler(s) (${kinds(saved)}); to resume the schedule, create ` +
        `them as in the saved run and pass them, load(bytes, { schedulers: [...] }), or pass { schedulers: false } to restore ` +
        `the optimizer alone (a scheduler created afterwards starts a new schedule); nothing was changed`,
    );
  }
  if (!Array.isArray(list)) {
    throw new TypeError(
      `${owner}: options.schedulers must be an array of the schedulers to restore (or false to restore the optimizer alone), got ${describe(list)}`,
    );
  }
  const schedulers = checkList(owner, opt, list);
  if (schedulers.length !== count) {
    throw new RangeError(
      `${owner}: options.schedulers has ${schedulers.length} scheduler(s), but the checkpoint holds the state of ${count}` +
        `${count ? ` (${kinds(saved)})` : ' (it was saved without { schedulers })'}; give them in the order they were saved; nothing was changed`,
    );
  }
  if (count === 0) return () => {};
  const states = saved!.schedulers;
  schedulers.forEach((s, i) => {
    if (s.kind !== states[i]!.kind) {
      throw new TypeError(
        `${owner}: options.schedulers[${i}] is a ${s.kind}, but the checkpoint holds the state of a ${describe(states[i]!.kind)} there; nothing was changed`,
      );
    }
  });
  const initialLr = saved!.initialLr;
  if (initialLr !== null) {
    const groups = (opt as SchedulableOptimizer).paramGroups.length;
    if (!Array.isArray(initialLr) || initialLr.length !== groups) {
      throw new RangeError(`${owner}: schedule.initialLr in the checkpoint must hold ${groups} number(s), one per param group, got ${describe(initialLr)}; nothing was changed`);
    }
    initialLr.forEach((v, i) => checkRule(owner, `schedule.initialLr[${i}] in the checkpoint`, finiteNumber, v));
  }
  // Trial loads: each scheduler checks its own dict; every one is put back afterwards.
  const before = schedulers.map((s) => s._snapshot());
  const after: unknown[] = [];
  try {
    schedulers.forEach((s, i) => {
      try {
        s.loadStateDict(states[i] as SchedulerStateDict);
      } catch (e) {
        const msg = `${owner}: options.schedulers[${i}] (${s.kind}): ${e instanceof Error ? e.message : String(e)}; nothing was changed`;
        throw e instanceof TypeError ? new TypeError(msg) : new RangeError(msg);
      }
      after.push(s._snapshot());
    });
  } finally {
    for (let i = schedulers.length - 1; i >= 0; i--) schedulers[i]!._restore(before[i]);
  }
  return () => {
    schedulers.forEach((s, i) => s._restore(after[i]));
    restoreInitialLrs(opt as SchedulableOptimizer, initialLr ?? undefined);
  };
}
