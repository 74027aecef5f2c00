// State dicts: the optimizer state as plain data (PyTorch's state_dict shape,
// camelCase), and loading one all or nothing: `planLoad` checks everything
// and returns the function that writes it, which cannot fail.
import type { Layout } from './layout.js';
import type { MethodSpec, Scalars } from './method.js';
import { checkGroup, checkOption } from './options.js';
import { checkFloat32Array, describe, isFloat32Array } from './validate.js';
import { float32Exact } from './input.js';

/** Per-parameter state in a state dict: the group's step count, running scalars and the state buffers that hold data. */
export type ParamState = { step: number } & Record<string, Float32Array | number>;

/** Plain, structured-clone-able optimizer state (PyTorch's state_dict shape, camelCase). */
export interface StateDict<O> {
  /** The optimizer class that wrote it. */
  kind: string;
  /** Format version of this dict. */
  version: 1;
  /** One entry per parameter, in order across groups; null where no state exists yet. */
  state: (ParamState | null)[];
  /** Hyperparameters per group, with the indices of the group's parameters. */
  paramGroups: (O & { params: number[] })[];
  /**
   * Every parameter's shape, present when any parameter was given as
   * `{ data, shape }` ([length] for the plain ones). Loading checks it
   * against the optimizer's own shapes.
   */
  shapes?: number[][];
}

/** A copy of the state (PyTorch order in each entry: step, scalars, buffers). */
export function buildStateDict<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, layout: Layout<O, S>): StateDict<O> {
  const state: (ParamState | null)[] = [];
  const paramGroups: (O & { params: number[] })[] = [];
  const buffer = layout.arena.buffer;
  for (const group of layout.groups) {
    const o: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(group.options)) o[key] = Array.isArray(v) ? [...v] : v;
    paramGroups.push({ ...(o as O), params: [...group.indices] });
    const has = group.step > 0 || spec.eager;
    const scalars = spec.scalarNames && group.scalars;
    group.indices.forEach((idx, ti) => {
      const slots = group.tensors[ti]!.state;
      if (!has) state.push(null);
      else {
        const s: ParamState = { step: group.step };
        if (scalars) Object.assign(s, scalars);
        for (const b of group.allocated) {
          const slot = slots[b];
          if (slot && group.started.has(b)) s[b] = new Float32Array(buffer, group.addr.state[b]! + slot.offset, slot.length).slice();
        }
        state.push(s);
      }
    });
  }
  const sd: StateDict<O> = { kind: spec.name, version: 1, state, paramGroups };
  if (layout.shapes.some((s) => s !== undefined)) sd.shapes = layout.shapes.map((s, i) => (s ? [...s] : [layout.lengths[i]!]));
  return sd;
}

/**
 * Checks saved parameter shapes against an optimizer's: as many, each of its
 * parameter's length, and equal to the shape the optimizer was given where it
 * was given one. `what` names them in the error ("sd.shapes").
 */
export function checkShapes(owner: string, what: string, saved: unknown, lengths: readonly number[], mine: readonly (readonly number[] | undefined)[]): void {
  if (!Array.isArray(saved) || saved.length !== lengths.length) {
    throw new RangeError(`${owner}: expected ${what} to list ${lengths.length} parameter shape(s), got ${describe(saved)}`);
  }
  saved.forEach((s, i) => {
    if (!Array.isArray(s) || s.length > 16 || !s.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new TypeError(`${owner}: expected ${what}[${i}] to be a shape (whole numbers >= 0), got ${describe(s)}`);
    }
    const size = (s as number[]).reduce((a, d) => a * d, 1);
    const m = mine[i];
    if (size !== lengths[i] || (m && (m.length !== s.length || m.some((d, j) => d !== s[j])))) {
      throw new RangeError(`${owner}: ${what}[${i}] is [${s.join(', ')}], but parameter ${i} of this optimizer has shape [${(m ?? [lengths[i]!]).join(', ')}]`);
    }
  });
}

/**
 * Checks a state dict completely and returns the function that writes it:
 * the check can throw, the write cannot. `owner` names the public call in
 * error messages; `base` is the constructor-level options (MethodSpec.initial).
 */
