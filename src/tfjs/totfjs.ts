// toTfjs(Cls, options, { groups }): any registered wasm-optim optimizer as a
// tf.Optimizer, with the class's own (PyTorch) numerics.
//
// Design: one wasm-optim optimizer per variable (`new Cls([values], options of
// its group)`), made the first time the variable is seen. tf.train allows any
// subset of variables per call and variables joining later; with one optimizer
// per variable a call steps exactly the variables it names (as PyTorch skips
// parameters without a gradient), a new variable gets fresh state without
// rebuilding or copying anyone else's, and all state stays in WebAssembly
// memory. Each step is bit-identical to `new Cls(all params, options)` stepping
// the same gradients, as every registered method updates each tensor from its
// own gradient and the group's scalars (step count, NAdam's mu product), which
// advance identically. Joint clipping (`maxGradNorm`) is done across the call's
// gradients with clipGradNorm before the per-variable steps (the same
// c = min(1, max / (norm + 1e-6)), though not folded into the kernel, so equal
// up to float32 rounding rather than bit for bit).
//
// `paramGroups` is one object per group (the `groups` in order, then the
// default group): reading a hyperparameter gives the group's value, assigning
// one validates it and sets it on every variable of the group, so the
// wasm-optim schedulers drive it as they drive `new Cls(...)`.
import { Optimizer, type NamedTensorMap } from '@tensorflow/tfjs-core';
import type { serialization } from '@tensorflow/tfjs-core';
type ConfigDict = serialization.ConfigDict;
import { clipGradNorm, type NormType } from '../clip.js';
import type { Optimizer as CoreOptimizer } from '../optimizer.js';
import { NonFiniteGradientError } from '../step.js';
import { registry, type OptimizerClass, type HyperparametersOf } from '../registry.js';
import { describe, readGradients, type NamedTensor } from './gradients.js';
import { Assigned, firstNonFinite, valuesOf } from './transfer.js';

/** Selects variables by name: a RegExp (tested), a string (equal name) or a predicate. */
export type VariableMatch = RegExp | string | ((name: string) => boolean);

/** A group by variable name: `{ match, ...hyperparameters }`; the first group that matches wins. */
export type TfjsGroup<O> = { match: VariableMatch } & Partial<O>;

export interface ToTfjsOptions<O> {
  groups?: readonly TfjsGroup<O>[];
}

interface StepOpts {
  checkFinite?: boolean;
  skipNonFinite?: boolean;
  maxGradNorm?: number;
  gradNormType?: NormType;
}
const STEP_KEYS = ['checkFinite', 'skipNonFinite', 'maxGradNorm', 'gradNormType'] as const;

interface Entry {
  readonly shape: readonly number[];
  readonly group: number;
  readonly opt: CoreOptimizer<object>;
}


/** The tf.Optimizer that toTfjs returns. */
export class TfjsWasmOptimizer<O extends object = object> extends Optimizer {
  static get className() {
    return 'WasmOptimToTfjs';
  }
  readonly kind: string;
  readonly #Cls: new (params: Float32Array[], options: object) => CoreOptimizer<object>;
  readonly #owner: string;
  /** hyperparameters per group (groups in order, then the default), as plain objects */
  readonly #hyper: Record<string, unknown>[];
  readonly #matches: VariableMatch[];
  readonly #step: StepOpts;
  readonly #options: Record<string, unknown>;
  readonly #vars = new Map<string, Entry>();
  readonly #assigned = new Assigned();
  readonly #paramGroups: readonly Record<string, unknown>[];
  #disposed = false;

