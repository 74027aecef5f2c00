// Weight averaging, as torch.optim.swa_utils.AveragedModel (PyTorch 2.x) over
// a list of Float32Arrays: a running average of parameters kept in its own
// WebAssembly memory, updated by one fused kernel (assembly/averaging.ts).
// Not an optimizer (it has no gradients and no registry entry): it watches one.
//
//   update 1:      avg = p                                (copied, as torch)
//   update n+1:    'swa'  avg = avg + (p - avg) / (n + 1)  (equal weights)
//                  'ema'  avg = lerp(avg, p, 1 - decay) = decay*avg + (1 - decay)*p
//
// n = nAveraged counts the updates so far (torch's n_averaged buffer).
import { Arena } from './arena.js';
import { decodeCheckpoint, encodeCheckpoint } from './checkpoint.js';
import type { StateDict } from './state-dict.js';
import { checkNotReading, copyUint8, Foreign, isDetachedView, lengthOf, readInput, readPlain, setInto, typedArrayTag } from './input.js';
import { describe } from './validate.js';

const KIND = 'AveragedParams';

/** 'swa': the equal-weight running mean (torch's default); 'ema': an exponential moving average. */
export type AveragingMode = 'ema' | 'swa';

export interface AveragedParamsOptions {
  /** 'swa' (default, torch's AveragedModel without avg_fn) or 'ema' (get_ema_multi_avg_fn) */
  mode?: AveragingMode;
  /** EMA only: the weight kept per update, in [0, 1], default 0.999 (torch's default) */
  decay?: number;
}

/** Plain, structured-clone-able state: what `loadStateDict` takes back. */
export interface AveragedParamsStateDict {
  kind: 'AveragedParams';
  version: 1;
  mode: AveragingMode;
  /** the EMA decay; null in 'swa' mode */
  decay: number | null;
  /** updates applied so far (torch's n_averaged) */
  nAveraged: number;
  /** copies of the averaged parameters */
  params: Float32Array[];
}

/** A checked state, ready to be written (nothing can fail past this point). */
interface Planned {
  mode: AveragingMode;
  decay: number | null;
  nAveraged: number;
  params: Float32Array[];
}

const ALIGN = 16;
const align = (n: number) => (n + ALIGN - 1) & ~(ALIGN - 1);
const FLOAT = 4;

function checkMode(owner: string, name: string, v: unknown): AveragingMode {
  if (v === 'ema' || v === 'swa') return v;
  const msg = `${owner}: invalid ${name}: expected "ema" or "swa", got ${describe(v)}`;
  throw typeof v === 'string' ? new RangeError(msg) : new TypeError(msg);
}

/** As torch's get_ema_multi_avg_fn: decay in [0, 1]. */
function checkDecay(owner: string, name: string, v: unknown): number {
  if (typeof v !== 'number') throw new TypeError(`${owner}: invalid ${name}: expected a number in [0, 1], got ${describe(v)}`);
  if (!(v >= 0 && v <= 1)) throw new RangeError(`${owner}: invalid ${name}: expected a number in [0, 1], got ${describe(v)}`);
  return v;
}

/** Checks that `v` is an array of `lengths.length` Float32Arrays of those lengths; `kept` arrays are the caller's (not copies). */
function checkArrays(owner: string, name: string, v: unknown, lengths: readonly number[]): Float32Array[] {
  if (!Array.isArray(v)) {
    throw new TypeError(`${owner}: ${name} must be an array of ${lengths.length} Float32Array(s), in the order of the constructor's params, got ${describe(v)}`);
  }
  if (v.length !== lengths.length) {
    throw new RangeError(`${owner}: ${name} must hold ${lengths.length} Float32Array(s), one per averaged parameter, got an array of length ${v.length}; nothing was changed`);
  }
  v.forEach((t, i) => {
    if (t instanceof Foreign || typedArrayTag(t) !== 'Float32Array') {
      throw new TypeError(`${owner}: ${name}[${i}] must be a Float32Array of length ${lengths[i]}, got ${t instanceof Foreign ? t.text : describe(t)}; nothing was changed`);
    }
    const n = lengthOf(t as Float32Array);
    if (n !== lengths[i] || (n === 0 && isDetachedView(t as Float32Array))) {
      throw new RangeError(`${owner}: ${name}[${i}] must be a Float32Array of length ${lengths[i]}, got ${describe(t)}; nothing was changed`);
    }
  });
  return v as Float32Array[];
}

