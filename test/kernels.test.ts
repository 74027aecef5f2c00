// Every kernel, called directly on raw memory: the f32x4 build must give the
// same float32 results as the scalar build (its scalar reference; WebAssembly
// float arithmetic is IEEE-exact and neither build fuses multiply-adds), at
// every length that exercises the SIMD tail and at unaligned addresses.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernels } from '../src/wasm.js';
import { randn, rng, kernelInstance } from './helpers.js';


interface KernelCase {
  kernel: keyof Kernels;
  /** state buffers after p and g; 'pos' ones hold non-negative values */
  state: ('pos' | 'any')[];
  /** scalar arguments after n */
  args: number[];
  /** flush threshold set before the call (default: the module's FLT_MIN) */
  tiny?: number;
}

const cases: KernelCase[] = [
  { kernel: 'sgd', state: [], args: [0.1, 0.01, 1] },
  { kernel: 'sgd', state: [], args: [0.1, 0, -1] },
  { kernel: 'sgdMomentum', state: ['any'], args: [0.1, 0.9, 0.8, 0, 0.9, 0.01, 1] },
  { kernel: 'sgdMomentum', state: ['any'], args: [0.05, 0.9, 1, 1, 0.9, 0, -1] },
  { kernel: 'sgdMomentum', state: ['any'], args: [0.05, 0.9, 1, 1, 0.9, 0.01, -1] },
  { kernel: 'sgdMomentum', state: ['any'], args: [0.05, 0.5, 0.7, 0, 0.5, 0, -1] },
  { kernel: 'momentum', state: ['any'], args: [0.01, 0.9, 0.001, 1] },
  { kernel: 'momentum', state: ['any'], args: [0.01, 0.9, 0, -1] },
  { kernel: 'adagrad', state: ['pos'], args: [0.01, 1e-10, 0.01, 1] },
  { kernel: 'adagrad', state: ['pos'], args: [0.01, 1e-10, 0, -1] },
  { kernel: 'rmsprop', state: ['pos'], args: [0.01, 0.99, 1e-8, 0, 1] },
  { kernel: 'rmsprop', state: ['pos'], args: [0.01, 0.99, 1e-8, 0.01, -1] },
  { kernel: 'rmsprop', state: ['pos'], args: [0.01, 0.99, 1e-8, 0, -1] },
  { kernel: 'rmspropMomentum', state: ['pos', 'any'], args: [0.01, 0.9, 0.9, 1e-6, 0.01, -1] },
  { kernel: 'rmspropCentered', state: ['pos', 'any'], args: [0.01, 0.99, 1e-8, 0, 1] },
  { kernel: 'rmspropCentered', state: ['pos', 'any'], args: [0.01, 0.99, 1e-8, 0, -1] },
  { kernel: 'rmspropCenteredMomentum', state: ['pos', 'any', 'any'], args: [0.01, 0.99, 0.5, 1e-8, 0.1, 1] },
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 1e-8, 0.01, 1, 1] },
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 3.1, 0.8, 0.99, 1e-8, 0, 0.999, -1] },
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 3.1, 0.8, 0.99, 1e-8, 0.1, 1, -1] },
  { kernel: 'adamAmsgrad', state: ['any', 'pos', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 1e-8, 0.01, 1, -1] },
  { kernel: 'adamAmsgrad', state: ['any', 'pos', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 1e-8, 0, 1, 1] },
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 3.1, 0.8, 0.99, 1e-8, 0, 0.999, -1], tiny: 0 },
  { kernel: 'adamAmsgrad', state: ['any', 'pos', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 1e-8, 0.01, 1, -1], tiny: 0 },
  { kernel: 'adadelta', state: ['pos', 'pos'], args: [1.0, 0.9, 1e-6, 0.01, 1] },
  { kernel: 'adadelta', state: ['pos', 'pos'], args: [0.5, 0.5, 1e-3, 0, -1] },
  { kernel: 'adamax', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 1e-8, 0.01, 1] },
  { kernel: 'adamax', state: ['any', 'pos'], args: [0.05, 0.8, 0.95, 1e-3, 0, -1] },
  { kernel: 'nadam', state: ['any', 'pos'], args: [0.01, 0.02, 1.2, 0.9, 0.999, 1e-8, 0.01, 1, 1] },
  { kernel: 'nadam', state: ['any', 'pos'], args: [0.01, 0.02, 3.1, 0.8, 0.99, 1e-8, 0, 0.999, -1] },
  { kernel: 'radam', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 1e-8, 0.01, 1, 1] },
  { kernel: 'radam', state: ['any', 'pos'], args: [0.02, 0.8, 0.9, 1e-3, 0, 0.999, -1] },
  { kernel: 'radamUnrectified', state: ['any', 'pos'], args: [0.5, 0.9, 0.999, 0.01, 1, 1] },
  // Rprop does not move an element whose gradient changed sign (the check below knows it).
  { kernel: 'rprop', state: ['any', 'pos'], args: [0.5, 1.2, 1e-6, 50, -1] },
  { kernel: 'rprop', state: ['any', 'pos'], args: [0.3, 1.5, 0.05, 0.2, -1] },
  { kernel: 'rpropFirst', state: ['any', 'pos'], args: [0.01, 0.5, 1.2, 1e-6, 50, -1] },
  { kernel: 'asgd', state: ['any'], args: [0.01, 0.01, 0.999, 1] },
  { kernel: 'asgdAverage', state: ['any'], args: [0.01, 0.25, 0.01, 0.999, -1] },
  { kernel: 'lion', state: ['any'], args: [1e-3, 0.9, 0.99, 0.999, 1] },
  { kernel: 'lion', state: ['any'], args: [1e-3, 0.9, 0.99, 0.999, 0.3] },
  { kernel: 'lion', state: ['any'], args: [0.1, 0, 0.5, 1, 1] },
  // decoupled decay (decay != 1) with folded and with coupled gradients
  { kernel: 'nadam', state: ['any', 'pos'], args: [0.01, 0.02, 1.2, 0.9, 0.999, 1e-8, 0, 0.999, -1] },
  { kernel: 'nadam', state: ['any', 'pos'], args: [0.01, 0.02, 1.2, 0.9, 0.999, 1e-8, 0, 0.999, 0.7] },
  { kernel: 'radam', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 1e-8, 0, 0.999, -1] },
  { kernel: 'radamUnrectified', state: ['any', 'pos'], args: [0.5, 0.9, 0.999, 0, 0.99, 0.4] },
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 3.1, 0.8, 0.99, 1e-8, 0, 0.999, 0.6] },
  { kernel: 'adamax', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 1e-8, 0, 0.3] },
  { kernel: 'adadelta', state: ['pos', 'pos'], args: [1.0, 0.9, 1e-6, 0, 0.3] },
  { kernel: 'asgd', state: ['any'], args: [0.01, 0, 1, -1] },
  { kernel: 'asgdAverage', state: ['any'], args: [0.01, 0.25, 0, 0.999, 0.5] },
  { kernel: 'lion', state: ['any'], args: [1e-3, 0.9, 0.99, 1, -1] },
  { kernel: 'rprop', state: ['any', 'pos'], args: [0.5, 1.2, 1e-6, 50, 1] },
  { kernel: 'sgdMomentum', state: ['any'], args: [0.05, 0.9, 1, 0, 0.9, 0, 0.5] },
  { kernel: 'rmspropMomentum', state: ['pos', 'any'], args: [0.01, 0.9, 0.9, 1e-6, 0, -1] },
  // eps = 0 (the same variants as eps > 0: 0/0 is NaN as in PyTorch; the TS layer zeroes padding lanes)
  { kernel: 'adam', state: ['any', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 0, 0, 1, 1] },
  { kernel: 'adamAmsgrad', state: ['any', 'pos', 'pos'], args: [0.01, 1.2, 0.9, 0.999, 0, 0.01, 0.99, -1] },
  { kernel: 'nadam', state: ['any', 'pos'], args: [0.01, 0.02, 1.2, 0.9, 0.999, 0, 0, 1, 1] },
  { kernel: 'radam', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 0, 0, 1, -1] },
  { kernel: 'adagrad', state: ['pos'], args: [0.01, 0, 0, 1] },
  { kernel: 'rmsprop', state: ['pos'], args: [0.01, 0.99, 0, 0, 1] },
  { kernel: 'rmspropCenteredMomentum', state: ['pos', 'any', 'any'], args: [0.01, 0.99, 0.5, 0, 0.1, 1] },
  { kernel: 'adamax', state: ['any', 'pos'], args: [0.01, 0.9, 0.999, 0, 0, 1] },
  { kernel: 'adadelta', state: ['pos', 'pos'], args: [1.0, 0.9, 0, 0, 1] },
  // weight averaging (a, p, n, k | w): SWA's divide, EMA's lerp on both sides of w = 0.5
  { kernel: 'swaAverage', state: [], args: [3] },
  { kernel: 'swaAverage', state: [], args: [7] },
  { kernel: 'emaAverage', state: [], args: [1 - 0.999] },
  { kernel: 'emaAverage', state: [], args: [1 - 0.9] },
  { kernel: 'emaAverage', state: [], args: [0.5] },
  { kernel: 'emaAverage', state: [], args: [1 - 0.25] },
];
// every case also with the flush compiled out (threshold 0, as on 15 of 16 steps)
cases.push(...cases.filter((c) => c.tiny === undefined).map((c) => ({ ...c, tiny: 0 })));

const SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 1000, 1023];

/** Runs one kernel on fresh memory of the given build; returns p and the state buffers afterwards. */
function run(build: 'simd' | 'scalar', c: KernelCase, n: number, misalign: number, seed: number): Float32Array[] {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const k = kernelInstance(build, memory);
  const next = rng(seed);
  const stride = 4 * (n + 8);
  const bufs = 2 + c.state.length;
  const addr = Array.from({ length: bufs }, (_, i) => 64 + misalign + i * stride);
  const views = addr.map((a) => new Float32Array(memory.buffer, a, n));
  views[0]!.set(randn(next, n));
  views[1]!.set(randn(next, n));
  c.state.forEach((kind, i) => {
    const r = randn(next, n, 0.1);
    views[2 + i]!.set(kind === 'pos' ? r.map((x) => x * x + 0.01) : r);
  });
  if (c.kernel === 'rmspropCentered' || c.kernel === 'rmspropCenteredMomentum') {
    // keep sq >= ga^2 so sqrt(sq - ga^2) stays real
    const sq = views[2]!;
    const ga = views[3]!;
    for (let i = 0; i < n; i++) ga[i] = ga[i]! * 0.1;
    for (let i = 0; i < n; i++) sq[i] = sq[i]! + ga[i]! * ga[i]!;
  }
  if (c.tiny !== undefined) k.setFlushThreshold(c.tiny);
  const before = views.map((v) => v.slice());
  (k[c.kernel] as (...a: number[]) => void)(...addr, n, ...c.args);
  lastInputs = before;
  return [views[0]!, ...views.slice(2)].map((v) => v.slice());
}
/** p, g and the state buffers as the last `run` received them. */
let lastInputs: Float32Array[] = [];

