// Helpers shared by SequentialLR and ChainedScheduler: checking the list of
// schedulers, and loading their state dicts all-or-nothing.
import { describe } from '../validate.js';
import { ReduceLROnPlateau } from './reduce-lr-on-plateau.js';
import { ChainableScheduler, type SchedulableOptimizer, type SchedulerStateDict, type Scheduler } from './scheduler.js';

/** Checks `list` is a non-empty array of distinct chainable schedulers of `optimizer`. */
export function checkSchedulers<T extends ChainableScheduler>(
  owner: string,
  name: string,
  list: unknown,
  accept: (s: ChainableScheduler) => string | undefined,
  optimizer: SchedulableOptimizer | undefined,
): T[] {
  if (!Array.isArray(list)) throw new TypeError(`${owner}: ${name} must be an array of schedulers, got ${describe(list)}`);
  if (list.length === 0) throw new RangeError(`${owner}: ${name} is empty; it expects at least one scheduler`);
  const opt = optimizer ?? (list[0] as { optimizer?: SchedulableOptimizer })?.optimizer;
  list.forEach((s, i) => {
    if (s instanceof ReduceLROnPlateau) {
      throw new TypeError(
        `${owner}: ${name}[${i}] is a ReduceLROnPlateau, which cannot be composed: its step() needs the metric; step it separately`,
      );
    }
    if (!(s instanceof ChainableScheduler)) throw new TypeError(`${owner}: ${name}[${i}] must be a scheduler such as new StepLR(opt, ...), got ${describe(s)}`);
    const why = accept(s);
    if (why) throw new TypeError(`${owner}: ${name}[${i}] ${why}`);
    if (s.optimizer !== opt) {
      throw new RangeError(`${owner}: ${name}[${i}] (${s.kind}) belongs to another optimizer; every scheduler must belong to ${optimizer ? 'the optimizer passed in' : `the optimizer of ${name}[0]`}`);
    }
    if (list.indexOf(s) !== i) throw new RangeError(`${owner}: ${name}[${i}] is the same scheduler as ${name}[${list.indexOf(s)}]; give each scheduler once`);
  });
  return [...list] as T[];
}

/** Loads one state dict per child; if one fails, every child is put back as it was. */
export function loadChildren(owner: string, children: readonly Scheduler[], sds: unknown): void {
  if (!Array.isArray(sds) || sds.length !== children.length) {
    throw new RangeError(`${owner}: sd.schedulers must hold ${children.length} state dict(s), one per scheduler, got ${describe(sds)}`);
  }
  const snaps = children.map((c) => c._snapshot());
  try {
    children.forEach((c, i) => {
      try {
        c.loadStateDict(sds[i] as SchedulerStateDict);
      } catch (e) {
        const msg = `${owner}: sd.schedulers[${i}]: ${e instanceof Error ? e.message : String(e)}`;
        throw e instanceof TypeError ? new TypeError(msg) : new RangeError(msg);
      }
    });
  } catch (e) {
    children.forEach((c, i) => c._restore(snaps[i]));
    throw e;
  }
}
