// Memory: 100,000 optimizer lifetimes keep WebAssembly memory and RSS flat;
// optimizers dropped without dispose() are settled by the FinalizationRegistry;
// running out of memory is a clear error that changes nothing.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, SGD, clipGradNorm, memoryStats, ready } from '../src/index.js';
import { snapshot } from './helpers.js';
import { rssGrowthOk } from './rss-judge.js';

beforeAll(() => ready());

// (the subprocesses below run 100,000 cycles: on a loaded machine they can take minutes; no timing is asserted)
describe('memory', { timeout: 600_000 }, () => {
  it('100,000 create/step/dispose cycles and 20,000 dropped optimizers leave memory flat (bench/memory.mjs)', () => {
    const script = fileURLToPath(new URL('../bench/memory.mjs', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', script, '100000', '--json'], { encoding: 'utf8', timeout: 600_000 });
    const r = JSON.parse(out);
    expect(r.cycles).toBe(100000);
    expect(r.wasmMiB.after).toBeLessThanOrEqual(r.wasmMiB.before + 1);
    expect(r.liveArenas.after).toBe(0);
    expect(r.liveArenas.afterDropped).toBe(0); // the FinalizationRegistry settled every dropped optimizer
    expect(r.wasmMiB.afterDropped).toBeLessThanOrEqual(r.wasmMiB.before + 1);
    expect(r.jsHeapMiB.after).toBeLessThan(r.jsHeapMiB.before + 8);
    // What the library controls, exactly: no live arena and no live byte once every optimizer is
    // disposed or dropped, and the pool within its cap (64 MiB)
    expect(r.liveBytes.after).toBe(0);
    expect(r.liveBytes.afterDropped).toBe(0);
    expect(r.pooledBytes.after).toBeLessThanOrEqual(64 * 2 ** 20);
    // RSS, judged so that load cannot fail it: a leak grows in every tenth of the second 50,000
    // cycles, while GC timing on a busy machine makes one-off jumps. The median growth per tenth
    // (5,000 cycles) must stay under 2 MiB, i.e. under 400 bytes per cycle; a leak that small
    // of wasm memory or arenas is caught exactly above.
    expect(r.rssSamplesMiB).toHaveLength(10);
    expect(rssGrowthOk(r.rssSamplesMiB, 2)).toMatchObject({ ok: true });
    expect(r.rssMiB.after - r.rssMiB.before).toBeLessThan(256);
  });

  it('`npm run memory` prints a readable summary by default, JSON only with --json', () => {
    const script = fileURLToPath(new URL('../bench/memory.mjs', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', script, '400'], { encoding: 'utf8', timeout: 600_000 });
    expect(() => JSON.parse(out)).toThrow();
    expect(out).toMatch(/^Memory over 400 create\/step\/dispose cycles .*: [\d.]+ s$/m);
    expect(out).toMatch(/^ {2}WebAssembly memory \(MiB\) +[\d.]+ +[\d.]+ +[\d.]+$/m);
    expect(out).toMatch(/^ {2}live optimizers +0 +0 +0$/m);
    expect(out).toMatch(/after 400 optimizers dropped without dispose\(\) \(every one settled by the FinalizationRegistry\)/);
    expect(out).toMatch(/add --json/);
    const json = JSON.parse(execFileSync(process.execPath, ['--expose-gc', script, '400', '--json'], { encoding: 'utf8', timeout: 600_000 }));
    expect(json.cycles).toBe(400);
    expect(json.dropped).toBe(400);
  });

  it("clipGradNorm's scratch memory is not counted as an optimizer's", () => {
    const before = memoryStats();
    clipGradNorm([new Float32Array(100).fill(1)], 1);
    expect(memoryStats().liveArenas).toBe(before.liveArenas);
    expect(memoryStats().liveBytes).toBe(before.liveBytes);
  });

  it('running out of WebAssembly memory is a clear error and corrupts nothing', () => {
    const live = new Adam([new Float32Array([1, 2, 3])]);
    live.step([new Float32Array([1, 1, 1])]);
    const before = snapshot(live);
    const stats = memoryStats();
    const Real = WebAssembly.Memory;
    // Exhaust: drain the pool so the next optimizer needs a new memory, and make that allocation fail.
    const holders = Array.from({ length: 12 }, () => new SGD([new Float32Array(10)]));
    (WebAssembly as { Memory: unknown }).Memory = function () {
      throw new RangeError('WebAssembly.Memory(): could not allocate memory');
    };
    try {
      expect(() => new Adam([new Float32Array(1 << 20)])).toThrow(/Adam: could not allocate \d+ bytes of WebAssembly memory .*could not allocate memory.*nothing was created/);
    } finally {
      (WebAssembly as { Memory: unknown }).Memory = Real;
    }
    holders.forEach((h) => h.dispose());
    expect(memoryStats().liveArenas).toBe(stats.liveArenas);
    expect(snapshot(live)).toEqual(before);
    expect(live.step([new Float32Array([1, 1, 1])])).toBe(true);
  });

  it('more than a WebAssembly memory can hold is refused before anything is allocated', () => {
    // 4 streams of 2^28 floats exceed 4 GiB: 16 views of one 64 MiB buffer (lengths are read from the
    // views' internal slots, so a stand-in with a fake length would not do)
    const shared = new ArrayBuffer(4 * 2 ** 24);
    const views = Array.from({ length: 16 }, () => new Float32Array(shared));
    expect(() => new Adam(views)).toThrow(/more than the 4 GiB a WebAssembly memory can hold/);
  });
});