/**
 * Every element of p moved. Rprop leaves an element whose gradient changed sign where it
 * is (d*prev < 0, d = gscale*g, gscale its last argument), and only those.
 */
function expectEveryLaneMoved(c: KernelCase, before: Float32Array[], after: Float32Array, where: string) {
  const [p0, g] = before;
  const gsign = c.args[c.args.length - 1]!;
  for (let i = 0; i < after.length; i++) {
    const still = (c.kernel === 'rprop' || c.kernel === 'rpropFirst') && gsign * g![i]! * before[2]![i]! < 0;
    if (still ? after[i] !== p0![i] : after[i] === p0![i]) expect.fail(`${c.kernel} ${where}: p[${i}] ${still ? 'moved' : 'did not move'} (${p0![i]} -> ${after[i]})`);
  }
}

describe('SIMD kernels equal their scalar build', () => {
  it.each(cases.map((c, i) => [`${c.kernel} #${i}`, c] as const))('%s', (_name, c) => {
    for (const n of SIZES) {
      for (const misalign of [0, 4]) {
        const a = run('simd', c, n, misalign, n * 31 + misalign);
        const inputs = lastInputs;
        const b = run('scalar', c, n, misalign, n * 31 + misalign);
        a.forEach((arr, t) => {
          for (let i = 0; i < n; i++) {
            if (!Object.is(arr[i], b[t]![i])) {
              expect.fail(`${c.kernel} n=${n} misalign=${misalign} buffer ${t}[${i}]: simd ${arr[i]} != scalar ${b[t]![i]}`);
            }
          }
        });
        // the update did something: p moved for every element (rprop: every element it may move)
        expectEveryLaneMoved(c, inputs, a[0]!, `n=${n} misalign=${misalign}`);
      }
    }
  });
});

