/**
 * A plain-JS reference implementation of one method: straightforward loops
 * over one tensor, computing in double and storing float32. They are the
 * tests' second reference and the benchmarks' "hand-written JS" baseline.
 */
export interface ReferenceMethod<O, S> {
  /** Fresh state for a tensor of n elements. */
  init(n: number, options?: Partial<O>): S;
  /** One step on one tensor, in place on p and the state. */
  step(p: Float32Array, g: Float32Array, state: S, options?: Partial<O>): void;
}
