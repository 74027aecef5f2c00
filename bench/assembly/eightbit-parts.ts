// Where the time of an 8-bit step goes, for bench/eightbit.mjs (not part of
// the library): the library's kernels, and adam8bit without parts of its work
// (assembly/eightbit.ts adam8bitCore). Compiled with the library's release flags.
import { adam8bitCore } from '../../assembly/eightbit';
export { adam8bit, lion8bit } from '../../assembly/eightbit';
export { adam } from '../../assembly/adam';
export { lion } from '../../assembly/lion';
export { setFlushThreshold } from '../../assembly/common';

/** adam8bit without the requantizing sweep: dequantize, update m, v and p, absmax. */
export function adam8bitNoRequantize(
  p: usize, g: usize, c1: usize, c2: usize, a1: usize, a2: usize, n: i32, bs: i32, q: usize, w: usize,
  step: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  adam8bitCore(p, g, c1, c2, a1, a2, n, bs, q, w, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, true, false);
}

/** adam8bit's arithmetic alone: no table loads, no requantizing sweep. */
export function adam8bitArithmetic(
  p: usize, g: usize, c1: usize, c2: usize, a1: usize, a2: usize, n: i32, bs: i32, q: usize, w: usize,
  step: f64, rsqrtBc2: f64, b1: f64, b2: f64, eps: f64, wd: f64, decay: f64, gscale: f64,
): void {
  adam8bitCore(p, g, c1, c2, a1, a2, n, bs, q, w, step, rsqrtBc2, b1, b2, eps, wd, decay, gscale, false, false);
}
