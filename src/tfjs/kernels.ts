// The TF.js-numerics kernels of assembly/tfjs.ts, as the adapter calls them.
// Addresses are byte offsets into the optimizer's own memory; scalars are
// float32 values computed exactly as TF.js 4.22 rounds them.

/** The exports of assembly/tfjs.ts (used only by `wasm-optim/tfjs`'s `train.*`). */
export interface TfjsKernels {
  /** The core's finiteness check (assembly/finite.ts): 1 when every value is finite. */
  allFinite(x: number, n: number): number;
  tfSgd(p: number, g: number, n: number, c: number): void;
  tfMomentum(p: number, g: number, acc: number, n: number, c: number, m: number, nesterov: number): void;
  tfAdagrad(p: number, g: number, acc: number, n: number, c: number, eps: number): void;
  tfAdadelta(p: number, g: number, accG: number, accU: number, n: number, c: number, rho: number, omr: number, eps: number): void;
  tfAdam(
    p: number, g: number, m: number, v: number, n: number,
    c: number, bc1: number, bc2: number, b1: number, omb1: number, b2: number, omb2: number, eps: number,
  ): void;
  tfAdamax(p: number, g: number, m: number, u: number, n: number, s: number, b1: number, omb1: number, b2: number, eps: number): void;
  tfRmsprop(p: number, g: number, ms: number, mom: number, n: number, lr: number, decay: number, omd: number, mu: number, eps: number): void;
  tfRmspropCentered(
    p: number, g: number, ms: number, mg: number, mom: number, n: number,
    lr: number, decay: number, omd: number, mu: number, eps: number,
  ): void;
}

/** Every kernel name of TfjsKernels (the registry test accounts for each export of the module). */
export const TFJS_KERNELS: readonly (keyof TfjsKernels)[] = Object.freeze([
  'tfSgd', 'tfMomentum', 'tfAdagrad', 'tfAdadelta', 'tfAdam', 'tfAdamax', 'tfRmsprop', 'tfRmspropCentered',
] as const);
