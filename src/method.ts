// The contract a method (SGD, Adam, ...) implements: its defaults, one Rule
// per hyperparameter, the state buffers it needs, any running scalars, and a
// `run` that calls its kernel for one group. The Optimizer class decides
// everything else (validation, layout, state dicts); assembly/ computes.
import type { Rule } from './validate.js';
import type { Kernels } from './wasm.js';

/** Byte addresses of one group's buffers in its optimizer's memory. */
export interface GroupAddresses {
  /** parameters */
  p: number;
  /** gradients */
  g: number;
  /** state buffers, by name, in the order `buffers()` lists them */
  state: Record<string, number>;
  /** floats in the parameter and gradient buffers (the group's tensors back to back, each padded to 4) */
  n: number;
  /** floats in each state buffer, by name: `n`, unless the method sizes its buffers per tensor (MethodSpec.bufferLength) */
  sizes: Record<string, number>;
  /** the group's scratch region (MethodSpec.scratchFloats; 16-byte aligned), 0 when it has none */
  scratch: number;
  /** the method's constants (MethodSpec.constants; 16-byte aligned, shared by every group), 0 when it has none */
  constants: number;
}

/** Where one tensor's part of one state buffer lies: byte offset from the start of that buffer, and floats. */
export interface BufferSlot {
  readonly offset: number;
  readonly length: number;
}

/** One tensor of a group: byte offset from the start of each of the group's buffers, and length. */
export interface TensorSlot {
  readonly offset: number;
  readonly length: number;
  /** the tensor's shape: as given (`{ data, shape }`), or [length] for a plain Float32Array */
  readonly shape: readonly number[];
  /**
   * Its part of each state buffer, by name; a buffer the tensor has none of
   * (MethodSpec.bufferLength answered null) is missing. Without
   * `bufferLength` every entry is { offset, length } of the tensor itself.
   */
  readonly state: Readonly<Record<string, BufferSlot>>;
}

/** A method's running scalars (NAdam's muProduct, ASGD's eta and mu), kept per group. */
export type Scalars = Record<string, number>;

/** What a method's `run` sees of a group and its progress. */
export interface GroupProgress<S extends Scalars = Scalars> {
  /** 1-based count of the step being applied */
  readonly t: number;
  /** state buffers that already hold data (SGD's momentum buffer starts on first use) */
  readonly started: ReadonlySet<string>;
  /** the clip-by-norm coefficient of this step (1 without clipping), to multiply into the gradient */
  readonly gradScale: number;
  /** index of the group in `paramGroups` */
  readonly group: number;
  /** the group's tensors, in order (every buffer of the group shares this layout) */
  readonly tensors: readonly TensorSlot[];
  /** the group's running scalars (see MethodSpec.scalarNames); `run` updates them in place */
  readonly scalars: S;
}

/** The kernels' gradient scale: -1 to maximize, +1 to minimize, times the clip coefficient. */
export function gradScale(maximize: boolean, ctx: GroupProgress<Scalars>): number {
  return maximize ? -ctx.gradScale : ctx.gradScale;
}

/** eps below which the adaptive methods keep subnormal state (see MethodSpec.flushes). */
export const FLUSH_MIN_EPS = 1e-12;

/**
 * How a method's state reads in PyTorch's `optimizer.state_dict()` (src/torch-state.ts):
 * the class and the snake_case name of every state buffer, running scalar and
 * hyperparameter. Methods without a torch.optim twin (Momentum, Lion, Lamb)
 * use the names of the reference implementation they follow.
 */
export interface TorchNames {
  /** the class, e.g. 'torch.optim.Adam' (written to the file's metadata as `optimizer`) */
  readonly class: string;
  /** where the class is not torch.optim's, whose names these are */
  readonly note?: string;
  /** state buffers and running scalars: our name -> torch's (`expAvg` -> `exp_avg`) */
  readonly state: Readonly<Record<string, string>>;
  /** hyperparameters: our name -> torch's (`weightDecay` -> `weight_decay`) */
  readonly options: Readonly<Record<string, string>>;
  /** false where torch keeps no `step` in the state (SGD) */
  readonly step: boolean;
}

