// Judging RSS samples so that machine load cannot fail a test but a leak
// still does (issue 11, class 8). `samples` are RSS readings (MiB) after each
// equal chunk of work: a leak grows in (almost) every chunk, while GC timing
// on a busy machine makes one-off jumps. The median growth per chunk must
// stay under `perChunkMiB`.
export function rssGrowthOk(samples: readonly number[], perChunkMiB: number): { ok: boolean; median: number } {
  const steps = samples.slice(1).map((v, i) => v - samples[i]!).sort((a, b) => a - b);
  const median = steps.length ? steps[Math.floor(steps.length / 2)]! : 0;
  return { ok: median < perChunkMiB, median };
}
