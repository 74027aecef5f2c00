import { nonNegative } from '../validate.js';
import { nonNegativeInteger, oneOf, perGroup, value } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export interface SWALROptions {
  /** the learning rate to anneal to: one number, or one per param group (>= 0); PyTorch's swa_lr */
  swaLr: number | number[];
  /** epochs of the annealing phase (an integer >= 0), default 10 */
  annealEpochs?: number;
  /** 'cos' (default) or 'linear' */
  annealStrategy?: 'cos' | 'linear';
}

/**
 * PyTorch's `torch.optim.swa_utils.SWALR`: anneals each group's lr to swaLr
 * over annealEpochs epochs, then holds it there.
 *
 *     t     = clamp(s / max(1, annealEpochs), 0, 1)      s = steps since construction
 *     alpha = (1 - cos(pi*t)) / 2   ('cos')   or   t   ('linear')
 *     lr(s) = swaLr*alpha + lr0*(1 - alpha)              lr0 = the lr found at construction
 *
 * computed, as PyTorch, in the chainable form: the previous step's alpha
 * recovers lr0 = (lr - alpha'*swaLr) / (1 - alpha') from the group's current
 * lr (swaLr when alpha' = 1), so a change made to the lr by someone else
 * carries into the annealing. annealEpochs = 0 jumps to swaLr at construction.
 * The same in torch 1.13 and 2.x (2.x also drops anneal_func from its state dict).
 */
export class SWALR extends LRScheduler<{ swaLr: number[]; annealEpochs: number; annealStrategy: 'cos' | 'linear' }> {
  constructor(optimizer: SchedulableOptimizer, options: SWALROptions) {
    super(
      'SWALR',
      optimizer,
      (groups) => ({
        swaLr: { check: perGroup(nonNegative, groups) },
        annealEpochs: { check: value(nonNegativeInteger), default: 10 },
        annealStrategy: { check: oneOf(['cos', 'linear'] as const), default: 'cos' },
      }),
      options,
      "{ swaLr: 0.05, annealEpochs: 10, annealStrategy: 'cos' }",
    );
    this.start();
  }

  #anneal(t: number): number {
    return this.o.annealStrategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
  }

  protected getLr(): number[] {
    const { swaLr, annealEpochs } = this.o;
    let step = this.st.stepCount - 1;
    if (annealEpochs === 0) step = Math.max(1, step);
    const span = Math.max(1, annealEpochs);
    const prevAlpha = this.#anneal(Math.max(0, Math.min(1, (step - 1) / span)));
    const alpha = this.#anneal(Math.max(0, Math.min(1, step / span)));
    return this.currentLrs().map((lr, i) => {
      const swa = swaLr[i]!;
      const lr0 = prevAlpha === 1 ? swa : (lr - prevAlpha * swa) / (1 - prevAlpha);
      return swa * alpha + lr0 * (1 - alpha);
    });
  }
}
