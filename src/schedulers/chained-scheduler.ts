import { finiteNumber } from '../validate.js';
import { checkStateDictHeader, numberList, parseStateDict } from './check.js';
import { checkSchedulers, loadChildren } from './composite.js';
import { ChainableScheduler, clonePlain, type SchedulableOptimizer, type SchedulerStateDict } from './scheduler.js';

/**
 * PyTorch's `ChainedScheduler`: one `step()` steps every scheduler in order,
 * so their (chainable) effects multiply, e.g. ConstantLR warm-up times
 * ExponentialLR decay. The schedulers are created first, each on the
 * optimizer; `optimizer` defaults to theirs.
 */
export class ChainedScheduler extends ChainableScheduler {
  readonly #schedulers: ChainableScheduler[];
  #lastLr: number[];

  constructor(schedulers: ChainableScheduler[], optimizer?: SchedulableOptimizer) {
    const list = checkSchedulers<ChainableScheduler>('ChainedScheduler', 'schedulers', schedulers, () => undefined, optimizer);
    super('ChainedScheduler', optimizer ?? list[0]!.optimizer);
    this.#schedulers = list;
    this.#lastLr = this.currentLrs();
  }

  /** @internal */
  _advance(): void {
    for (const s of this.#schedulers) s._advance();
    this.#lastLr = this.currentLrs();
  }

  getLastLr(): number[] {
    return [...this.#lastLr];
  }

  /** The schedulers, in order. */
  get schedulers(): readonly ChainableScheduler[] {
    return [...this.#schedulers];
  }

  stateDict(): SchedulerStateDict {
    return { kind: this.kind, version: 1, lastLr: [...this.#lastLr], schedulers: this.#schedulers.map((s) => s.stateDict()) };
  }

  loadStateDict(sd: SchedulerStateDict): void {
    const owner = `${this.kind}.loadStateDict`;
    const r = checkStateDictHeader(owner, sd, this.kind);
    const p = parseStateDict(owner, r, { lastLr: numberList(finiteNumber, this._groups), schedulers: (_o, _n, v) => v });
    loadChildren(owner, this.#schedulers, p.schedulers);
    this.#lastLr = p.lastLr as number[];
  }

  /** @internal */
  _snapshot(): unknown {
    return { lastLr: clonePlain(this.#lastLr), children: this.#schedulers.map((s) => s._snapshot()) };
  }

  /** @internal */
  _restore(s: unknown): void {
    const snap = s as { lastLr: number[]; children: unknown[] };
    this.#lastLr = snap.lastLr;
    this.#schedulers.forEach((c, i) => c._restore(snap.children[i]));
  }
}