/**
 * A running average of parameters (SWA or EMA), as torch.optim.swa_utils.AveragedModel.
 *
 *     const avg = new AveragedParams(opt.params, { mode: 'ema', decay: 0.999 });
 *     // after each opt.step():
 *     avg.update(opt.params);
 *     avg.params; // the averaged Float32Arrays (views into this object's WebAssembly memory)
 */
export class AveragedParams {
  #arena: Arena | undefined;
  readonly #views: Float32Array[];
  readonly #addrs: number[];
  readonly #lengths: number[];
  /** address and capacity (floats) of the scratch copy of one current parameter */
  readonly #scratch: number;
  #mode: AveragingMode;
  #decay: number | null;
  #n = 0;

  /**
   * `params`: the parameters to average (Float32Arrays, e.g. `opt.params`), in
   * the order `update` will be given them. As torch's AveragedModel deep-copies
   * the model, the averaged copy starts equal to them, with nAveraged = 0.
   */
  constructor(params: readonly Float32Array[], options: AveragedParamsOptions = {}) {
    const owner = KIND;
    checkNotReading(owner);
    const input = readInput(owner, () => ({
      params: readPlain(owner, 'params', params, { keepFloat32: true }),
      options: readPlain(owner, 'options', options),
    }));
    const o = input.options;
    if (o === null || typeof o !== 'object' || Array.isArray(o) || o instanceof Foreign) {
      throw new TypeError(`${owner}: options must be an object such as { mode: 'ema', decay: 0.999 }, got ${describe(o)}`);
    }
    const opts = o as Record<string, unknown>;
    for (const key of Object.keys(opts)) {
      if (key !== 'mode' && key !== 'decay') throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in options (valid options: mode, decay)`);
    }
    const mode = opts.mode === undefined ? 'swa' : checkMode(owner, 'options.mode', opts.mode);
    let decay: number | null = null;
    if (mode === 'ema') decay = opts.decay === undefined ? 0.999 : checkDecay(owner, 'options.decay', opts.decay);
    else if (opts.decay !== undefined) {
      throw new TypeError(`${owner}: options.decay applies to mode "ema" only; mode "swa" weighs every update equally (got decay ${describe(opts.decay)})`);
    }
    const p = input.params;
    if (!Array.isArray(p) || p.length === 0) {
      throw new TypeError(`${owner}: params must be a non-empty array of Float32Arrays (e.g. opt.params), got ${describe(p)}`);
    }
    p.forEach((t, i) => {
      if (t instanceof Foreign || typedArrayTag(t) !== 'Float32Array' || (lengthOf(t as Float32Array) === 0 && isDetachedView(t as Float32Array))) {
        throw new TypeError(`${owner}: params[${i}] must be a Float32Array, got ${t instanceof Foreign ? t.text : describe(t)}`);
      }
    });
    const tensors = p as Float32Array[];
    const lengths = tensors.map((t) => lengthOf(t));
    let bytes = ALIGN;
    const addrs = lengths.map((n) => {
      const a = bytes;
      bytes += align(n * FLOAT);
      return a;
    });
    const scratch = bytes;
    bytes += align(Math.max(...lengths) * FLOAT);
    const arena = Arena.acquire(owner, bytes, this);
    this.#arena = arena;
    this.#addrs = addrs;
    this.#lengths = lengths;
    this.#scratch = scratch;
    this.#views = lengths.map((n, i) => new Float32Array(arena.buffer, addrs[i], n));
    this.#views.forEach((v, i) => setInto(v, tensors[i]!));
    this.#mode = mode;
    this.#decay = decay;
  }

  #live(what: string): Arena {
    const arena = this.#arena;
    if (!arena) throw new Error(`${KIND}: ${what} was used after dispose(); create a new AveragedParams`);
    return arena;
  }

  /** The averaged parameters: Float32Array views into this object's WebAssembly memory, valid until dispose(). */
  get params(): readonly Float32Array[] {
    this.#live('params');
    return this.#views;
  }

  /** Number of updates applied (torch's n_averaged). */
  get nAveraged(): number {
    this.#live('nAveraged');
    return this.#n;
  }

  /** 'swa' or 'ema'. */
  get mode(): AveragingMode {
    return this.#mode;
  }

  /** The EMA decay, or null in 'swa' mode. */
  get decay(): number | null {
    return this.#decay;
  }

  /**
   * Folds the current parameters into the average (torch's update_parameters):
   * the first update copies them, later ones average. `current` holds one
   * Float32Array per averaged parameter, in the constructor's order and
   * lengths; a wrong count, type or length throws and changes nothing.
   */
  update(current: readonly Float32Array[]): void {
    const owner = `${KIND}.update`;
    checkNotReading(owner);
    const arena = this.#live('update()');
    const read = readInput(owner, () => readPlain(owner, 'current', current, { keepFloat32: true }));
    const list = checkArrays(owner, 'current', read, this.#lengths);
    // Everything is checked: nothing below can fail.
    const k = arena.kernels;
    const n = this.#n;
    const staging = new Float32Array(arena.buffer, this.#scratch, Math.max(...this.#lengths));
    list.forEach((t, i) => {
      const len = this.#lengths[i]!;
      if (n === 0) {
        setInto(this.#views[i]!, t);
        return;
      }
      setInto(staging, t);
      if (this.#mode === 'swa') k.swaAverage(this.#addrs[i]!, this.#scratch, len, n + 1);
      else k.emaAverage(this.#addrs[i]!, this.#scratch, len, 1 - this.#decay!);
    });
    this.#n = n + 1;
  }

  /** A plain copy of the state (mode, decay, nAveraged and the averaged parameters). */
  stateDict(): AveragedParamsStateDict {
    this.#live('stateDict()');
    return { kind: KIND, version: 1, mode: this.#mode, decay: this.#decay, nAveraged: this.#n, params: this.#views.map((v) => v.slice()) };
  }

  /** Checks a state dict (plain data, already copied) against this object; returns what to write. */
  #plan(owner: string, sd: unknown, where: string): Planned {
    if (sd === null || typeof sd !== 'object' || Array.isArray(sd) || sd instanceof Foreign) {
      throw new TypeError(`${owner}: expected ${where} from stateDict(), got ${describe(sd)}`);
    }
    const r = sd as Record<string, unknown>;
    /** where a field is named: sd.decay, the checkpoint's decay */
    const at = (key: string) => (where === 'the state dict' ? `sd.${key}` : `${where}'s ${key}`);
    if (r.kind !== KIND) throw new TypeError(`${owner}: ${where} belongs to ${describe(r.kind)}, not ${KIND}`);
    if (r.version !== 1) throw new RangeError(`${owner}: unsupported ${where} version ${describe(r.version)} (this library reads version 1)`);
    const keys = ['kind', 'version', 'mode', 'decay', 'nAveraged', 'params'];
    for (const key of Object.keys(r)) {
      if (!keys.includes(key)) throw new RangeError(`${owner}: unknown key ${JSON.stringify(key)} in ${where} (expected: ${keys.join(', ')})`);
    }
    for (const key of keys) if (!(key in r)) throw new RangeError(`${owner}: ${where} has no ${JSON.stringify(key)}; pass a dict from stateDict()`);
    const mode = checkMode(owner, at('mode'), r.mode);
    if (mode !== this.#mode) {
      throw new TypeError(`${owner}: ${where} averages by ${JSON.stringify(mode)}, this AveragedParams by ${JSON.stringify(this.#mode)}; create it with { mode: ${JSON.stringify(mode)} }; nothing was changed`);
    }
    let decay: number | null = null;
    if (mode === 'ema') decay = checkDecay(owner, at('decay'), r.decay);
    else if (r.decay !== null) throw new TypeError(`${owner}: invalid ${at('decay')}: expected null in mode "swa", got ${describe(r.decay)}`);
    const n = r.nAveraged;
    if (typeof n !== 'number') throw new TypeError(`${owner}: invalid ${at('nAveraged')}: expected an integer >= 0, got ${describe(n)}`);
    if (!(Number.isSafeInteger(n) && n >= 0)) throw new RangeError(`${owner}: invalid ${at('nAveraged')}: expected an integer >= 0, got ${describe(n)}`);
    const params = checkArrays(owner, at('params'), r.params, this.#lengths);
    return { mode, decay, nAveraged: n, params };
  }

  #write(p: Planned): void {
    this.#decay = p.decay;
    this.#n = p.nAveraged;
    p.params.forEach((t, i) => setInto(this.#views[i]!, t));
  }

  /**
   * Restores what `stateDict()` returned (same mode, same parameter count and
   * lengths); the decay is restored too. Everything is checked first: on
   * error nothing changes.
   */
  loadStateDict(sd: AveragedParamsStateDict): void {
    const owner = `${KIND}.loadStateDict`;
    checkNotReading(owner);
    this.#live('loadStateDict()');
    const copy = readInput(owner, () => readPlain(owner, 'the state dict', sd));
    this.#write(this.#plan(owner, copy, 'the state dict'));
  }

  /**
   * A binary checkpoint in the optimizers' container (src/checkpoint.ts: magic,
   * version, JSON header, float32 data, CRC-32) with kind "AveragedParams": the
   * header's one param group holds mode, decay and nAveraged, the data the
   * averaged parameters.
   */
  save(): Uint8Array {
    checkNotReading(`${KIND}.save`);
    this.#live('save()');
    const sd = {
      kind: KIND,
      version: 1,
      state: this.#lengths.map(() => null),
      paramGroups: [{ mode: this.#mode, decay: this.#decay, nAveraged: this.#n, params: this.#lengths.map((_, i) => i) }],
    } as unknown as StateDict<object>;
    return encodeCheckpoint(sd, [...this.#lengths], this.#views);
  }

  /** Restores a checkpoint written by `save()` of an AveragedParams of the same mode and lengths: all or nothing. */
  load(bytesIn: Uint8Array): void {
    const owner = `${KIND}.load`;
    checkNotReading(owner);
    this.#live('load()');
    const bytes = readInput(owner, () =>
      typedArrayTag(bytesIn) === 'Uint8Array' ? copyUint8(bytesIn) : bytesIn !== null && typeof bytesIn === 'object' ? new Foreign(describe(bytesIn)) : bytesIn,
    );
    const { stateDict, shapes, params, more } = decodeCheckpoint(owner, bytes);
    if (stateDict.kind !== KIND) throw new TypeError(`${owner}: this checkpoint belongs to ${describe(stateDict.kind)}, not ${KIND}`);
    const mine = this.#lengths;
    if (shapes.length !== mine.length || shapes.some((n, i) => n !== mine[i])) {
      throw new RangeError(`${owner}: the checkpoint holds parameters of sizes [${shapes.join(', ')}], this AveragedParams has [${mine.join(', ')}]; nothing was changed`);
    }
    const groups = stateDict.paramGroups as unknown as Record<string, unknown>[];
    const g = groups[0];
    if (!params || more || groups.length !== 1 || g === null || typeof g !== 'object' || stateDict.state.some((s) => s !== null)) {
      throw new RangeError(`${owner}: not a valid AveragedParams checkpoint (its header is malformed); nothing was changed`);
    }
    const { params: indices, ...rest } = g;
    if (!Array.isArray(indices) || indices.length !== mine.length || indices.some((x, i) => x !== i)) {
      throw new RangeError(`${owner}: not a valid AveragedParams checkpoint (its parameter indices are malformed); nothing was changed`);
    }
    this.#write(this.#plan(owner, { kind: KIND, version: 1, ...rest, params }, 'the checkpoint'));
  }

  /** Frees the WebAssembly memory; `params` views are detached, later calls throw. Idempotent. */
  dispose(): void {
    checkNotReading(`${KIND}.dispose`);
    const arena = this.#arena;
    if (!arena) return;
    this.#arena = undefined;
    arena.release();
  }

  /** Whether dispose() was called. */
  get disposed(): boolean {
    return this.#arena === undefined;
  }
}
