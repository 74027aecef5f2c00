// The registry (src/registry.ts): one list of optimizers, read by everything.
// These tests check that it is complete (every exported optimizer class and
// every kernel of the module belongs to an entry), that what it says about
// each class is what the class does, and the types of `optimizers`,
// `createOptimizer` and the option types.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as lib from '../src/index.js';
import {
  Adam,
  asParams,
  AdamW,
  Lion,
  Optimizer,
  createOptimizer,
  defaultOptions,
  optimizerEntry,
  optimizerNames,
  optimizers,
  ready,
  reference,
  registry,
  allOptimizers,
  closureRegistry,
  LBFGS,
  type AdamOptions,
  type AdamWOptions,
  type OptimizerName,
  type OptimizerOptions,
} from '../src/index.js';
import { SCALAR_WASM_BASE64, SIMD_WASM_BASE64 } from '../src/generated/wasm.js';
import { TFJS_KERNELS } from '../src/tfjs/kernels.js';

await ready();

/** Kernels that are not one optimizer's update: shared by the step pipeline (finiteness, clipping, flushing). */
const SHARED_KERNELS = ['allFinite', 'setFlushThreshold', 'sumSquares', 'sumAbs', 'maxAbs', 'scale', 'clampValue'];
/**
 * Building blocks that are not one optimizer's update either: the matrix products (assembly/gemm.ts) for Muon's
 * Newton-Schulz iteration, and the weight averaging of AveragedParams (assembly/averaging.ts, not an optimizer).
 */
const BUILDING_BLOCKS = ['gemm', 'gemmWorkBytes', 'swaAverage', 'emaAverage'];

function moduleExports(base64: string): string[] {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return WebAssembly.Module.exports(new WebAssembly.Module(bytes))
    .filter((e) => e.kind === 'function')
    .map((e) => e.name);
}

describe('the registry is complete', () => {
  it('every optimizer class the package exports is registered, under its own name', () => {
    const exported = Object.entries(lib)
      .filter(([, v]) => typeof v === 'function' && v.prototype instanceof Optimizer)
      .map(([k]) => k)
      .sort();
    expect(exported.length).toBeGreaterThanOrEqual(14);
    expect([...optimizerNames].sort()).toEqual(exported);
    for (const name of optimizerNames) {
      expect(optimizers[name]).toBe((lib as Record<string, unknown>)[name]);
      expect(optimizers[name].name).toBe(name);
    }
  });
  it('every kernel of the module belongs to an entry, to the shared step pipeline or to the building blocks, and every listed kernel exists', () => {
    for (const base64 of [SIMD_WASM_BASE64, SCALAR_WASM_BASE64]) {
      const exportsOf = moduleExports(base64);
      // TFJS_KERNELS: TF.js's own update rules, used only by wasm-optim/tfjs's train.*
      const claimed = new Set([...SHARED_KERNELS, ...BUILDING_BLOCKS, ...TFJS_KERNELS, ...allOptimizers.flatMap((e) => e.kernels)]);
      for (const k of [...SHARED_KERNELS, ...BUILDING_BLOCKS, ...TFJS_KERNELS]) expect(exportsOf, k).toContain(k);
      expect(exportsOf.filter((k) => !claimed.has(k))).toEqual([]);
      for (const e of allOptimizers) for (const k of e.kernels) expect(exportsOf, `${e.name}: ${k}`).toContain(k);
    }
  });
  it('closure-stepped optimizers (closure: true) have their own list, their own test, and say why the gradient tools leave them out', async () => {
    const { readFileSync, existsSync } = await import('node:fs');
    const { METHODS, METHOD_DEFS } = await import('../src/cli/compare.js');
    const { closureSkipped } = await import('./registry-cases.js');
    expect(allOptimizers.map((e) => e.name)).toEqual([...registry.map((e) => e.name), ...closureRegistry.map((e) => e.name)]);
    expect(registry.every((e) => e.closure === false)).toBe(true);
    expect(closureSkipped.map(([n]) => n)).toEqual(closureRegistry.map((e) => e.name));
    for (const e of closureRegistry) {
      expect(e.closure).toBe(true);
      expect(e.class).toBe((lib as Record<string, unknown>)[e.name]);
      expect(e.excluded).toMatch(/closure/);
      const opt = new e.class([new Float32Array(3)]);
      expect(opt.options).toEqual(e.defaults);
      opt.step(() => {
        opt.grads[0]!.set(opt.params[0]!.map((x) => x - 1));
        return opt.params[0]!.reduce((s, x) => s + (x - 1) ** 2 / 2, 0);
      });
      expect(Object.keys(opt.stateDict().state[0]!).sort()).toEqual([...e.state].sort());
      // its own test replays it
      const test = new URL(`./${e.name.toLowerCase()}.test.ts`, import.meta.url);
      expect(existsSync(test)).toBe(true);
      expect(readFileSync(test, 'utf8')).toContain(`new ${e.name}(`);
      // the CLI's comparison runs it full-batch through fit (adapted); the bench and the playground leave it out, explicitly
      expect(METHODS).toContain(e.name.toLowerCase());
      expect(METHOD_DEFS[e.name.toLowerCase()]!.batch).toBe('full');
      expect(readFileSync(new URL('../bench/optimizers.mjs', import.meta.url), 'utf8')).toContain('closureRegistry');
      expect(readFileSync(new URL('../playground/optimizers.ts', import.meta.url), 'utf8')).toContain('closureRegistry');
    }
    expect(LBFGS).toBe(closureRegistry[0]!.class);
  });
  it('every entry names its plain-JS reference', () => {
    for (const e of registry) expect(e.reference).toBe((reference as Record<string, unknown>)[e.name]);
  });
  it('optimizers, defaultOptions, registry and its entries are frozen', () => {
    expect(Object.isFrozen(optimizers)).toBe(true);
    expect(Object.isFrozen(defaultOptions)).toBe(true);
    expect(Object.isFrozen(registry)).toBe(true);
    for (const e of registry) {
      expect(Object.isFrozen(e)).toBe(true);
      expect(Object.isFrozen(e.defaults)).toBe(true);
    }
    expect(() => {
      (optimizers as Record<string, unknown>).Adam = class {};
    }).toThrow(TypeError);
    expect(optimizers.Adam).toBe(Adam);
  });
});

