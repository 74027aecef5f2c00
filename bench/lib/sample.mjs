// Timing pieces the Node benches and the bench pages share (no Node imports:
// bench/browser/*.js load this file as it is).

/** ms per step of `impl` ({ step(), sync() }): steps for at least `ms`, waiting for each result. */
export async function sampleAsync(impl, ms) {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    impl.step();
    await impl.sync();
    reps++;
    t = performance.now();
  } while (t - t0 < ms);
  return (t - t0) / reps;
}

/** ms per step of a synchronous `step()`: steps for at least `ms`. */
export function sampleSync(step, ms) {
  let reps = 0;
  const t0 = performance.now();
  let t = t0;
  do {
    step();
    reps++;
    t = performance.now();
  } while (t - t0 < ms);
  return (t - t0) / reps;
}

/** The median of `xs` (NaN when empty). */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
