// L-BFGS as torch.optim.LBFGS (torch/optim/lbfgs.py, PyTorch 1.13.1, the same
// in PyTorch main): closure-driven, one param group, global state. It does
// not fit the elementwise MethodSpec pipeline (a step calls the closure many
// times and works on whole flat vectors), so it is its own class over the
// same pieces: an Arena of WebAssembly memory, parameter and gradient views
// laid out as layout.ts does (each tensor padded to 4 floats), the
// checkpoint container of checkpoint.ts, and the argument readers of input.ts.
// The vector work runs in the kernels of assembly/lbfgs.ts.
import { Arena } from '../arena.js';
import { decodeCheckpoint, encodeCheckpoint } from '../checkpoint.js';
import { checkNotBusy, checkNotReading, copyUint8, Foreign, lengthOf, markBusy, ourError, readInput, readPlain, setInto, typedArrayTag } from '../input.js';
import { FLOAT, FLT_MIN, pad4 } from '../layout.js';
import { THREADS_RULE } from '../options.js';
import { lengthGainsFromPool } from '../threads/auto.js';
import { autoThreads, defaultThreads, PoolError } from '../threads/pool.js';
import { checkFloat32Array, checkRule, describe, isDetached, isFloat32Array } from '../validate.js';
import type { Kernels } from '../wasm.js';

/** Hyperparameters of LBFGS (`torch.optim.LBFGS`, camelCase). */
export interface LBFGSOptions {
  /** learning rate: the step along the search direction (the line search's first trial), default 1 */
  lr: number;
  /** maximal number of iterations per step(), default 20 */
  maxIter: number;
  /** maximal number of closure evaluations per step(), default floor(maxIter * 5 / 4) */
  maxEval: number;
  /** termination tolerance on first-order optimality (max |g|), default 1e-7 */
  toleranceGrad: number;
  /** termination tolerance on function value / parameter changes, default 1e-9 */
  toleranceChange: number;
  /** number of (s, y) pairs kept, default 100 */
  historySize: number;
  /** null (fixed step lr) or 'strong_wolfe', default null */
  lineSearchFn: null | 'strong_wolfe';
}

/**
 * LBFGS's constructor options: maxEval may be null (torch's None: maxIter * 5 / 4).
 * `threads` (not a hyperparameter: not in the state dict) is the step option
 * of every optimizer: threads its steps use, 1..65, default `ready({ threads })`'s
 * ('auto': on the pool only when the flat vectors are long enough to split).
 */
export type LBFGSInput = Partial<Omit<LBFGSOptions, 'maxEval'>> & { maxEval?: number | null; threads?: number };

/** The closure: reads `opt.params`, writes the gradient into `opt.grads`, returns the loss. */
export type LBFGSClosure = () => number;

/** torch's state (registered on the first parameter), camelCase. Vectors are flat over all parameters. */
export interface LBFGSState {
  funcEvals: number;
  nIter: number;
  d?: Float32Array;
  t?: number;
  oldDirs?: Float32Array[];
  oldStps?: Float32Array[];
  ro?: number[];
  hDiag?: number;
  prevFlatGrad?: Float32Array;
  prevLoss?: number;
  al?: (number | null)[];
}

export interface LBFGSStateDict {
  kind: 'LBFGS';
  version: 1;
  /** one entry per parameter: the state on the first (as torch), null elsewhere and before the first step */
  state: (LBFGSState | null)[];
  paramGroups: (LBFGSOptions & { params: number[] })[];
}

const NAME = 'LBFGS';
const fr = Math.fround;
const KEYS = ['lr', 'maxIter', 'maxEval', 'toleranceGrad', 'toleranceChange', 'historySize', 'lineSearchFn'] as const;

