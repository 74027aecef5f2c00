import { sgdMomentum } from './sgd';

/**
 * Momentum in its moving-average form, exactly:
 *
 *   d = gscale*g + wd*p
 *   v = b1*v + (1 - b1)*d            (v starts at 0, also on the first step; b1 = beta)
 *   p = p - lr*v
 *
 * It is sgdMomentum with b1 = beta, c = 1 - beta and no Nesterov term; this
 * export gives the method its own name in the kernel module.
 */
export function momentum(p: usize, g: usize, v: usize, n: i32, lr: f64, b1: f64, wd: f64, gscale: f64): void {
  sgdMomentum(p, g, v, n, lr, b1, 1 - b1, 0, 0, wd, gscale);
}
