// Seeded randomness for reproducible runs: a small PRNG, the per-epoch
// permutation (Fisher-Yates) and normal deviates. The same seed gives the same
// numbers on every engine.

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): returns a function giving
 * uniform numbers in [0, 1) from a 32-bit state seeded with `seed`.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Fills `out` with a uniformly random permutation of 0..out.length-1
 * (Fisher-Yates, drawing j uniformly from 0..i) and returns it.
 */
export function permutation(out: Uint32Array, random: () => number): Uint32Array {
  for (let i = 0; i < out.length; i++) out[i] = i;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = out[i]!;
    out[i] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** A standard normal deviate (Box-Muller, one of the pair). */
export function normal(random: () => number): number {
  const u = 1 - random(); // in (0, 1]: log(u) is finite
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}