export function planLoad<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, layout: Layout<O, S>, base: O, owner: string, sd: StateDict<O>): () => void {
  const { groups, params } = layout;
  const buffer = layout.arena.buffer;
  if (sd === null || typeof sd !== 'object') throw new TypeError(`${owner}: expected a state dict object, got ${describe(sd)}`);
  if (sd.kind !== spec.name) {
    throw new TypeError(`${owner}: this state dict belongs to ${describe(sd.kind)}, not ${spec.name}`);
  }
  if (sd.version !== 1) throw new RangeError(`${owner}: unsupported state dict version ${describe(sd.version)} (this library reads version 1)`);
  const extra = Object.keys(sd).filter((k) => !['kind', 'version', 'state', 'paramGroups', 'shapes'].includes(k));
  if (extra.length) {
    // nothing is silently ignored: stateDict() could not give it back
    throw new TypeError(`${owner}: unknown key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')} in the state dict (it has kind, version, state, paramGroups and shapes)`);
  }
  if (sd.shapes !== undefined) checkShapes(owner, 'sd.shapes', sd.shapes, layout.lengths, layout.shapes);
  if (!Array.isArray(sd.paramGroups) || sd.paramGroups.length !== groups.length) {
    throw new RangeError(
      `${owner}: expected ${groups.length} param group(s), got ${Array.isArray(sd.paramGroups) ? sd.paramGroups.length : describe(sd.paramGroups)}`,
    );
  }
  if (!Array.isArray(sd.state) || sd.state.length !== params.length) {
    throw new RangeError(`${owner}: expected state for ${params.length} parameter(s), got ${Array.isArray(sd.state) ? sd.state.length : describe(sd.state)}`);
  }
  const scalarNames: readonly string[] = spec.scalarNames ?? [];
  const scalarPlan = spec.scalarNames ? planScalars(spec, layout, owner, sd) : undefined;
  // 1. Check everything, building what will be written.
  const plans: { options: O; step: number; started: Set<string>; writes: [number, Float32Array | number[]][] }[] = [];
  groups.forEach((group, gi) => {
    const sg = sd.paramGroups[gi] as Record<string, unknown>;
    if (sg === null || typeof sg !== 'object') throw new TypeError(`${owner}: paramGroups[${gi}] must be an object, got ${describe(sg)}`);
    const ids = sg.params;
    if (!Array.isArray(ids) || ids.length !== group.indices.length || ids.some((v, i) => v !== group.indices[i])) {
      throw new RangeError(
        `${owner}: paramGroups[${gi}].params must be [${group.indices.join(', ')}] (the parameters of this group), got ${describe(ids)}`,
      );
    }
    const options = { ...group.options };
    for (const key of Object.keys(sg)) {
      if (key === 'params') continue;
      (options as Record<string, unknown>)[key] = checkOption(spec, owner, `paramGroups[${gi}].${key}`, key, sg[key]);
    }
    checkGroup(spec, owner, `paramGroups[${gi}]`, options, group);
    let step: number | undefined;
    let started: Set<string> | undefined;
    const writes: [number, Float32Array | number[]][] = [];
    group.indices.forEach((idx, ti) => {
      const slots = group.tensors[ti]!.state;
      const s = sd.state[idx] as Record<string, unknown> | null | undefined;
      const where = `state[${idx}]`;
      let thisStep = 0;
      const thisStarted = new Set<string>();
      if (s !== null && s !== undefined) {
        if (typeof s !== 'object') throw new TypeError(`${owner}: ${where} must be an object or null, got ${describe(s)}`);
        thisStep = s.step as number;
        if (!Number.isSafeInteger(thisStep) || thisStep < 0) {
          throw new RangeError(`${owner}: ${where}.step must be an integer >= 0, got ${describe(s.step)}`);
        }
        thisStep += 0; // -0 is 0
        for (const key of Object.keys(s)) {
          if (key === 'step' || (scalarNames.includes(key) && !Array.isArray(s))) continue; // scalars: checked above
          if (!group.allocated.includes(key)) {
            throw new RangeError(
              `${owner}: ${where}.${key} is not a state buffer of this group (it has: ${group.allocated.join(', ') || 'none'})`,
            );
          }
          const slot = slots[key];
          if (!slot) {
            const has = group.allocated.filter((b) => slots[b]);
            throw new RangeError(`${owner}: ${where}.${key} is not a state buffer of parameter ${idx} (of its shape it has: ${has.join(', ') || 'none'})`);
          }
          const len = slot.length;
          const v = s[key];
          const arr = isFloat32Array(v) ? checkFloat32Array(owner, `${where}.${key}`, v, len) : v;
          if (!isFloat32Array(arr)) {
            if (!Array.isArray(arr) || arr.length !== len || !arr.every((x) => typeof x === 'number')) {
              throw new TypeError(`${owner}: ${where}.${key} must be a Float32Array (or array of numbers) of length ${len}, got ${describe(v)}`);
            }
            // what is accepted must come back exactly from stateDict(): a number a Float32Array cannot hold is refused
            const bad = float32Exact(arr as number[]);
            if (bad >= 0) {
              throw new RangeError(
                `${owner}: ${where}.${key}[${bad}] is ${(arr as number[])[bad]}, which a Float32Array cannot hold exactly ` +
                  `(it would become ${Math.fround((arr as number[])[bad]!)}); give float32 values, e.g. a Float32Array`,
              );
            }
          }
          writes.push([group.addr.state[key]! + slot.offset, arr as Float32Array | number[]]);
          thisStarted.add(key);
        }
        if (thisStep === 0 && !spec.eager && Object.keys(s).some((k) => k !== 'step')) {
          // state at step 0 is not state at all for this method: stateDict() would report null, so it is refused
          throw new RangeError(
            `${owner}: ${where} has step 0 but holds ${Object.keys(s).filter((k) => k !== 'step').join(', ')}; ` +
              `${spec.name} has no state before its first step (give null, or the state of a step > 0)`,
          );
        }
        if (thisStep === 0 && spec.eager && scalarNames.some((k) => k in s)) {
          throw new RangeError(`${owner}: ${where} has step 0 but holds running scalars; they exist only after the first step`);
        }
      } else if (spec.eager) {
        throw new RangeError(`${owner}: ${where} is missing; ${spec.name} keeps state for every parameter from construction`);
      }
      if (thisStep > 0 && !spec.lazy) {
        const missing = (spec.uses?.(options) ?? spec.buffers(options)).filter((b) => slots[b] && !thisStarted.has(b));
        if (missing.length) {
          throw new RangeError(`${owner}: ${where} has step ${thisStep} but no ${missing.join(', ')}; a state dict after a step must hold every state buffer`);
        }
      }
      if (spec.eager && s !== null && s !== undefined) {
        // eager state exists from construction, so stateDict() always reports every buffer: one missing here could not round-trip
        const missing = group.allocated.filter((b) => slots[b] && !thisStarted.has(b));
        if (missing.length) {
          throw new RangeError(`${owner}: ${where} has no ${missing.join(', ')}; ${spec.name} keeps it for every parameter from construction, so a state dict holds it`);
        }
      }
      // a buffer this tensor has none of counts as started with the others (Adafactor's matrices and vectors share a group)
      if (thisStarted.size > 0) for (const b of group.allocated) if (!slots[b]) thisStarted.add(b);
      if (step === undefined) {
        step = thisStep;
        started = thisStarted;
      } else if (step !== thisStep || !sameSet(started!, thisStarted)) {
        throw new RangeError(
          `${owner}: the parameters of paramGroups[${gi}] must share one step count and the same state buffers ` +
            `(every group steps as one); ${where} differs (step ${thisStep}, expected ${step})`,
        );
      }
    });
    plans.push({ options, step: step ?? 0, started: started ?? new Set(), writes });
  });
  // 2. Write: nothing below can fail.
  return () =>
    groups.forEach((group, gi) => {
      const plan = plans[gi]!;
      for (const b of group.allocated) {
        new Float32Array(buffer, group.addr.state[b]!, group.addr.sizes[b]!).fill(spec.initial?.(b, plan.options, base) ?? 0);
      }
      for (const [addr, arr] of plan.writes) new Float32Array(buffer, addr, arr.length).set(arr);
      group.options = plan.options;
      group.step = plan.step;
      group.started = plan.started;
      if (scalarPlan) group.scalars = scalarPlan[gi];
    });
}

/**
 * Checks the running scalars of a state dict, per group (undefined for a
 * group without state yet): every parameter with step > 0 holds each one as a
 * finite number, the same across its group.
 */
function planScalars<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, layout: Layout<O, S>, owner: string, sd: StateDict<O>): (S | undefined)[] {
  const names = spec.scalarNames ?? [];
  const plan: (S | undefined)[] = [];
  let idx = 0;
  layout.groups.forEach((group, gi) => {
    let found: S | undefined;
    for (let j = 0; j < group.indices.length; j++, idx++) {
      const st = sd.state[idx] as Record<string, unknown> | null | undefined;
      if (st === null || typeof st !== 'object' || Array.isArray(st) || !(typeof st.step === 'number' && st.step > 0)) continue;
      const s = {} as Record<string, number>;
      for (const name of names) {
        const v = st[name];
        const what = `${owner}: state[${idx}].${name} must be a finite number (${spec.name} keeps it per parameter, as PyTorch does), got ${describe(v)}`;
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
      const wrong = spec.checkScalars?.(s as S);
      if (wrong !== undefined) throw new RangeError(`${owner}: state[${idx}]: ${wrong}`);
      found ??= s as S;
    }
    plan.push(found);
  });
  return plan;
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}