describe('what the registry says is what each class does', () => {
  it.each(optimizerNames)('%s: kind, default hyperparameters and state buffers', (name) => {
    const e = optimizerEntry(name);
    const p = new Float32Array([1, -2, 3]);
    const opt = createOptimizer(name, asParams(e, [p]));
    try {
      expect(opt).toBeInstanceOf(optimizers[name]);
      expect(opt.kind).toBe(name);
      const { params: _params, ...hyper } = opt.paramGroups[0] as unknown as Record<string, unknown>;
      expect(hyper).toEqual({ ...defaultOptions[name] });
      expect(Object.keys(e.rules).sort()).toEqual(Object.keys(e.defaults).sort());
      opt.step([new Float32Array([0.5, 0.25, -1])]);
      const st = opt.stateDict().state[0]!;
      const buffers = Object.keys(st).filter((k) => st[k] instanceof Float32Array);
      // lazily started buffers (SGD without momentum has none) are a subset of what is allocated
      for (const b of buffers) expect(e.buffers(e.defaults as never)).toContain(b);
    } finally {
      opt.dispose();
    }
  });
  it.each(optimizerNames)('%s: with allState a step starts every state buffer the optimizer can have', (name) => {
    const e = optimizerEntry(name);
    // a vector and a matrix: Adafactor keeps some buffers only for one kind (the others treat both alike); Muon takes matrices only (asParams)
    const opt = e.matrices
      ? createOptimizer(name, [...asParams(e, [new Float32Array([1, -2, 3])]), { data: Float32Array.from([1, -2, 3, 0.5, 1, 2]), shape: [2, 3] }] as never, e.allState as never)
      : createOptimizer(name, [new Float32Array([1, -2, 3]), { data: Float32Array.from([1, -2, 3, 0.5, 1, 2]), shape: [2, 3] }] as never, e.allState as never);
    try {
      opt.step([new Float32Array([0.5, 0.25, -1]), Float32Array.from([0.5, 0.25, -1, 1, 2, -3])]);
      const states = opt.stateDict().state.map((s) => s!);
      const started = [...new Set(states.flatMap((st) => Object.keys(st).filter((k) => st[k] instanceof Float32Array)))].sort();
      expect(started).toEqual([...e.buffers({ ...e.defaults, ...e.allState } as never)].sort());
      // and no option turns on a buffer that allState leaves off: toggling each boolean adds nothing
      for (const [k, v] of Object.entries(e.defaults)) {
        if (typeof v !== 'boolean') continue;
        // Muon's useMuon chooses between two rules (momentumBuffer, or AdamW's expAvg and expAvgSq): no group has both
        if (e.matrices && k === 'useMuon') continue;
        const more = e.buffers({ ...e.defaults, ...e.allState, [k]: !v } as never);
        for (const b of more) expect(started, `${name} ${k}: ${!v}`).toContain(b);
      }
    } finally {
      opt.dispose();
    }
  });
  it('AdamW defaults to decoupled weight decay 1e-2, Adam to none', () => {
    expect(defaultOptions.AdamW.weightDecay).toBe(0.01);
    expect(defaultOptions.Adam.weightDecay).toBe(0);
  });
});

