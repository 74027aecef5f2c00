import { sgdMomentum } from './sgd';

/**
 * Momentum in its moving-average form, exactly:
 *
 *   d = gscale*g + wd*p
 *   v = beta*v + (1 - beta)*d        (v starts at 0, also on the first step)
 *   p = p - lr*v
 *
 * It is sgdMomentum with mu = beta, c = 1 - beta and no Nesterov term; this
 * export gives the method its own name in the kernel module.
 */
export function momentum(p: usize, g: usize, v: usize, n: i32, lr: f64, beta: f64, wd: f64, gscale: f64): void {
  sgdMomentum(p, g, v, n, lr, wd, gscale, beta, 1 - beta, 0, 0);
}