export interface MethodSpec<O extends object, S extends Scalars = Scalars> {
  name: string;
  /** the names of its state in PyTorch's state_dict (exportState/importState) */
  torch?: TorchNames;
  defaults: Readonly<O>;
  rules: { readonly [K in keyof O]: Rule };
  /** Constraints between options; returns what is wrong, or undefined. */
  check?(o: O): string | undefined;
  /**
   * What is wrong with a parameter of this shape in a group with these options
   * (undefined: nothing; `shape` is undefined for a plain Float32Array). Muon
   * takes only matrices. Checked at construction, before anything is allocated.
   */
  checkShape?(shape: readonly number[] | undefined, length: number, o: O): string | undefined;
  /** Every state buffer a group with these options needs (fixed at construction). */
  buffers(o: O): readonly string[];
  /**
   * The floats of `buffer` that one tensor of this shape needs (default: the
   * tensor's length), or null where such a tensor has none of it. Adafactor
   * keeps rows + columns for a matrix and a full buffer for a vector. Each
   * tensor's part starts on a 16-byte boundary; state dicts and checkpoints
   * hold each part at its own length.
   */
  bufferLength?(buffer: string, shape: readonly number[], o: O): number | null;
  /** The buffers one step with these options reads and writes (a subset of `buffers`). */
  uses?(o: O): readonly string[];
  /**
   * The initial fill value of a state buffer (default 0), given the group's
   * options and the constructor-level options (`base`).
   */
  initial?(buffer: string, o: O, base: O): number;
  /** State exists from construction, as in PyTorch's Adagrad (otherwise from the first step). */
  eager?: boolean;
  /**
   * State buffers start on first use (SGD's momentum buffer, Rprop's step
   * sizes), so a state dict with step > 0 may lack them. Otherwise every buffer
   * a step uses must be present once step > 0.
   */
  lazy?: boolean;
  /**
   * Whether flushing subnormal state to zero is invisible with these options
   * (default true). A method that divides by an eps-sized term answers false
   * for eps < 1e-12, where a ratio of two subnormals is an ordinary number.
   */
  flushes?(o: O): boolean;
  /**
   * Running scalars PyTorch keeps in each parameter's state (NAdam's
   * mu_product): they follow the hyperparameters of past steps, so they
   * cannot be recomputed from the step count. The optimizer keeps them per
   * group and writes them into state dicts after `step`, one copy per
   * parameter. A method that lists them (even none) must give `initScalars`.
   */
  scalarNames?: readonly (keyof S & string)[];
  /** The scalars at a group's first step, from that step's options (PyTorch's lazy state initialisation). */
  initScalars?(o: Readonly<O>): S;
  /**
   * Floats of working memory a step of a group with these tensor shapes and
   * options needs beyond its state (Muon's Newton-Schulz iterates): allocated
   * once per group, after every state buffer, at GroupAddresses.scratch.
   * Nothing in it survives a step (it is not state). `threads`: the threads
   * the optimizer's steps use (per-thread working memory). Default 0.
   */
  scratchFloats?(shapes: readonly (readonly number[])[], o: O, threads?: number): number;
  /**
   * On the worker pool, the smallest kernel call (elements) that is split
   * across threads, where it is above the pool's threshold (8,192,
   * DEFAULT_SPLIT_THRESHOLD): the size from which 2 threads won for this
   * method in `node bench/threads.mjs` (README, threads). Default: the
   * pool's threshold.
   */
  splitFrom?: number;
  /**
   * Under `threads: 'auto'`: whether a call other than the elementwise ones
   * and the norms could be split for these tensor shapes (Muon's matrix
   * products), where the threshold is `threshold` elements. Default: none.
   */
  poolWork?(shapes: readonly (readonly number[])[], threshold: number): boolean;
  /**
   * Read-only bytes every step reads (the 8-bit methods' quantization maps and
   * tables): written once into the optimizer's memory at construction, before
   * the parameters, at GroupAddresses.constants. Not state: state dicts and
   * checkpoints do not hold them.
   */
  constants?(): Uint8Array;
  /** Constraints on the running scalars of a loaded state dict, beyond being finite; returns what is wrong, or undefined. */
  checkScalars?(s: Readonly<S>): string | undefined;
  /** Applies one step to one group: calls its kernel(s). */
  run(k: Kernels, a: GroupAddresses, o: Readonly<O>, ctx: GroupProgress<S>): void;
}
