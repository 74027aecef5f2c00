import { finiteNumber } from '../validate.js';
import { checkOptionsObject, checkStateDictHeader, nonNegativeInteger, numberList, parseStateDict, positiveInteger, value, type Check } from './check.js';
import { checkSchedulers, loadChildren } from './composite.js';
import {
  ChainableScheduler,
  clonePlain,
  defaultInitialLrs,
  LRScheduler,
  type SchedulableOptimizer,
  type SchedulerStateDict,
} from './scheduler.js';

export interface SequentialLROptions {
  /** the schedulers, in order, each created on the same optimizer */
  schedulers: LRScheduler[];
  /** the epochs at which to switch to the next scheduler (one fewer than schedulers, increasing) */
  milestones: number[];
}

function milestonesCheck(n: number): Check<number[]> {
  const list = numberList(positiveInteger, undefined, 'epoch indices');
  return (owner, name, v) => {
    const m = list(owner, name, v);
    if (m.length !== n - 1) {
      throw new RangeError(`${owner}: invalid ${name}: expected ${n - 1} milestone(s), one fewer than the ${n} scheduler(s), got ${m.length}`);
    }
    m.forEach((x, i) => {
      if (i > 0 && x <= m[i - 1]!) throw new RangeError(`${owner}: invalid ${name}: expected increasing epochs, got ${m.join(', ')}`);
    });
    return m;
  };
}

/**
 * PyTorch's `SequentialLR`: runs schedulers[0] until milestones[0], then
 * schedulers[1] until milestones[1], and so on. At construction the learning
 * rates go back to the optimizer's initial ones and only schedulers[0] takes
 * its initial step. At a milestone the next scheduler restarts from epoch 0,
 * in its closed form where PyTorch has one (step(0)).
 */
export class SequentialLR extends ChainableScheduler {
  readonly #schedulers: LRScheduler[];
  #milestones: number[];
  #st = { lastEpoch: 0, lastLr: [] as number[] };

  constructor(optimizer: SchedulableOptimizer, options: SequentialLROptions) {
    super('SequentialLR', optimizer);
    const o = checkOptionsObject(this.kind, options, '{ schedulers: [warmup, decay], milestones: [5] }');
    for (const key of Object.keys(o)) {
      if (key !== 'schedulers' && key !== 'milestones') {
        throw new TypeError(`SequentialLR: unknown option ${JSON.stringify(key)} (valid options: schedulers, milestones)`);
      }
    }
    this.#schedulers = checkSchedulers<LRScheduler>(
      this.kind,
      'options.schedulers',
      o.schedulers,
      (s) => (s instanceof LRScheduler ? undefined : `is a ${s.kind}; SequentialLR restarts its schedulers at milestones, which PyTorch cannot do for a composite`),
      optimizer,
    );
    this.#milestones = milestonesCheck(this.#schedulers.length)(this.kind, 'options.milestones', o.milestones);
    this.transact(() => {
      this.#st.lastEpoch = 0;
      defaultInitialLrs(optimizer).forEach((lr, i) => this.writeLr(i, lr));
      for (const s of this.#schedulers) s._undo();
      this.#schedulers[0]!._initialStep();
      this.#st.lastLr = this.#schedulers[0]!.getLastLr();
    });
  }

  /** @internal */
  _advance(): void {
    const st = this.#st;
    st.lastEpoch += 1;
    const e = st.lastEpoch;
    const idx = this.#milestones.filter((m) => m <= e).length; // bisect_right
    const s = this.#schedulers[idx]!;
    if (idx > 0 && this.#milestones[idx - 1] === e) s._restart();
    else s._advance();
    st.lastLr = s.getLastLr();
  }

  getLastLr(): number[] {
    return [...this.#st.lastLr];
  }

  /** The schedulers, in order. */
  get schedulers(): readonly LRScheduler[] {
    return [...this.#schedulers];
  }

  get milestones(): number[] {
    return [...this.#milestones];
  }

  get lastEpoch(): number {
    return this.#st.lastEpoch;
  }

  stateDict(): SchedulerStateDict {
    return {
      kind: this.kind,
      version: 1,
      milestones: [...this.#milestones],
      ...clonePlain(this.#st),
      schedulers: this.#schedulers.map((s) => s.stateDict()),
    };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    const owner = `${this.kind}.loadStateDict`;
    const r = checkStateDictHeader(owner, sd, this.kind);
    const p = parseStateDict(owner, r, {
      milestones: milestonesCheck(this.#schedulers.length),
      lastEpoch: value(nonNegativeInteger),
      lastLr: numberList(finiteNumber, this._groups),
      schedulers: (_o, _n, v) => v,
    });
    loadChildren(owner, this.#schedulers, p.schedulers);
    this.#milestones = p.milestones as number[];
    this.#st = { lastEpoch: p.lastEpoch as number, lastLr: p.lastLr as number[] };
  }

  /** @internal */
  _snapshot(): unknown {
    return { m: this.#milestones, st: clonePlain(this.#st), children: this.#schedulers.map((s) => s._snapshot()) };
  }

  /** @internal */
  _restore(s: unknown): void {
    const snap = s as { m: number[]; st: { lastEpoch: number; lastLr: number[] }; children: unknown[] };
    this.#milestones = snap.m;
    this.#st = snap.st;
    this.#schedulers.forEach((c, i) => c._restore(snap.children[i]));
  }
}
