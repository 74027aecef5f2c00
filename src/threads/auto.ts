// What 'auto' (the default thread count) decides per optimizer: whether it
// goes on the pool at all. One that is too small for any of its kernel calls
// to be split gains nothing from shared memory and keeps ordinary memory and
// one thread, exactly as with `threads: 1` (its views read as empty after
// dispose(): a shared memory cannot be detached).
import type { MethodSpec, Scalars } from '../method.js';
import type { GroupInput } from '../options.js';
import { DEFAULT_SPLIT_THRESHOLD } from './split.js';

/**
 * Whether an optimizer of `spec` over `groups` could ever split a call:
 * the largest call that can be split (an elementwise kernel over a group, or
 * the gradient norm over all parameters) has at most N elements, N the
 * parameter count of all groups together, and is split from
 * max(DEFAULT_SPLIT_THRESHOLD, spec.splitFrom) elements (src/threads/split.ts);
 * so N below that means never. Muon's matrix products split by work, not
 * length: spec.poolWork says. Conservative: several small groups that add up
 * to the split size go on the pool although only their norm may be split.
 */
export function gainsFromPool<O extends object, S extends Scalars>(spec: MethodSpec<O, S>, groups: readonly GroupInput<O>[]): boolean {
  let total = 0;
  for (const g of groups) for (const t of g.tensors) total += t.length;
  if (lengthGainsFromPool(total, spec.splitFrom)) return true;
  if (!spec.poolWork) return false;
  const shapes = groups.flatMap((g) => g.tensors.map((t, i) => g.shapes[i] ?? [t.length]));
  return spec.poolWork(shapes, DEFAULT_SPLIT_THRESHOLD);
}

/**
 * Whether calls over `n` elements, split from max(DEFAULT_SPLIT_THRESHOLD,
 * splitFrom) elements, could ever be split (L-BFGS: its flat vectors of n floats).
 */
export function lengthGainsFromPool(n: number, splitFrom = 0): boolean {
  return n >= Math.max(DEFAULT_SPLIT_THRESHOLD, splitFrom);
}
