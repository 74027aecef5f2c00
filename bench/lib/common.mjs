// Small helpers shared by the benchmark's main thread and its workers.

/** Sizes of the main table, in elements. */
export const SIZES = [1 << 10, 1 << 14, 1 << 18, 1 << 20, 1 << 24];

/** Access patterns of the bandwidth probe: k arrays read and written plus one read, 4 + 8k bytes per element. */
export const PATTERN_BYTES = [12, 20, 28];

/** 1024 -> "1K", 1048576 -> "1M" (binary prefixes, as the issue writes sizes). */
export function sizeLabel(n) {
  if (n >= 1 << 20 && n % (1 << 20) === 0) return `${n >> 20}M`;
  if (n >= 1 << 10 && n % (1 << 10) === 0) return `${n >> 10}K`;
  return String(n);
}

/** "1K" / "16k" / "1M" / "1000" -> elements. */
export function parseSize(s) {
  const m = /^(\d+)([kKmM]?)$/.exec(s.trim());
  if (!m) throw new Error(`bench: cannot read the size ${JSON.stringify(s)} (expected e.g. 1K, 16K, 1M, 16M or a number)`);
  const k = { '': 1, k: 1 << 10, m: 1 << 20 }[m[2].toLowerCase()];
  return Number(m[1]) * k;
}

/**
 * A Float32Array of n values in [-0.5, 0.5), from a fixed seed (xorshift32),
 * so every implementation steps on the same data.
 */
export function randomArray(n, seed = 1) {
  const a = new Float32Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    a[i] = (x >>> 0) / 4294967296 - 0.5;
  }
  return a;
}

/** Memoizes a zero-argument function (benny calls a case's setup more than once). */
export function once(fn) {
  let done = false;
  let value;
  return () => {
    if (!done) {
      value = fn();
      done = true;
    }
    return value;
  };
}

export { median } from './sample.mjs';