describe('reduction and clip kernels equal their scalar build', () => {
  /** Runs `f` on fresh memory of a build holding x at 64 + misalign; returns its result and x afterwards. */
  function on(build: 'simd' | 'scalar', x: Float32Array, misalign: number, f: (k: Kernels, at: number, n: number) => number | void) {
    const memory = new WebAssembly.Memory({ initial: 2 });
    const k = kernelInstance(build, memory);
    const at = 64 + misalign;
    const view = new Float32Array(memory.buffer, at, x.length);
    view.set(x);
    return { r: f(k, at, x.length), x: view.slice() };
  }
  const kernels: [string, (k: Kernels, at: number, n: number) => number | void][] = [
    ['sumSquares', (k, a, n) => k.sumSquares(a, n)],
    ['sumAbs', (k, a, n) => k.sumAbs(a, n)],
    ['maxAbs', (k, a, n) => k.maxAbs(a, n)],
    ['scale', (k, a, n) => k.scale(a, n, 0.3)],
    ['clampValue', (k, a, n) => k.clampValue(a, n, -0.5, 0.7)],
  ];
  it.each(kernels)('%s', (name, f) => {
    for (const n of [...SIZES, 4097, 10007]) {
      for (const misalign of [0, 4]) {
        const next = rng(n * 7 + misalign);
        // magnitudes over many decades, so a different summation order shows in the last bits
        const x = randn(next, n).map((v, i) => v * 10 ** ((i % 15) - 7));
        const a = on('simd', x, misalign, f);
        const b = on('scalar', x, misalign, f);
        if (!Object.is(a.r, b.r)) expect.fail(`${name} n=${n} misalign=${misalign}: simd ${a.r} != scalar ${b.r}`);
        for (let i = 0; i < n; i++) {
          if (!Object.is(a.x[i], b.x[i])) expect.fail(`${name} n=${n} misalign=${misalign} x[${i}]: simd ${a.x[i]} != scalar ${b.x[i]}`);
        }
      }
    }
  });
});

describe.each(['simd', 'scalar'] as const)('%s build', (build) => {
  function kernels(n: number) {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = kernelInstance(build, memory);
    return { k, f: new Float32Array(memory.buffer, 64, 4 * n) };
  }

  it('allFinite finds NaN and +-Infinity at every lane and in the tail', () => {
    for (const n of [1, 3, 4, 5, 8, 9, 16, 17, 40, 41]) {
      for (let pos = 0; pos < n; pos++) {
        for (const bad of [NaN, Infinity, -Infinity]) {
          const { k, f } = kernels(n);
          f.fill(1.5);
          expect(k.allFinite(64, n)).toBe(1);
          f[pos] = bad;
          expect(k.allFinite(64, n), `n=${n} pos=${pos} value=${bad}`).toBe(0);
        }
      }
    }
    const { k, f } = kernels(8);
    f.fill(3.4e38);
    expect(k.allFinite(64, 8)).toBe(1);
    expect(k.allFinite(64, 0)).toBe(1);
  });

  it('flushes subnormal moments to zero and keeps NaN', () => {
    const n = 9;
    const memory = new WebAssembly.Memory({ initial: 1 });
    const k = kernelInstance(build, memory);
    const [p, g, m, v] = [64, 256, 512, 768];
    const f = (a: number) => new Float32Array(memory.buffer, a, n);
    f(p).fill(1);
    f(g).fill(0);
    f(m).fill(1e-36);
    f(v).fill(1e-36);
    f(m)[8] = NaN;
    // m*0.9 and v*0.999 fall below FLT_MIN (1.18e-38) after a few steps
    for (let s = 0; s < 6; s++) k.adam(p, g, m, v, n, 1e-3, 1, 0.01, 0.01, 1e-8, 0, 1, 1);
    for (let i = 0; i < 8; i++) {
      expect(f(m)[i]).toBe(0);
      expect(f(v)[i]).toBe(0);
    }
    expect(f(m)[8]).toBeNaN();
  });
});
