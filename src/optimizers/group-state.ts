// Optimizers whose step needs more than a MethodSpec sees: the layout of the
// group's tensors (Lamb's per-tensor trust ratio) or running scalars that
// PyTorch keeps in each parameter's state (NAdam's mu_product, ASGD's eta and
// mu). These depend on the hyperparameters of past steps, so they cannot be
// recomputed from the step count once a scheduler has changed lr or betas.
//
// GroupStateOptimizer wraps such a spec into a plain MethodSpec for the
// Optimizer base class: the base steps the groups in order, so a cursor reset
// at every step() tells `run` which group it is stepping. The scalars live
// here, per group, and travel in state dicts next to `step`, one copy per
// parameter as in PyTorch.
import {
  Optimizer,
  type GroupAddresses,
  type GroupProgress,
  type MethodSpec,
  type ParamGroupInput,
  type ParamState,
  type StateDict,
  type StepOptions,
} from '../optimizer.js';
import { describe } from '../validate.js';
import type { Kernels } from '../wasm.js';

/** One tensor of a group: byte offset from the start of each of the group's buffers, and length. */
export interface TensorSlot {
  offset: number;
  length: number;
}

/** What a GroupMethodSpec's `run` sees besides the addresses and options. */
export interface GroupContext<S> {
  /** index of the group in `paramGroups` */
  index: number;
  /** the group's tensors, in order (all of the group's buffers share this layout) */
  tensors: readonly TensorSlot[];
  /** the group's running scalars; `run` updates them in place */
  scalars: S;
}

export interface GroupMethodSpec<O extends object, S extends Record<string, number>> extends Omit<MethodSpec<O>, 'run'> {
  /** Names of the running scalars, as they appear in each parameter's state dict entry. */
  scalarNames: readonly (keyof S & string)[];
  /** The scalars at a group's first step, from that step's options (PyTorch's lazy state initialisation). */
  initScalars(o: Readonly<O>): S;
  /** Applies one step to one group. */
  run(k: Kernels, a: GroupAddresses, o: Readonly<O>, progress: GroupProgress, group: GroupContext<S>): void;
}

export abstract class GroupStateOptimizer<O extends object, S extends Record<string, number>> extends Optimizer<O> {
  readonly #names: readonly string[];
  readonly #scalars: (S | undefined)[];
  readonly #cursor: { next: number };

  protected constructor(
    spec: GroupMethodSpec<O, S>,
    params: Float32Array[] | ParamGroupInput<O>[],
    options: Partial<O> & StepOptions = {},
  ) {
    const scalars: (S | undefined)[] = [];
    const cursor = { next: 0 };
    const layouts: (readonly TensorSlot[] | undefined)[] = [];
    const holder: { opt?: Optimizer<O> } = {};
    const { scalarNames: _names, initScalars, run, ...rest } = spec;
    const methodSpec: MethodSpec<O> = {
      ...rest,
      run(k, a, o, progress) {
        const index = cursor.next++;
        // The parameter views sit in the same layout as every other buffer of the group.
        const tensors = (layouts[index] ??= holder.opt!.paramGroups[index]!.params.map((v) => ({
          offset: v.byteOffset - a.p,
          length: v.length,
        })));
        const s = (progress.t > 1 && scalars[index]) || { ...initScalars(o) };
        run(k, a, o, progress, { index, tensors, scalars: s });
        scalars[index] = s;
      },
    };
    super(methodSpec, params, options);
    holder.opt = this;
    this.#names = spec.scalarNames;
    this.#scalars = scalars;
    this.#cursor = cursor;
  }

  override step(grads?: readonly Float32Array[]): boolean {
    this.#cursor.next = 0;
    return super.step(grads);
  }

  override stateDict(): StateDict<O> {
    const sd = super.stateDict();
    sd.paramGroups.forEach((group, gi) => {
      const s = this.#scalars[gi];
      if (!s) return;
      for (const idx of group.params) {
        const st = sd.state[idx];
        if (st) sd.state[idx] = Object.assign({ step: st.step }, s, st) as ParamState; // PyTorch order: step, scalars, buffers
      }
    });
    return sd;
  }

  protected override planStateDict(owner: string, sd: StateDict<O>): () => void {
    const plan = this.#planScalars(owner, sd);
    if (!plan) return super.planStateDict(owner, sd); // malformed beyond the scalars: the base class names the problem
    const names = this.#names;
    const state = sd.state.map((st) => {
      if (st === null || typeof st !== 'object' || Array.isArray(st)) return st;
      const copy: Record<string, unknown> = { ...st };
      for (const name of names) delete copy[name];
      return copy as ParamState;
    });
    const apply = super.planStateDict(owner, { ...sd, state });
    return () => {
      apply();
      // nothing here can fail: the base class has checked and written everything else
      plan.forEach((s, gi) => (this.#scalars[gi] = s));
    };
  }

  /**
   * Checks the running scalars of a state dict, per group (undefined for a
   * group without state yet); returns undefined when the dict is malformed in
   * a way the base class reports.
   */
  #planScalars(owner: string, sd: StateDict<O>): (S | undefined)[] | undefined {
    const groups = this.paramGroups;
    if (sd === null || typeof sd !== 'object' || sd.kind !== this.kind || sd.version !== 1) return undefined;
    if (!Array.isArray(sd.state) || sd.state.length !== this.params.length) return undefined;
    if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== groups.length) return undefined;
    const plan: (S | undefined)[] = [];
    let idx = 0;
    groups.forEach((group, gi) => {
      let found: S | undefined;
      for (let j = 0; j < group.params.length; j++, idx++) {
        const st = sd.state[idx] as Record<string, unknown> | null | undefined;
        if (st === null || typeof st !== 'object' || !(typeof st.step === 'number' && st.step > 0)) continue;
        const s = {} as Record<string, number>;
        for (const name of this.#names) {
          const v = st[name];
          const what = `${owner}: state[${idx}].${name} must be a finite number (${this.kind} keeps it per parameter, as PyTorch does), got ${describe(v)}`;
          if (typeof v !== 'number') throw new TypeError(what);
          if (!Number.isFinite(v)) throw new RangeError(what);
          s[name] = v;
          if (found && found[name] !== v) {
            throw new RangeError(
              `${owner}: the parameters of paramGroups[${gi}] must share one ${name} (every group steps as one); ` +
                `state[${idx}].${name} is ${v}, expected ${found[name]}`,
            );
          }
        }
        found ??= s as S;
      }
      plan.push(found);
    });
    return plan;
  }
}
