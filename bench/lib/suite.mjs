// Runs one benny suite inside a worker. A case is { name, meta, setup }:
// setup() returns { fn, dispose? }, fn is the step that is timed (benny /
// benchmark.js repeats it until the time box is used up), dispose() frees its
// memory when the case is done. Every finished case is posted to the main
// thread at once (progress) and returned as a plain record: the median over
// benchmark.js's samples (each sample the mean of many calls), the mean,
// the relative margin of error and every sample, in seconds per call.
import { add, configure, cycle, suite } from 'benny';
import { parentPort } from 'node:worker_threads';
import { once } from './common.mjs';

/**
 * @param {string} title benny suite name
 * @param {{ name: string, meta: object, setup: () => ({ fn: () => void, dispose?: () => void }) }[]} cases
 * @param {{ minTime: number, maxTime: number, minSamples: number, delay: number }} timing benchmark.js options per case
 */
export async function runCases(title, cases, timing) {
  const byName = new Map();
  for (const c of cases) {
    if (byName.has(c.name)) throw new Error(`bench: two cases named ${JSON.stringify(c.name)} in suite ${title}`);
    byName.set(c.name, { ...c, setup: once(c.setup) });
  }
  const records = [];
  await suite(
    title,
    ...[...byName.values()].map((c) => add(c.name, () => c.setup().fn)),
    configure({ cases: timing }),
    cycle((result) => {
      const c = byName.get(result.name);
      c.setup().dispose?.();
      const record = toRecord(c.meta, result);
      records.push(record);
      parentPort?.postMessage({ type: 'progress', record: { ...record, sampleSec: undefined } });
    }),
  );
  return records;
}

function toRecord(meta, result) {
  if (result.error) throw result.error;
  const d = result.details;
  return {
    ...meta,
    medianSec: d.median,
    meanSec: d.mean,
    minSec: d.min,
    rme: d.relativeMarginOfError,
    samples: d.sampleResults.length,
    sampleSec: [...d.sampleResults],
  };
}

/** Reports a record measured without benny (same shape). */
export function postProgress(record) {
  parentPort?.postMessage({ type: 'progress', record: { ...record, sampleSec: undefined } });
}
