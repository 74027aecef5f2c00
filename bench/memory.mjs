// Memory over many optimizer lifetimes:
//   node --expose-gc bench/memory.mjs [cycles] [--json] [--pool]
// Measures WebAssembly memory held (live + pooled), process RSS and the JS
// heap before and after N create/step/dispose cycles, then after optimizers
// dropped without dispose() and a GC (the FinalizationRegistry settles them).
// Prints a readable table; with --json, one line of JSON instead (what
// test/memory.test.ts reads to check that memory stays flat).
import { Adam, SGD, RMSprop, memoryStats, ready } from '../dist/index.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const positional = args.filter((a) => !a.startsWith('--'));
const pool = args.includes('--pool');
const unknown = args.filter((a) => a.startsWith('--') && a !== '--json' && a !== '--pool');
if (unknown.length || positional.length > 1 || (positional[0] !== undefined && !/^\d+$/.test(positional[0]))) {
  console.error(`usage: node --expose-gc bench/memory.mjs [cycles] [--json] [--pool]; got ${args.join(' ')}`);
  process.exit(2);
}
const cycles = Number(positional[0] ?? 100_000);
const gc = globalThis.gc ?? (() => {});
const mb = (b) => Math.round((b / 2 ** 20) * 10) / 10;
const wasmBytes = () => {
  const s = memoryStats();
  return s.liveBytes + s.pooledBytes;
};
const settle = async () => {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
};

// One thread by default: this measures the library's own memory. --pool uses the default pool
// ('auto'): the 20,000-parameter optimizers go on it (shared memory, which every worker holds until
// dispose drains it and the worker collects its garbage: src/threads/worker-source.ts); slower, as
// the workers collect after every MiB they drop (test/threads-dispose.test.ts checks the pool's counts).
await ready(pool ? undefined : { threads: 1 });
const classes = [Adam, SGD, RMSprop];
const sizes = [1, 100, 1000, 20_000];
const grads = sizes.map((n) => new Float32Array(n).fill(0.01));
function cycle(i, dispose) {
  const n = i % sizes.length;
  const C = classes[i % classes.length];
  const opt = new C([new Float32Array(sizes[n])], { lr: 1e-3, momentum: C === SGD ? 0.9 : undefined });
  opt.step([grads[n]]);
  if (dispose) opt.dispose();
}
// warm up, so the baseline includes the pool and JIT
for (let i = 0; i < 2000; i++) cycle(i, true);
await settle();
const t0 = performance.now();
const before = { wasm: wasmBytes(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, stats: memoryStats() };
for (let i = 0; i < cycles / 2; i++) cycle(i, true);
await settle();
const half = { rss: process.memoryUsage().rss };
// RSS after each tenth of the second half: a leak grows every tenth, GC timing under load jumps once
const rssSamples = [];
const chunk = Math.max(1, Math.floor(cycles / 20));
for (let i = cycles / 2; i < cycles; i++) {
  cycle(i, true);
  if ((i + 1 - cycles / 2) % chunk === 0) {
    await settle();
    rssSamples.push(mb(process.memoryUsage().rss));
  }
}
await settle();
const after = { wasm: wasmBytes(), rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, stats: memoryStats() };
const t1 = performance.now();
const dropped = Math.min(cycles, 20_000);
for (let i = 0; i < dropped; i++) cycle(i, false);
await settle();
await settle();
const afterDrop = { wasm: wasmBytes(), rss: process.memoryUsage().rss, stats: memoryStats() };
const result = {
  cycles,
  secondsForCycles: Math.round(t1 - t0) / 1000,
  wasmMiB: { before: mb(before.wasm), after: mb(after.wasm), afterDropped: mb(afterDrop.wasm) },
  rssMiB: { before: mb(before.rss), half: mb(half.rss), after: mb(after.rss), afterDropped: mb(afterDrop.rss) },
  jsHeapMiB: { before: mb(before.heap), after: mb(after.heap) },
  liveArenas: { before: before.stats.liveArenas, after: after.stats.liveArenas, afterDropped: afterDrop.stats.liveArenas },
  liveBytes: { before: before.stats.liveBytes, after: after.stats.liveBytes, afterDropped: afterDrop.stats.liveBytes },
  pooledBytes: { after: after.stats.pooledBytes, afterDropped: afterDrop.stats.pooledBytes },
  rssSamplesMiB: rssSamples,
  dropped,
  gc: globalThis.gc !== undefined,
};
if (json) {
  console.log(JSON.stringify(result));
} else {
  const n = (v) => v.toLocaleString('en-US');
  const cell = (v, digits) => (v === undefined ? '' : v.toFixed(digits)).padStart(16);
  const row = (label, values, digits = 1) => `  ${label.padEnd(26)}${values.map((v) => cell(v, digits)).join('')}`;
  const delta = (a, b) => `${b - a >= 0 ? '+' : ''}${(b - a).toFixed(1)} MiB`;
  const { wasmMiB: w, rssMiB: r, jsHeapMiB: h, liveArenas: l } = result;
  console.log(
    [
      `Memory over ${n(cycles)} create/step/dispose cycles (Adam, SGD, RMSprop; 1 to 20,000 parameters): ${result.secondsForCycles.toFixed(1)} s`,
      '',
      `  ${''.padEnd(26)}${['before', 'halfway', 'after', `+${n(dropped)} dropped`].map((t) => t.padStart(16)).join('')}`,
      row('WebAssembly memory (MiB)', [w.before, undefined, w.after, w.afterDropped]),
      row('process RSS (MiB)', [r.before, r.half, r.after, r.afterDropped]),
      row('JS heap (MiB)', [h.before, undefined, h.after, undefined]),
      row('live optimizers', [l.before, undefined, l.after, l.afterDropped], 0),
      '',
      `WebAssembly memory: ${delta(w.before, w.after)} after the cycles, ${delta(w.before, w.afterDropped)} after ${n(dropped)} optimizers dropped without dispose()` +
        ` (${l.afterDropped === 0 ? 'every one settled by the FinalizationRegistry' : `${n(l.afterDropped)} still live`}).`,
      `RSS: ${delta(r.half, r.after)} over the second half of the cycles (a plateau of JIT code and allocator pages, not growth with the count).`,
      ...(result.gc ? [] : ['Note: run with node --expose-gc (npm run memory does) for settled numbers.']),
      'Machine-readable: add --json.',
    ].join('\n'),
  );
}
