// The benchmark suite's instruments (bench/): what they claim to measure.
// No timing here: speed is measured by `npm run bench`, never asserted.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as lib from '../src/index.js';
import { OPTIMIZERS } from '../bench/optimizers.mjs';
import { forwardBackward, paramShapes, scratch } from '../bench/mlp.mjs';
import { createProbe } from '../bench/lib/probe.mjs';
import { rng } from './helpers.js';

type Ctor = new (params: Float32Array[], options?: object) => lib.Optimizer<object>;
const classes = lib as unknown as Record<string, Ctor | undefined>;

describe('bench/optimizers.mjs', () => {
  it('covers every registered optimizer, in registry order, none skipped', () => {
    expect(OPTIMIZERS.map((o) => o.name)).toEqual([...lib.optimizerNames]);
    for (const o of OPTIMIZERS) expect(typeof classes[o.name], o.name).toBe('function');
  });

  it.each(OPTIMIZERS.map((o) => [o.name, o] as const))('%s: byte model = 12 + 8 x the state buffers one step uses, and a plain-JS loop exists', async (name, o) => {
    await lib.ready();
    const opt = new classes[name]!(lib.asParams(lib.optimizerEntry(name), [new Float32Array([0.5, -0.25, 1, 2, -3])]) as never, o.options);
    opt.step([new Float32Array([0.1, 0.2, -0.3, 0.4, 0.5])]);
    const state: Record<string, unknown> = opt.stateDict().state[0] ?? {};
    const buffers = Object.keys(state).filter((k) => state[k] instanceof Float32Array); // not step or running scalars
    opt.dispose();
    expect(o.bytes).toBe(12 + 8 * buffers.length + (o.secondPassBytes ?? 0));
    expect(typeof (lib.reference as Record<string, unknown>)[name]).toBe('object');
  });
});

describe('bench/mlp.mjs', () => {
  it('backward gives the gradient of the loss (central differences in float64)', () => {
    const sizes: [number, number, number] = [6, 5, 3];
    const batch = 4;
    const next = rng(7);
    const params = paramShapes(sizes).map((len) => Float64Array.from({ length: len }, () => next() - 0.5));
    const grads = paramShapes(sizes).map((len) => new Float64Array(len));
    const x = Float64Array.from({ length: batch * sizes[0] }, () => next());
    const labels = [0, 2, 1, 2];
    const s = scratch(sizes, batch, params[0]!);
    forwardBackward(sizes, params, grads, x, labels, s);
    const h = 1e-6;
    const scratchGrads = paramShapes(sizes).map((len) => new Float64Array(len));
    let worst = 0;
    params.forEach((p, t) => {
      for (let i = 0; i < p.length; i++) {
        const v = p[i]!;
        p[i] = v + h;
        const up = forwardBackward(sizes, params, scratchGrads, x, labels, s);
        p[i] = v - h;
        const down = forwardBackward(sizes, params, scratchGrads, x, labels, s);
        p[i] = v;
        worst = Math.max(worst, Math.abs((up - down) / (2 * h) - grads[t]![i]!));
      }
    });
    expect(worst).toBeLessThan(1e-7);
    expect(grads.every((g) => g.some((v) => v !== 0))).toBe(true);
  });
});

describe('bench/lib/probe.mjs', () => {
  it('every stream reads and writes all the memory its byte count claims', async () => {
    const probe = await createProbe(1);
    const f = new Float32Array(probe.memory.buffer, probe.base, (1024 * 1024) / 4);
    for (const c of probe.cases) {
      f.fill(0.25);
      c.fn();
      const rw = c.variant === 'rmw' ? [0] : Array.from({ length: c.arrays - 1 }, (_, i) => i + 1);
      const ro = c.variant === 'rmw' ? [] : [0];
      const scaled = Math.fround(0.25 * Math.fround(0.999));
      const want = c.variant === 'rmw' ? Math.fround(scaled + Math.fround(0.001)) : Math.fround(scaled + 0.25);
      for (const a of rw) expect(f.subarray(a * c.n, (a + 1) * c.n).every((v) => v === want), `${c.name}: array ${a}`).toBe(true);
      for (const a of ro) expect(f.subarray(a * c.n, (a + 1) * c.n).every((v) => v === 0.25), `${c.name}: array ${a}`).toBe(true);
      expect(c.bytesPerElem).toBe(c.variant === 'rmw' ? 8 : 4 + 8 * (c.arrays - 1));
    }
  });
});

describe('bench/run.mjs', () => {
  const runMjs = fileURLToPath(new URL('../bench/run.mjs', import.meta.url));
  it('names the standalone benches (gemm, threads, averaging, eightbit) in --help and in the error for an unknown --only', () => {
    const help = spawnSync(process.execPath, [runMjs, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--only=probe,kernels,many,mlp,tfjs,gemm,threads,averaging,eightbit');
    const bad = spawnSync(process.execPath, [runMjs, '--only=averagin'], { encoding: 'utf8' });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/bench: --only takes probe, kernels, many, mlp, tfjs, gemm, threads, averaging, eightbit, jaxjs; got averagin/);
  });
});
