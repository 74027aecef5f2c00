// Memory over many optimizer lifetimes: `node --expose-gc bench/memory.mjs [cycles]`.
// Prints JSON: WebAssembly memory held (live + pooled) and process RSS before
// and after N create/step/dispose cycles, then after N optimizers dropped
// without dispose() and a GC (the FinalizationRegistry settles them).
// test/memory.test.ts runs it and checks that both stay flat.
import { Adam, SGD, RMSprop, memoryStats, ready } from '../dist/index.js';

const cycles = Number(process.argv[2] ?? 100_000);
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

await ready();
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
console.log(
  JSON.stringify({
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
  }),
);