/** Validates one option; returns the value to store. */
function checkOne(owner: string, where: string, key: string, v: unknown, o: Partial<LBFGSOptions>): unknown {
  const bad = (expected: string) =>
    new (typeof v === (key === 'lineSearchFn' ? 'string' : 'number') || (key === 'lineSearchFn' && v === null) ? RangeError : TypeError)(
      `${owner}: invalid ${where}.${key}: expected ${expected}, got ${describe(v)}`,
    );
  switch (key) {
    case 'lr':
    case 'toleranceGrad':
    case 'toleranceChange':
      if (typeof v !== 'number' || !(Number.isFinite(v) && v >= 0)) throw bad('a finite number >= 0');
      return v + 0;
    case 'maxIter':
    case 'historySize':
      if (typeof v !== 'number' || !(Number.isSafeInteger(v) && v >= 1)) throw bad('an integer >= 1');
      return v;
    case 'maxEval':
      if (v === null) return Math.floor(((o.maxIter ?? 20) * 5) / 4);
      if (typeof v !== 'number' || !(Number.isSafeInteger(v) && v >= 1)) throw bad('an integer >= 1, or null for floor(maxIter * 5 / 4)');
      return v;
    case 'lineSearchFn':
      if (v !== null && v !== 'strong_wolfe') throw bad(`null or "strong_wolfe"`);
      return v;
    default:
      throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in ${where} (valid options: ${KEYS.join(', ')}${where === 'options' ? ', threads' : ''})`);
  }
}

/** The options with torch's defaults applied (maxEval from maxIter when absent or null). */
function parseLbfgsOptions(owner: string, where: string, input: Record<string, unknown>): LBFGSOptions {
  const o: Partial<LBFGSOptions> = {};
  const keys = Object.keys(input).filter((k) => input[k] !== undefined);
  // maxIter first: a null maxEval is derived from it
  for (const k of keys.sort((a, b) => Number(b === 'maxIter') - Number(a === 'maxIter'))) {
    if (k === 'params') continue;
    (o as Record<string, unknown>)[k] = checkOne(owner, where, k, input[k], o);
  }
  const maxIter = o.maxIter ?? 20;
  return {
    lr: o.lr ?? 1,
    maxIter,
    maxEval: o.maxEval ?? Math.floor((maxIter * 5) / 4),
    toleranceGrad: o.toleranceGrad ?? 1e-7,
    toleranceChange: o.toleranceChange ?? 1e-9,
    historySize: o.historySize ?? 100,
    lineSearchFn: o.lineSearchFn ?? null,
  };
}

/** History slots for these options: the historySize pairs kept from before a step (restored if it fails), plus the new pairs one step can write (at most maxIter, or historySize and the candidate). */
const slotsFor = (o: LBFGSOptions) => o.historySize + Math.min(o.historySize + 1, o.maxIter);

/** The scalar part of the state (vectors live in WebAssembly memory). */
interface Scalars {
  funcEvals: number;
  nIter: number;
  /** whether d, t, history, H_diag, prev_flat_grad, prev_loss exist (torch sets them at the end of the first step that iterates) */
  started: boolean;
  t: number;
  hDiag: number;
  prevLoss: number;
  /** history slot of each (y, s) pair, oldest first */
  order: number[];
  ro: number[];
  al: (number | null)[] | undefined;
}

const copyScalars = (s: Scalars): Scalars => ({ ...s, order: [...s.order], ro: [...s.ro], al: s.al && [...s.al] });

/**
 * L-BFGS, as torch.optim.LBFGS. Each `step(closure)` runs up to maxIter
 * iterations of
 *
 *     y = g - g_prev, s = t*d; if y.s > 1e-10 keep (y, s, rho = 1/y.s), H_diag = y.s / y.y
 *     q = -g; for i newest..oldest: a_i = rho_i s_i.q, q -= a_i y_i
 *     d = H_diag*q; for i oldest..newest: b_i = rho_i y_i.d, d += (a_i - b_i) s_i
 *     t = lr (first iteration ever: min(1, 1/|g|_1) * lr), or the strong-Wolfe line search's t
 *     p = p + t*d
 *
 * stopping as torch does (maxIter, maxEval, max|g| <= toleranceGrad, g.d >
 * -toleranceChange, max|t*d| or |loss change| below toleranceChange). The
 * closure reads `opt.params`, writes the gradient into `opt.grads` and
 * returns the loss; step returns the loss of its first evaluation. Scalars
 * that torch keeps as float32 tensors (g.d, y.s, rho, H_diag, a_i, b_i) are
 * rounded to float32 here too; t and losses are doubles.
 */
export class LBFGS {
  #arena: Arena | undefined;
  readonly #k: Kernels;
  readonly #heap: Float32Array;
  readonly #params: readonly Float32Array[];
  readonly #grads: readonly Float32Array[];
  readonly #callerParams: readonly Float32Array[];
  readonly #lengths: readonly number[];
  /** [float offset in the flat padded vector, length] per tensor */
  readonly #slots: readonly (readonly [number, number])[];
  /** floats in a flat padded vector, and in the flat unpadded (torch) vector */
  readonly #n: number;
  readonly #numel: number;
  /** byte addresses of the work vectors */
  readonly #a: Record<'p' | 'g' | 'f' | 'd' | 'pf' | 'x' | 'p0' | 'd0' | 'pf0' | 'ls0' | 'ls1', number>;
  /** byte address of history slot i's y (dirs) and s (stps) */
  readonly #dirs: number[];
  readonly #stps: number[];
  readonly #capacity: number;
  #options: LBFGSOptions;
  #s: Scalars;

  constructor(params: Float32Array[] | ({ params: Float32Array[] } & LBFGSInput)[], options: LBFGSInput = {}) {
    const input = readInput(NAME, () => ({
      params: readPlain(NAME, 'params', params, { keepFloat32: true }),
      options: readPlain(NAME, 'options', options),
    }));
    const o = input.options;
    if (o === null || typeof o !== 'object' || Array.isArray(o) || o instanceof Foreign) {
      throw new TypeError(`${NAME}: options must be an object such as { lr: 1, lineSearchFn: 'strong_wolfe' }, got ${describe(o)}`);
    }
    let opts = o as Record<string, unknown>;
    const ps = input.params;
    if (!Array.isArray(ps)) throw new TypeError(`${NAME}: params must be an array of Float32Arrays (or one param group { params: [...] }), got ${describe(ps)}`);
    if (ps.length === 0) throw new RangeError(`${NAME}: params is an empty list; give at least one parameter`);
    let tensors: unknown[];
    let names: (i: number) => string;
    if (ps.every(isFloat32Array)) {
      tensors = ps;
      names = (i) => `params[${i}]`;
    } else {
      if (ps.length !== 1) throw new RangeError(`${NAME}: LBFGS doesn't support per-parameter options (parameter groups); got ${ps.length} groups (torch refuses them too)`);
      const g = ps[0] as Record<string, unknown>;
      if (g === null || typeof g !== 'object' || g instanceof Foreign || !Array.isArray(g.params)) {
        throw new TypeError(`${NAME}: params[0] must be a Float32Array (all of them) or a param group { params: Float32Array[], ...options }, got ${describe(g)}`);
      }
      tensors = g.params;
      names = (i) => `params[0].params[${i}]`;
      if (g.threads !== undefined) {
        throw new TypeError(`${NAME}: "threads" in params[0] is an optimizer-wide option, not a per-group hyperparameter: pass it in the constructor's options (the second argument)`);
      }
      opts = { ...opts, ...Object.fromEntries(Object.entries(g).filter(([k]) => k !== 'params')) };
    }
    const threadsIn = opts.threads;
    if (threadsIn !== undefined) checkRule(NAME, 'options.threads', THREADS_RULE, threadsIn);
    opts = Object.fromEntries(Object.entries(opts).filter(([k]) => k !== 'threads'));
    this.#options = Object.freeze(parseLbfgsOptions(NAME, 'options', opts));
    const seen = new Set<Float32Array>();
    const ts = tensors.map((t0, i) => {
      const t = checkFloat32Array(NAME, names(i), t0);
      if (seen.has(t)) throw new TypeError(`${NAME}: ${names(i)} appears more than once; each parameter may be given only once`);
      seen.add(t);
      return t;
    });
    const lengths = ts.map(lengthOf);
    const slots: [number, number][] = [];
    let n = 0;
    for (const len of lengths) {
      slots.push([n, len]);
      n += pad4(len);
    }
    this.#n = n;
    this.#numel = lengths.reduce((a, b) => a + b, 0);
    this.#slots = slots;
    this.#lengths = Object.freeze(lengths);
    const capacity = slotsFor(this.#options);
    this.#capacity = capacity;
    const work = ['p', 'g', 'f', 'd', 'pf', 'x', 'p0', 'd0', 'pf0', 'ls0', 'ls1'] as const;
    const base = 64;
    const bytes = base + FLOAT * n * (work.length + 2 * capacity);
    // under 'auto' (the default) on the pool only when its vectors are long enough for a call to be split
    const threads = (threadsIn as number | undefined) ?? (autoThreads() && !lengthGainsFromPool(n) ? 1 : defaultThreads());
    const arena = Arena.acquire(NAME, bytes, this, true, threads);
    arena.kernels.setFlushThreshold(FLT_MIN);
    this.#arena = arena;
    this.#k = arena.kernels;
    const a = {} as Record<(typeof work)[number], number>;
    work.forEach((w, i) => (a[w] = base + FLOAT * n * i));
    this.#a = a;
    const histBase = base + FLOAT * n * work.length;
    this.#dirs = Array.from({ length: capacity }, (_, i) => histBase + FLOAT * n * 2 * i);
    this.#stps = Array.from({ length: capacity }, (_, i) => histBase + FLOAT * n * (2 * i + 1));
    const buffer = arena.buffer;
    this.#heap = new Float32Array(buffer);
    this.#params = Object.freeze(slots.map(([off, len], i) => {
      const v = Object.preventExtensions(new Float32Array(buffer, a.p + FLOAT * off, len));
      setInto(v, ts[i]!);
      return v;
    }));
    this.#grads = Object.freeze(slots.map(([off, len]) => Object.preventExtensions(new Float32Array(buffer, a.g + FLOAT * off, len))));
    this.#callerParams = Object.freeze(ts);
    this.#s = { funcEvals: 0, nIter: 0, started: false, t: 0, hDiag: 1, prevLoss: 0, order: [], ro: [], al: undefined };
  }

  #live(what: string): Arena {
    if (!this.#arena) throw new Error(`${NAME}: ${what} was used after dispose(); create a new optimizer`);
    return this.#arena;
  }

  get kind(): string {
    return NAME;
  }

  /** Parameter views in WebAssembly memory; the closure reads them. Valid until dispose(). */
  get params(): readonly Float32Array[] {
    this.#live('params');
    return this.#params;
  }

  /** Gradient views in WebAssembly memory; the closure writes them. */
  get grads(): readonly Float32Array[] {
    this.#live('grads');
    return this.#grads;
  }

  /** The hyperparameters (one group, as torch; maxEval resolved). Change them with loadStateDict. */
  get options(): Readonly<LBFGSOptions> {
    this.#live('options');
    return this.#options;
  }

  /**
   * Threads its steps use (the calling thread included): the `threads` option
   * or `ready({ threads })`'s default where the worker pool runs, else 1.
   */
  get threads(): number {
    return this.#live('threads').threads;
  }

  /** torch's state['n_iter']: iterations run over all steps. */
  get stepCount(): number {
    this.#live('stepCount');
    return this.#s.nIter;
  }

  /** torch's state['func_evals']: closure evaluations over all steps. */
  get funcEvals(): number {
    this.#live('funcEvals');
    return this.#s.funcEvals;
  }

  /**
   * One optimization step: up to maxIter L-BFGS iterations, each calling
   * `closure` once (or, with lineSearchFn 'strong_wolfe', as often as the line
   * search needs). Returns the loss of the first evaluation, as torch. The
   * caller's arrays hold the new parameters afterwards, as do `params`.
   * If the closure throws, returns something other than a finite number or
   * writes a non-finite gradient, step throws and nothing changes:
   * parameters, history and counters are as before the call. So too when a
   * kernel call on the worker pool fails (a worker throws or dies: PoolError):
   * the error names the call, and the step's snapshot is restored.
   */
  step(closure: LBFGSClosure): number {
    const owner = `${NAME}.step`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('step()');
    if (typeof closure !== 'function') {
      throw new TypeError(`${owner}: expected a closure () => loss that reads opt.params, writes opt.grads and returns the loss as a number, got ${describe(closure)}`);
    }
    for (const [i, t] of this.#callerParams.entries()) {
      if (isDetached(t) || lengthOf(t) !== this.#lengths[i]) {
        throw new TypeError(`${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized; nothing was changed`);
      }
    }
    const heap = this.#heap;
    const a = this.#a;
    const n = this.#n;
    // snapshot for all-or-nothing: parameters, d, prev_flat_grad and the scalars (history slots in use are never overwritten)
    const saved = copyScalars(this.#s);
    heap.copyWithin(a.p0 / 4, a.p / 4, a.p / 4 + n);
    heap.copyWithin(a.d0 / 4, a.d / 4, a.d / 4 + n);
    heap.copyWithin(a.pf0 / 4, a.pf / 4, a.pf / 4 + n);
    let ret: number;
    try {
      ret = this.#run(closure, saved.order);
    } catch (e) {
      heap.copyWithin(a.p / 4, a.p0 / 4, a.p0 / 4 + n);
      heap.copyWithin(a.d / 4, a.d0 / 4, a.d0 / 4 + n);
      heap.copyWithin(a.pf / 4, a.pf0 / 4, a.pf0 / 4 + n);
      this.#s = saved;
      if (e instanceof PoolError) {
        throw new Error(
          `${e.message}. The step was not applied: parameters and optimizer state are as they were before it (restored from the step's snapshot), and the optimizer can step again`,
          { cause: e },
        );
      }
      throw e;
    }
    this.#params.forEach((v, i) => setInto(this.#callerParams[i]!, v));
    return ret;
  }

  /** Calls the closure with params as they are; returns the loss, the gradient in `g`. */
  #evaluate(closure: LBFGSClosure): number {
    const owner = `${NAME}.step`;
    markBusy(this, 'the closure of LBFGS.step');
    let loss: unknown;
    try {
      loss = closure();
    } catch (e) {
      throw ourError(new Error(`${owner}: the closure threw (${e instanceof Error ? `${e.name}: ${e.message}` : describe(e)}); nothing was changed`, { cause: e }));
    } finally {
      markBusy(this, undefined);
    }
    if (this.#arena === undefined) throw new Error(`${owner}: the optimizer was disposed`);
    if (typeof loss !== 'number' || !Number.isFinite(loss)) {
      throw ourError(new TypeError(`${owner}: the closure must return the loss as a finite number, got ${describe(loss)}; nothing was changed`));
    }
    const k = this.#k;
    if (!k.allFinite(this.#a.g, this.#n)) {
      const g = this.#grads.findIndex((v) => v.some((x) => !Number.isFinite(x)));
      throw ourError(new RangeError(`${owner}: the closure wrote a non-finite gradient into grads[${g}] (NaN or Infinity); nothing was changed`));
    }
    return loss;
  }

  #copy(dst: number, src: number): void {
    if (dst !== src) this.#heap.copyWithin(dst / 4, src / 4, src / 4 + this.#n);
  }

  #run(closure: LBFGSClosure, committed: readonly number[]): number {
    const k = this.#k;
    const a = this.#a;
    const n = this.#n;
    const o = this.#options;
    const st = this.#s;
    const { lr, maxIter, maxEval, historySize } = o;
    const tolGrad = fr(o.toleranceGrad);
    const tolChange = o.toleranceChange;

    const origLoss = this.#evaluate(closure);
    let loss = origLoss;
    let currentEvals = 1;
    st.funcEvals += 1;
    this.#copy(a.f, a.g);
    let optCond = k.maxAbs(a.f, n) <= tolGrad;
    if (optCond) return origLoss;

    let t = st.t;
    let nIter = 0;
    while (nIter < maxIter) {
      nIter += 1;
      st.nIter += 1;
      // compute the descent direction
      if (st.nIter === 1) {
        k.mulInto(a.d, a.f, n, -1);
        st.order = [];
        st.ro = [];
        st.hDiag = 1;
      } else {
        const free = this.#freeSlot(committed);
        const y = this.#dirs[free]!;
        const s = this.#stps[free]!;
        k.subInto(y, a.f, a.pf, n);
        k.mulInto(s, a.d, n, t);
        const ys = fr(k.dot(y, s, n));
        if (ys > fr(1e-10)) {
          if (st.order.length === historySize) {
            st.order.shift();
            st.ro.shift();
          }
          st.order.push(free);
          st.ro.push(fr(1 / ys));
          st.hDiag = fr(ys / fr(k.dot(y, y, n)));
        }
        const numOld = st.order.length;
        if (st.al === undefined) st.al = new Array<number | null>(historySize).fill(null);
        const al = st.al;
        // two-loop recursion, in d (torch's q, then r)
        k.mulInto(a.d, a.f, n, -1);
        for (let i = numOld - 1; i >= 0; i--) {
          const ai = fr(fr(k.dot(this.#stps[st.order[i]!]!, a.d, n)) * st.ro[i]!);
          al[i] = ai;
          k.axpy(a.d, this.#dirs[st.order[i]!]!, n, -ai);
        }
        k.mulInto(a.d, a.d, n, st.hDiag);
        for (let i = 0; i < numOld; i++) {
          const be = fr(fr(k.dot(this.#dirs[st.order[i]!]!, a.d, n)) * st.ro[i]!);
          k.axpy(a.d, this.#stps[st.order[i]!]!, n, fr(al[i]! - be));
        }
      }
      this.#copy(a.pf, a.f);
      st.prevLoss = loss;
      st.started = true;

      // step length
      if (st.nIter === 1) {
        const inv = fr(1 / fr(k.sumAbs(a.f, n)));
        t = inv < 1 ? fr(inv * fr(lr)) : lr;
      } else {
        t = lr;
      }
      st.t = t;
      const gtd = fr(k.dot(a.f, a.d, n));
      if (gtd > fr(-tolChange)) break;

      let lsEvals = 0;
      if (o.lineSearchFn !== null) {
        this.#copy(a.x, a.p);
        const r = this.#strongWolfe(closure, t, loss, gtd, tolChange);
        loss = r.loss;
        t = r.t;
        st.t = t;
        lsEvals = r.evals;
        k.axpy(a.p, a.d, n, t);
        optCond = k.maxAbs(a.f, n) <= tolGrad;
      } else {
        k.axpy(a.p, a.d, n, t);
        if (nIter !== maxIter) {
          loss = this.#evaluate(closure);
          this.#copy(a.f, a.g);
          optCond = k.maxAbs(a.f, n) <= tolGrad;
          lsEvals = 1;
        }
      }
      currentEvals += lsEvals;
      st.funcEvals += lsEvals;

      if (nIter === maxIter) break;
      if (currentEvals >= maxEval) break;
      if (optCond) break;
      if (fr(k.maxAbs(a.d, n) * fr(t)) <= fr(tolChange)) break;
      if (Math.abs(loss - st.prevLoss) < tolChange) break;
    }
    st.t = t;
    return origLoss;
  }

  /** A history slot neither in the history now nor in the one committed before this step. */
  #freeSlot(committed: readonly number[]): number {
    const used = new Set([...committed, ...this.#s.order]);
    for (let i = 0; i < this.#capacity; i++) if (!used.has(i)) return i;
    throw new Error(`${NAME}: internal error: no free history slot`);
  }

  /**
   * torch's _strong_wolfe (ported from minFunc's lswolfe.lua): bracketing,
   * then zoom by cubic interpolation. Parameters are x (in `x`) + t*d during
   * each evaluation and x again after it. Leaves the chosen gradient in `f`.
   */
  #strongWolfe(closure: LBFGSClosure, t0: number, f: number, gtd: number, tolChange: number): { loss: number; t: number; evals: number } {
    const k = this.#k;
    const a = this.#a;
    const n = this.#n;
    const c1 = 1e-4;
    const c2 = 0.9;
    const maxLs = 25;
    let t = t0;
    const dNorm = k.maxAbs(a.d, n);
    const objFunc = (tt: number): [number, number] => {
      this.#copy(a.p, a.x);
      k.axpy(a.p, a.d, n, tt);
      const fNew = this.#evaluate(closure);
      this.#copy(a.p, a.x);
      return [fNew, fr(k.dot(a.g, a.d, n))];
    };
    // f + c1*t*gtd as torch computes it: float32 tensor arithmetic
    const armijo = (fNew: number, tt: number) => fr(fNew) > fr(fr(f) + fr(fr(c1 * tt) * gtd));
    const curvature = (g: number) => Math.abs(g) <= fr(fr(-c2) * gtd);
    let [fNew, gtdNew] = objFunc(t);
    let evals = 1;
    let tPrev = 0;
    let fPrev = f;
    let gtdPrev = gtd;
    // gradient buffers: g_prev lives in gPrev; bracket gradients in bg
    let gPrev = a.f;
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bf: number[] = [];
    let bg: number[] = [];
    let bgtd: number[] = [];
    const other = (buf: number) => (buf === a.ls0 ? a.ls1 : a.ls0);
    while (lsIter < maxLs) {
      if (armijo(fNew, t) || (lsIter > 1 && fNew >= fPrev) || (!curvature(gtdNew) && gtdNew >= 0)) {
        // torch's first and third cases: a bracket [t_prev, t]
        const slot = other(gPrev);
        this.#copy(slot, a.g);
        bracket = [tPrev, t];
        bf = [fPrev, fNew];
        bg = [gPrev, slot];
        bgtd = [gtdPrev, gtdNew];
        break;
      }
      if (curvature(gtdNew)) {
        const slot = other(gPrev);
        this.#copy(slot, a.g);
        bracket = [t];
        bf = [fNew];
        bg = [slot];
        done = true;
        break;
      }
      const minStep = t + 0.01 * (t - tPrev);
      const maxStep = t * 10;
      const tmp = t;
      t = cubicInterpolate(tPrev, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
      tPrev = tmp;
      fPrev = fNew;
      const slot = gPrev === a.f ? a.ls0 : gPrev;
      this.#copy(slot, a.g);
      gPrev = slot;
      gtdPrev = gtdNew;
      [fNew, gtdNew] = objFunc(t);
      evals += 1;
      lsIter += 1;
    }
    if (lsIter === maxLs) {
      bracket = [0, t];
      bf = [f, fNew];
      bg = [a.f, a.g];
    }
    let insufProgress = false;
    let [low, high] = bf[0]! <= bf[bf.length - 1]! ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (fr(fr(Math.abs(bracket[1]! - bracket[0]!)) * dNorm) < fr(tolChange)) break;
      t = cubicInterpolate(bracket[0]!, bf[0]!, bgtd[0]!, bracket[1]!, bf[1]!, bgtd[1]!);
      const bmax = Math.max(bracket[0]!, bracket[1]!);
      const bmin = Math.min(bracket[0]!, bracket[1]!);
      const eps = 0.1 * (bmax - bmin);
      if (Math.min(bmax - t, t - bmin) < eps) {
        if (insufProgress || t >= bmax || t <= bmin) {
          t = Math.abs(t - bmax) < Math.abs(t - bmin) ? bmax - eps : bmin + eps;
          insufProgress = false;
        } else {
          insufProgress = true;
        }
      } else {
        insufProgress = false;
      }
      [fNew, gtdNew] = objFunc(t);
      evals += 1;
      lsIter += 1;
      if (armijo(fNew, t) || fNew >= bf[low]!) {
        bracket[high] = t;
        bf[high] = fNew;
        this.#copy(bg[high]!, a.g);
        bgtd[high] = gtdNew;
        [low, high] = bf[0]! <= bf[1]! ? [0, 1] : [1, 0];
      } else {
        if (curvature(gtdNew)) {
          done = true;
        } else if (gtdNew * (bracket[high]! - bracket[low]!) >= 0) {
          // old high becomes new low (the old high's buffer takes the new point)
          const freed = bg[high]!;
          bracket[high] = bracket[low]!;
          bf[high] = bf[low]!;
          bg[high] = bg[low]!;
          bgtd[high] = bgtd[low]!;
          bg[low] = freed;
        }
        bracket[low] = t;
        bf[low] = fNew;
        this.#copy(bg[low]!, a.g);
        bgtd[low] = gtdNew;
      }
    }
    t = bracket[low]!;
    this.#copy(a.f, bg[low]!);
    return { loss: bf[low]!, t, evals };
  }

  /** A plain copy of the state, torch's state_dict in camelCase (flat vectors over all parameters). */
  stateDict(): LBFGSStateDict {
    this.#live('stateDict()');
    const s = this.#s;
    const o = this.#options;
    const state: (LBFGSState | null)[] = this.#lengths.map(() => null);
    if (s.funcEvals > 0 || s.nIter > 0) {
      const e: LBFGSState = { funcEvals: s.funcEvals, nIter: s.nIter };
      if (s.started) {
        e.d = this.#gather(this.#a.d);
        e.t = s.t;
        e.oldDirs = s.order.map((i) => this.#gather(this.#dirs[i]!));
        e.oldStps = s.order.map((i) => this.#gather(this.#stps[i]!));
        e.ro = [...s.ro];
        e.hDiag = s.hDiag;
        e.prevFlatGrad = this.#gather(this.#a.pf);
        e.prevLoss = s.prevLoss;
        if (s.al) e.al = [...s.al];
      }
      state[0] = e;
    }
    return { kind: NAME, version: 1, state, paramGroups: [{ ...o, params: this.#lengths.map((_, i) => i) }] };
  }

  /** The flat (unpadded, torch) copy of a padded vector in memory. */
  #gather(addr: number): Float32Array {
    const out = new Float32Array(this.#numel);
    let at = 0;
    for (const [off, len] of this.#slots) {
      out.set(this.#heap.subarray(addr / 4 + off, addr / 4 + off + len), at);
      at += len;
    }
    return out;
  }

  #scatter(addr: number, flat: Float32Array): void {
    let at = 0;
    this.#heap.fill(0, addr / 4, addr / 4 + this.#n);
    for (const [off, len] of this.#slots) {
      this.#heap.set(flat.subarray(at, at + len), addr / 4 + off);
      at += len;
    }
  }

  /** Replaces options and state with those of `sd` (from stateDict()): checked in full first, nothing changes on error. */
  loadStateDict(sd: LBFGSStateDict): void {
    const owner = `${NAME}.loadStateDict`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('loadStateDict()');
    const copy = readInput(owner, () => readPlain(owner, 'the state dict', sd)) as Record<string, unknown>;
    if (copy === null || typeof copy !== 'object' || copy instanceof Foreign || Array.isArray(copy)) throw new TypeError(`${owner}: expected a state dict object, got ${describe(copy)}`);
    if (copy.kind !== NAME) throw new TypeError(`${owner}: this state dict belongs to ${describe(copy.kind)}, not ${NAME}`);
    if (copy.version !== 1) throw new RangeError(`${owner}: unsupported state dict version ${describe(copy.version)} (this library reads version 1)`);
    const extra = Object.keys(copy).filter((k) => !['kind', 'version', 'state', 'paramGroups'].includes(k));
    if (extra.length) throw new TypeError(`${owner}: unknown key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')} in the state dict (it has kind, version, state and paramGroups)`);
    this.#plan(owner, copy.paramGroups, copy.state)();
  }

  /** Checks groups and state; returns the write, which cannot fail. */
  #plan(owner: string, groups: unknown, state: unknown): () => void {
    if (!Array.isArray(groups) || groups.length !== 1) {
      throw new RangeError(`${owner}: expected 1 param group (LBFGS has one), got ${Array.isArray(groups) ? groups.length : describe(groups)}`);
    }
    const g = groups[0] as Record<string, unknown>;
    if (g === null || typeof g !== 'object' || g instanceof Foreign) throw new TypeError(`${owner}: paramGroups[0] must be an object, got ${describe(g)}`);
    const count = this.#lengths.length;
    const idx = g.params;
    if (!Array.isArray(idx) || idx.length !== count || idx.some((v, i) => v !== i)) {
      throw new RangeError(`${owner}: paramGroups[0].params must be [0, ..., ${count - 1}] (this optimizer has ${count} parameter(s)), got ${describe(idx)}`);
    }
    for (const key of KEYS) if (!(key in g)) throw new TypeError(`${owner}: paramGroups[0] lacks ${key}`);
    const options = Object.freeze(parseLbfgsOptions(owner, 'paramGroups[0]', g));
    if (slotsFor(options) > this.#capacity) {
      throw new RangeError(
        `${owner}: historySize ${options.historySize} with maxIter ${options.maxIter} needs ${slotsFor(options)} history slots, but this optimizer was created with ` +
          `${this.#capacity} (memory is allocated once, so that views never move); create the optimizer with these options instead`,
      );
    }
    if (!Array.isArray(state) || state.length !== count) {
      throw new RangeError(`${owner}: expected state for ${count} parameter(s), got ${Array.isArray(state) ? state.length : describe(state)}`);
    }
    state.forEach((e, i) => {
      if (i > 0 && e !== null) throw new TypeError(`${owner}: state[${i}] must be null (LBFGS keeps its state on the first parameter, as torch), got ${describe(e)}`);
    });
    const e = state[0] as Record<string, unknown> | null;
    const numel = this.#numel;
    let next: Scalars = { funcEvals: 0, nIter: 0, started: false, t: 0, hDiag: 1, prevLoss: 0, order: [], ro: [], al: undefined };
    const vectors: [number, Float32Array][] = [];
    let dirs: Float32Array[] = [];
    let stps: Float32Array[] = [];
    if (e !== null) {
      if (typeof e !== 'object' || e instanceof Foreign || Array.isArray(e)) throw new TypeError(`${owner}: state[0] must be an object or null, got ${describe(e)}`);
      const known = ['funcEvals', 'nIter', 'd', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss', 'al'];
      const unknown = Object.keys(e).filter((k) => !known.includes(k));
      if (unknown.length) throw new TypeError(`${owner}: unknown key(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')} in state[0] (valid: ${known.join(', ')})`);
      const count = (k: string) => {
        const v = e[k];
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new TypeError(`${owner}: state[0].${k} must be an integer >= 0, got ${describe(v)}`);
        return v;
      };
      next.funcEvals = count('funcEvals');
      next.nIter = count('nIter');
      const loop = ['d', 't', 'oldDirs', 'oldStps', 'ro', 'hDiag', 'prevFlatGrad', 'prevLoss'];
      const present = loop.filter((k) => e[k] !== undefined);
      if (present.length && present.length !== loop.length) {
        throw new TypeError(`${owner}: state[0] has ${present.join(', ')} but lacks ${loop.filter((k) => e[k] === undefined).join(', ')} (they come together)`);
      }
      const vec = (name: string, v: unknown): Float32Array => {
        if (!isFloat32Array(v) || lengthOf(v) !== numel) throw new TypeError(`${owner}: ${name} must be a Float32Array of length ${numel}, got ${describe(v)}`);
        if (v.some((x) => !Number.isFinite(x))) throw new RangeError(`${owner}: ${name} holds NaN or Infinity`);
        return v;
      };
      const num = (name: string, v: unknown): number => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${owner}: ${name} must be a finite number, got ${describe(v)}`);
        return v;
      };
      if (present.length) {
        if (next.nIter < 1) throw new RangeError(`${owner}: state[0] has a history but nIter ${next.nIter}`);
        next.started = true;
        vectors.push([this.#a.d, vec('state[0].d', e.d)]);
        vectors.push([this.#a.pf, vec('state[0].prevFlatGrad', e.prevFlatGrad)]);
        next.t = num('state[0].t', e.t);
        next.hDiag = num('state[0].hDiag', e.hDiag);
        next.prevLoss = num('state[0].prevLoss', e.prevLoss);
        const list = (name: string) => {
          const v = e[name];
          if (!Array.isArray(v)) throw new TypeError(`${owner}: state[0].${name} must be an array, got ${describe(v)}`);
          if (v.length > options.historySize) throw new RangeError(`${owner}: state[0].${name} holds ${v.length} entries, more than historySize ${options.historySize}`);
          return v as unknown[];
        };
        dirs = list('oldDirs').map((v, i) => vec(`state[0].oldDirs[${i}]`, v));
        stps = list('oldStps').map((v, i) => vec(`state[0].oldStps[${i}]`, v));
        next.ro = list('ro').map((v, i) => num(`state[0].ro[${i}]`, v));
        if (dirs.length !== stps.length || dirs.length !== next.ro.length) {
          throw new RangeError(`${owner}: state[0].oldDirs, oldStps and ro must have the same length, got ${dirs.length}, ${stps.length} and ${next.ro.length}`);
        }
        next.order = dirs.map((_, i) => i);
      }
      if (e.al !== undefined) {
        if (!Array.isArray(e.al) || e.al.length !== options.historySize) {
          throw new TypeError(`${owner}: state[0].al must be an array of ${options.historySize} numbers or nulls (historySize), got ${describe(e.al)}`);
        }
        next.al = (e.al as unknown[]).map((v, i) => (v === null ? null : num(`state[0].al[${i}]`, v)));
      }
    }
    return () => {
      this.#options = options;
      for (const [addr, v] of vectors) this.#scatter(addr, v);
      dirs.forEach((v, i) => this.#scatter(this.#dirs[i]!, v));
      stps.forEach((v, i) => this.#scatter(this.#stps[i]!, v));
      if (!next.started) {
        this.#heap.fill(0, this.#a.d / 4, this.#a.d / 4 + this.#n);
        this.#heap.fill(0, this.#a.pf / 4, this.#a.pf / 4 + this.#n);
      }
      this.#s = next;
      next = undefined as unknown as Scalars;
    };
  }

  /**
   * A binary checkpoint (the container of src/checkpoint.ts): options, the
   * parameters (unless `{ params: false }`), counters, scalars and the history.
   */
  save(optionsIn: { params?: boolean } = {}): Uint8Array {
    const owner = `${NAME}.save`;
    checkNotReading(owner);
    this.#live('save()');
    const options = readInput(owner, () => readPlain(owner, 'options', optionsIn)) as Record<string, unknown>;
    if (options === null || typeof options !== 'object' || options instanceof Foreign || Array.isArray(options)) throw new TypeError(`${owner}: options must be an object, got ${describe(options)}`);
    for (const key of Object.keys(options)) if (key !== 'params') throw new TypeError(`${owner}: unknown option ${JSON.stringify(key)} in options (valid options: params)`);
    const withParams = options.params ?? true;
    if (typeof withParams !== 'boolean') throw new TypeError(`${owner}: options.params must be true or false, got ${describe(withParams)}`);
    const sd = this.stateDict();
    const e = sd.state[0];
    const blobs: [string, Float32Array][] = [];
    const extra: Record<string, unknown> = { state: null };
    if (e) {
      const { d, oldDirs, oldStps, prevFlatGrad, ...scalars } = e;
      extra.state = { ...scalars, history: oldDirs?.length ?? null };
      if (d) blobs.push(['d', d], ['prevFlatGrad', prevFlatGrad!]);
      oldDirs?.forEach((v, i) => blobs.push([`oldDirs.${i}`, v], [`oldStps.${i}`, oldStps![i]!]));
    }
    const plain = { kind: NAME, version: 1 as const, state: sd.state.map(() => null), paramGroups: sd.paramGroups };
    return encodeCheckpoint(plain, [...this.#lengths], withParams ? this.#params : undefined, undefined, { blobs, extra });
  }

  /** Restores a checkpoint written by save() of an LBFGS over parameters of the same sizes: all or nothing. */
  load(bytesIn: Uint8Array): void {
    const owner = `${NAME}.load`;
    checkNotReading(owner);
    checkNotBusy(this, owner);
    this.#live('load()');
    const bytes = readInput(owner, () =>
      typedArrayTag(bytesIn) === 'Uint8Array' ? copyUint8(bytesIn) : bytesIn !== null && typeof bytesIn === 'object' ? new Foreign(describe(bytesIn)) : bytesIn,
    );
    const { stateDict, shapes, params, more } = decodeCheckpoint(owner, bytes);
    if (stateDict.kind !== NAME) throw new TypeError(`${owner}: this checkpoint belongs to ${describe(stateDict.kind)}, not ${NAME}`);
    const mine = this.#lengths;
    if (shapes.length !== mine.length || shapes.some((n, i) => n !== mine[i])) {
      throw new RangeError(`${owner}: the checkpoint holds parameters of sizes [${shapes.join(', ')}], this optimizer has [${mine.join(', ')}]`);
    }
    if (!more) throw new RangeError(`${owner}: not a valid LBFGS checkpoint: it has no LBFGS state; nothing was changed`);
    const st = more.extra.state as Record<string, unknown> | null;
    let entry: Record<string, unknown> | null = null;
    if (st !== null) {
      if (typeof st !== 'object' || Array.isArray(st)) throw new RangeError(`${owner}: not a valid LBFGS checkpoint: malformed state; nothing was changed`);
      const { history, ...rest } = st;
      entry = { ...rest };
      const blob = (name: string) => {
        const v = more.blobs.get(name);
        if (!v) throw new RangeError(`${owner}: not a valid LBFGS checkpoint: ${name} is missing; nothing was changed`);
        return v;
      };
      if (history !== null && history !== undefined) {
        if (!Number.isSafeInteger(history) || (history as number) < 0) throw new RangeError(`${owner}: not a valid LBFGS checkpoint: malformed history; nothing was changed`);
        entry.d = blob('d');
        entry.prevFlatGrad = blob('prevFlatGrad');
        entry.oldDirs = Array.from({ length: history as number }, (_, i) => blob(`oldDirs.${i}`));
        entry.oldStps = Array.from({ length: history as number }, (_, i) => blob(`oldStps.${i}`));
      }
    }
    if (params) {
      this.#callerParams.forEach((t, i) => {
        if (lengthOf(t) !== mine[i] || (mine[i] === 0 && isDetached(t))) {
          throw new TypeError(`${owner}: params[${i}], the Float32Array this optimizer was created with, was detached or resized; nothing was changed`);
        }
      });
    }
    const write = this.#plan(owner, stateDict.paramGroups, [entry, ...mine.slice(1).map(() => null)]);
    write();
    if (params) {
      params.forEach((p, i) => {
        setInto(this.#params[i]!, p);
        setInto(this.#callerParams[i]!, p);
      });
    }
  }

  /** Frees the WebAssembly memory; params and grads views are detached. Idempotent. */
  dispose(): void {
    checkNotReading(`${NAME}.dispose`);
    checkNotBusy(this, `${NAME}.dispose`);
    const arena = this.#arena;
    if (!arena) return;
    this.#arena = undefined;
    arena.release();
  }

  get disposed(): boolean {
    return this.#arena === undefined;
  }
}

/**
 * torch's _cubic_interpolate (minFunc's polyinterp): the minimiser of the
 * cubic through (x1, f1, g1) and (x2, f2, g2), clamped to [lo, hi] (default
 * the interval between x1 and x2); the midpoint when the cubic has none.
 * g1, g2 are float32 in torch (tensors), so d1, d2 and min_pos are rounded to float32.
 */
export function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, lo?: number, hi?: number): number {
  const [xmin, xmax] = lo !== undefined && hi !== undefined ? [lo, hi] : x1 <= x2 ? [x1, x2] : [x2, x1];
  const d1 = fr(fr(g1 + g2) - fr((3 * (f1 - f2)) / (x1 - x2)));
  const d2sq = fr(fr(d1 * d1) - fr(g1 * g2));
  if (d2sq >= 0) {
    const d2 = fr(Math.sqrt(d2sq));
    const minPos =
      x1 <= x2
        ? fr(fr(x2) - fr(fr(x2 - x1) * fr(fr(fr(g2 + d2) - d1) / fr(fr(g2 - g1) + fr(2 * d2)))))
        : fr(fr(x1) - fr(fr(x1 - x2) * fr(fr(fr(g1 + d2) - d1) / fr(fr(g1 - g2) + fr(2 * d2)))));
    // Python's min(max(min_pos, lo), hi) keeps min_pos unless a bound compares past it (in float32)
    const m = fr(xmin) > minPos ? xmin : minPos;
    return fr(xmax) < fr(m) ? xmax : m;
  }
  return (xmin + xmax) / 2;
}