  constructor(Cls: OptimizerClass, options: Partial<O> & StepOpts = {}, extra: ToTfjsOptions<O> = {}) {
    super();
    const entry = registry.find((e) => e.class === Cls);
    if (!entry) throw new TypeError(`toTfjs: expected a registered wasm-optim optimizer class, got ${typeof Cls === 'function' ? Cls.name || 'a function' : describe(Cls)}`);
    this.kind = entry.name;
    this.#owner = `toTfjs(${entry.name})`;
    this.#Cls = Cls as never;
    if (options === null || typeof options !== 'object') throw new TypeError(`${this.#owner}: options must be an object, got ${describe(options)}`);
    if (extra === null || typeof extra !== 'object') throw new TypeError(`${this.#owner}: the third argument must be { groups }, got ${describe(extra)}`);
    for (const k of Object.keys(extra)) if (k !== 'groups') throw new TypeError(`${this.#owner}: unknown key ${JSON.stringify(k)} in the third argument (valid: groups)`);
    const groups = extra.groups ?? [];
    if (!Array.isArray(groups)) throw new TypeError(`${this.#owner}: groups must be an array, got ${describe(groups)}`);
    this.#options = { ...options };
    const step: StepOpts = {};
    const base: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.#options)) {
      if ((STEP_KEYS as readonly string[]).includes(k)) (step as Record<string, unknown>)[k] = v;
      else base[k] = v;
    }
    this.#step = step;
    this.#matches = [];
    const hyper: Record<string, unknown>[] = [];
    groups.forEach((g, i) => {
      if (g === null || typeof g !== 'object') throw new TypeError(`${this.#owner}: groups[${i}] must be { match, ...hyperparameters }, got ${describe(g)}`);
      const { match, ...h } = g as TfjsGroup<O>;
      if (!(match instanceof RegExp || typeof match === 'string' || typeof match === 'function')) {
        throw new TypeError(`${this.#owner}: groups[${i}].match must be a RegExp, a string or a function (name) => boolean, got ${describe(match)}`);
      }
      for (const k of Object.keys(h)) {
        if ((STEP_KEYS as readonly string[]).includes(k)) throw new TypeError(`${this.#owner}: groups[${i}].${k} is a step option: give it in options, for all variables`);
      }
      this.#matches.push(match);
      hyper.push({ ...base, ...h });
    });
    hyper.push({ ...base });
    // Validate every group's options now, through the class itself (a throwaway one-float optimizer).
    hyper.forEach((h) => {
      const probe = new this.#Cls([new Float32Array(1)], { ...h, ...step });
      Object.assign(h, pick(probe.paramGroups[0] as unknown as Record<string, unknown>, Object.keys(entry.defaults)));
      probe.dispose();
    });
    this.#hyper = hyper;
    this.#paramGroups = Object.freeze(hyper.map((h, gi) => this.#groupView(gi, Object.keys(entry.defaults))));
  }

  #groupView(gi: number, keys: string[]): Record<string, unknown> {
    const view = {};
    for (const key of keys) {
      Object.defineProperty(view, key, {
        enumerable: true,
        get: () => {
          const v = this.#hyper[gi]![key];
          return Array.isArray(v) ? [...v] : v;
        },
        set: (v: unknown) => {
          this.#live(`paramGroups[${gi}].${key}`);
          // validated by the class (on a probe when the group has no variable yet): an invalid value changes nothing
          const members = [...this.#vars.values()].filter((e) => e.group === gi);
          const first = members[0]?.opt ?? new this.#Cls([new Float32Array(1)], { ...this.#hyper[gi], ...this.#step });
          try {
            (first.paramGroups[0] as unknown as Record<string, unknown>)[key] = v;
            const stored = (first.paramGroups[0] as unknown as Record<string, unknown>)[key];
            for (const m of members.slice(1)) (m.opt.paramGroups[0] as unknown as Record<string, unknown>)[key] = stored;
            this.#hyper[gi]![key] = Array.isArray(stored) ? [...stored] : stored;
          } finally {
            if (!members[0]) first.dispose();
          }
        },
      });
    }
    return view;
  }

  #live(what: string): void {
    if (this.#disposed) throw new Error(`${this.#owner}: ${what} was used after dispose(); create a new optimizer`);
  }

  /** One group per `groups` entry, in order, then the default group: `lr` and the other hyperparameters, read and write. */
  get paramGroups(): readonly Record<string, unknown>[] & readonly { lr: number }[] {
    this.#live('paramGroups');
    return this.#paramGroups as never;
  }

  /** The variables' names this optimizer holds state for, in the order it first saw them. */
  get variableNames(): string[] {
    return [...this.#vars.keys()];
  }

  /** Which group a variable name falls in (index into paramGroups). */
  groupOf(name: string): number {
    const i = this.#matches.findIndex((m) => (m instanceof RegExp ? (m.lastIndex = 0, m.test(name)) : typeof m === 'string' ? m === name : m(name) === true));
    return i === -1 ? this.#matches.length : i;
  }

  /** The wasm-optim optimizer holding a variable's state (undefined before its first step). */
  optimizerOf(name: string): CoreOptimizer<O> | undefined {
    this.#live('optimizerOf');
    return this.#vars.get(name)?.opt as CoreOptimizer<O> | undefined;
  }

  applyGradients(variableGradients: NamedTensorMap | NamedTensor[]): void {
    const owner = `${this.#owner}: applyGradients`;
    this.#live('applyGradients');
    // Everything is checked (and every gradient read) before anything changes.
    const work = readGradients(owner, variableGradients, (name) => this.#vars.get(name)?.shape).map(({ name, v, g }) => ({
      name,
      v,
      g: valuesOf(g), // (src/tfjs/transfer.ts) valid until the next TF.js operation: used before the first assign below
      entry: this.#vars.get(name),
    }));
    const { checkFinite = true, skipNonFinite = false, maxGradNorm, gradNormType = 2 } = this.#step;
    if (checkFinite || skipNonFinite) {
      for (const [i, w] of work.entries()) {
        const j = firstNonFinite(w.g);
        if (j === -1) continue;
        if (skipNonFinite) return; // the whole call is skipped, as step() returns false
        throw new NonFiniteGradientError(
          `${owner}: the gradient of ${JSON.stringify(w.name)} has ${w.g[j]} at [${j}]; nothing was changed ` +
            '(options: skipNonFinite: true skips such steps, checkFinite: false lets them through)',
          i,
          j,
        );
      }
    }
    // New variables' optimizers (fresh state), then the steps.
    const made: CoreOptimizer<object>[] = [];
    let entries: Entry[];
    try {
      entries = work.map((w) => {
        if (w.entry) return w.entry;
        const group = this.groupOf(w.name);
        const opt = new this.#Cls([new Float32Array(w.v.size)], { ...this.#hyper[group], checkFinite: false });
        made.push(opt);
        return { shape: [...w.v.shape], group, opt };
      });
    } catch (e) {
      made.forEach((o) => o.dispose());
      throw e;
    }
    work.forEach((w, i) => {
      const e = entries[i]!;
      e.opt.params[0]!.set(valuesOf(w.v));
      e.opt.grads[0]!.set(w.g);
      if (!w.entry) this.#vars.set(w.name, e);
    });
    if (maxGradNorm !== undefined && entries.length > 0) clipGradNorm(entries.map((e) => e.opt.grads[0]!), maxGradNorm, gradNormType);
    for (const [i, w] of work.entries()) {
      const e = entries[i]!;
      e.opt.step();
      this.#assigned.assign(w.v, e.opt.params[0]!, e.shape);
    }
    this.incrementIterations();
  }

  getConfig(): ConfigDict {
    return { kind: this.kind, options: JSON.parse(JSON.stringify(this.#options)) as ConfigDict };
  }

  /** Frees every variable's optimizer; later calls throw. Idempotent. */
  override dispose(): void {
    if (!this.#disposed) {
      this.#disposed = true;
      for (const e of this.#vars.values()) e.opt.dispose();
      this.#vars.clear();
    }
    super.dispose();
  }
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = o[k];
    out[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}

/**
 * Any registered wasm-optim optimizer as a tf.Optimizer: `toTfjs(AdamW, { lr, weightDecay },
 * { groups: [{ match: /bias/, weightDecay: 0 }] })`. Variables are matched by name.
 */
export function toTfjs<C extends OptimizerClass>(
  Cls: C,
  options: Partial<HyperparametersOf<C>> & StepOpts = {},
  extra: ToTfjsOptions<HyperparametersOf<C>> = {},
): TfjsWasmOptimizer<HyperparametersOf<C> & object> {
  return new TfjsWasmOptimizer(Cls, options as never, extra as never);
}