describe('createOptimizer', () => {
  it('builds the class by name with the options given', () => {
    const opt = createOptimizer('AdamW', [new Float32Array(4)], { lr: 0.5, weightDecay: 0.1, maxGradNorm: 1 });
    expect(opt).toBeInstanceOf(AdamW);
    expect(opt.paramGroups[0]!.lr).toBe(0.5);
    expect(opt.paramGroups[0]!.weightDecay).toBe(0.1);
    opt.dispose();
  });
  it('refuses an unknown name with a RangeError that lists every valid one', () => {
    let err: Error | undefined;
    try {
      createOptimizer('Adamm' as OptimizerName, [new Float32Array(1)]);
    } catch (e) {
      err = e as Error;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(err!.message).toMatch(/^createOptimizer: unknown optimizer "Adamm"; valid names: SGD, Momentum, Adagrad, RMSprop, Adam, AdamW, /);
    for (const n of optimizerNames) expect(err!.message).toContain(n);
    expect(() => createOptimizer('adam' as OptimizerName, [new Float32Array(1)])).toThrow(/unknown optimizer "adam" \(did you mean "Adam"\?\)/);
    expect(() => createOptimizer(7 as unknown as OptimizerName, [new Float32Array(1)])).toThrow(TypeError);
    // inherited names are not optimizers
    expect(() => createOptimizer('toString' as OptimizerName, [new Float32Array(1)])).toThrow(/unknown optimizer "toString"/);
  });
  it("passes the class's own validation through", () => {
    expect(() => createOptimizer('Lion', [new Float32Array(1)], { lr: -1 })).toThrow(/Lion: invalid options\.lr: expected a finite number >= 0, got -1/);
  });
});

describe('types', () => {
  it('optimizers.X is typeof X; createOptimizer is typed by the name', () => {
    expectTypeOf(optimizers.AdamW).toEqualTypeOf<typeof AdamW>();
    expectTypeOf(optimizers.Lion).toEqualTypeOf<typeof Lion>();
    expectTypeOf<OptimizerOptions<'AdamW'>>().toMatchTypeOf<Partial<AdamWOptions>>();
    expectTypeOf<AdamWOptions>().toEqualTypeOf<AdamOptions>();
    expectTypeOf(defaultOptions.AdamW).toEqualTypeOf<Readonly<AdamWOptions>>();
    const p = [new Float32Array(2)];
    const a = createOptimizer('AdamW', p, { weightDecay: 0.1 });
    expectTypeOf(a).toEqualTypeOf<AdamW>();
    // @ts-expect-error momentum is not an AdamW option
    expect(() => createOptimizer('AdamW', p, { momentum: 0.9 })).toThrow(/unknown option "momentum"/);
    // @ts-expect-error not a registered name
    expect(() => createOptimizer('Adamm', p)).toThrow(RangeError);
    a.dispose();
  });
});
