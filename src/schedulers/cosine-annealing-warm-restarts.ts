import { describe, nonNegative } from '../validate.js';
import { positiveInteger, positiveNumber, value, withAliases } from './check.js';
import { LRScheduler, type SchedulableOptimizer } from './scheduler.js';

export type CosineAnnealingWarmRestartsOptions = (
  | {
      /** epochs until the first restart (an integer >= 1); PyTorch's T_0 */
      T0: number;
      t0?: never;
    }
  | {
      /** T0 in camelCase */
      t0: number;
      T0?: never;
    }
) & {
  /** factor by which the period grows after each restart (an integer >= 1), default 1; also `tMult` */
  TMult?: number;
  tMult?: number;
  /** minimum learning rate, default 0 */
  etaMin?: number;
};

interface WarmRestartsState {
  /** the current period, PyTorch's T_i */
  TI: number;
  /** epochs since the last restart (fractional when stepped to a fractional epoch), PyTorch's T_cur */
  TCur: number;
}

/**
 * PyTorch's `CosineAnnealingWarmRestarts` (SGDR):
 *
 *     lr_i = etaMin + (initialLr_i - etaMin) * (1 + cos(pi * TCur / TI)) / 2
 *
 * TCur counts epochs since the last restart; at TCur = TI the schedule
 * restarts (TCur = 0) and the period becomes TI * TMult. `step(epoch)` jumps
 * to any epoch, fractional ones included (e.g. `step(epoch + i / batches)`
 * after every batch), as in PyTorch.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler<{ T0: number; TMult: number; etaMin: number }, WarmRestartsState> {
  constructor(optimizer: SchedulableOptimizer, options: CosineAnnealingWarmRestartsOptions) {
    super(
      'CosineAnnealingWarmRestarts',
      optimizer,
      () => ({
        T0: { check: value(positiveInteger) },
        TMult: { check: value(positiveInteger), default: 1 },
        etaMin: { check: value(nonNegative), default: 0 },
      }),
      withAliases('CosineAnnealingWarmRestarts', options, { t0: 'T0', tMult: 'TMult' }),
      '{ T0: 10, TMult: 2 }',
      [],
      { TI: 1, TCur: -1 },
    );
    this.st.TI = this.o.T0;
    this.start();
  }

  /** Steps to the next epoch, or to `epoch` (a number >= 0, possibly fractional). */
  override step(epoch?: number): void {
    if (epoch !== undefined && (typeof epoch !== 'number' || !(epoch >= 0) || !Number.isFinite(epoch))) {
      const msg = `${this.kind}.step: invalid epoch: expected a finite number >= 0 (or no argument), got ${describe(epoch)}`;
      throw typeof epoch === 'number' ? new RangeError(msg) : new TypeError(msg);
    }
    this.transact(() => this.stepOnce(epoch));
  }

  protected override stepOnce(epoch?: number): void {
    const st = this.st;
    const { T0, TMult } = this.o;
    let e = epoch;
    if (e === undefined && st.lastEpoch < 0) e = 0;
    if (e === undefined) {
      e = st.lastEpoch + 1;
      st.TCur = st.TCur + 1;
      if (st.TCur >= st.TI) {
        st.TCur = st.TCur - st.TI;
        st.TI = st.TI * TMult;
      }
    } else if (e >= T0) {
      if (TMult === 1) st.TCur = e % T0;
      else {
        const n = Math.trunc(Math.log((e / T0) * (TMult - 1) + 1) / Math.log(TMult));
        st.TCur = e - (T0 * (TMult ** n - 1)) / (TMult - 1);
        st.TI = T0 * TMult ** n;
      }
    } else {
      st.TI = T0;
      st.TCur = e;
    }
    st.lastEpoch = Math.floor(e);
    this.applyLrs(this.getLr());
  }

  protected getLr(): number[] {
    const { etaMin } = this.o;
    const { TCur, TI } = this.st;
    return this.st.baseLrs.map((base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * TCur) / TI))) / 2);
  }

  protected override stateChecks() {
    return { TI: value(positiveNumber), TCur: value(nonNegative) };
  }
}
