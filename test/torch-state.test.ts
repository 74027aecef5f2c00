// PyTorch-compatible optimizer state (exportState / importState, safetensors),
// against real PyTorch 1.13.1: test/fixtures/torch-state/ is written by
// tools/fixtures/generate_torch_state.py (see there). Both directions resume a
// run mid-way and must follow torch's continued trajectory; every registered
// optimizer round-trips; malformed files are refused and change nothing.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Adam, SGD, createOptimizer, optimizerEntry, ready, registry, type Optimizer, type OptimizerName } from '../src/index.js';
import { decodeSafetensors, encodeSafetensors } from '../src/safetensors.js';
import { everyOptimizer } from './registry-cases.js';
import { conformance, randn, rng, snapshot } from './helpers.js';

beforeAll(() => ready());

interface Leg {
  file: string;
  paramsAtK: number[][];
  grads: number[][][];
  trajectory: number[][][];
  /** torch's state after the M steps: tensor name -> values (flat; steps and scalars as one number) */
  finalState: Record<string, number[]>;
}
interface Case {
  name: OptimizerName;
  options: Record<string, unknown>;
  warmupGrads: number[][][];
  fromTorch: Leg;
  fromWasm: Leg;
}
interface Fixture {
  generator: string;
  torch: string;
  K: number;
  M: number;
  groups: number[][];
  init: number[][];
  torchNames: Record<string, { state: string[]; param_groups: string[] }>;
  cases: Case[];
}

const dir = new URL('./fixtures/torch-state/', import.meta.url);
const fixture = JSON.parse(readFileSync(new URL('trajectories.json', dir), 'utf8')) as Fixture;
const fileOf = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const f32 = (a: number[]) => Float32Array.from(a);

/** The case's optimizer over `params` in the fixture's two groups (the second at lr / 2), with `lr` in place of the case's. */
function make(c: Case, params: Float32Array[], lr = c.options.lr as number): Optimizer<object> {
  const [g0, g1] = fixture.groups as [number[], number[]];
  const groups = [{ params: g0.map((i) => params[i]!) }, { params: g1.map((i) => params[i]!), lr: lr / 2 }];
  return createOptimizer(c.name, groups as never, { ...c.options, lr } as never) as Optimizer<object>;
}

/**
 * Steps with the recorded gradients: each step's parameters, and the state
 * after the last (read back through exportState, by torch's names), must
 * match torch's within the conformance rule.
 */
function follow(opt: Optimizer<object>, leg: Leg): void {
  leg.grads.forEach((g, t) => {
    opt.step(g.map(f32));
    const { ratio, where } = conformance(opt.params, leg.trajectory[t]!.map(f32));
    expect(ratio, `step ${t + 1} after the move: ${where}`).toBeLessThanOrEqual(1);
  });
  const mine = decodeSafetensors('test', opt.exportState()).tensors;
  for (const [name, ref] of Object.entries(leg.finalState)) {
    // torch's SGD keeps no step: it carries the step wasm-optim wrote without counting on
    if (name.endsWith('.step') && !optimizerEntry(opt.kind).torch.step) continue;
    const t = mine.get(name);
    expect(t, name).toBeDefined();
    const values = Float32Array.from(new Float32Array(t!.data.slice().buffer));
    const { ratio, where } = conformance([values], [f32(ref)]);
    expect(ratio, `${name} after ${leg.grads.length} steps: ${where}`).toBeLessThanOrEqual(1);
    // running scalars (NAdam's mu_product shrinks geometrically, far below the absolute tolerance): 1e-5 relative
    if (t!.shape.length === 0 && !name.endsWith('.step')) expect(Math.abs(values[0]! - ref[0]!), name).toBeLessThanOrEqual(1e-5 * Math.abs(ref[0]!));
  }
}

describe('torch state fixtures', () => {
  it('were recorded from PyTorch 1.13 by the generator', () => {
    expect(fixture.generator).toBe('tools/fixtures/generate_torch_state.py');
    expect(fixture.torch).toMatch(/^1\.13/);
    expect(fixture.cases.map((c) => c.name)).toEqual(['Adam', 'AdamW', 'SGD', 'RMSprop', 'Adagrad', 'Adadelta', 'Adamax', 'NAdam', 'RAdam', 'Rprop', 'ASGD']);
  });
});

describe.each(fixture.cases.map((c) => [c.name, c] as const))('%s state between torch and wasm-optim', (_name, c) => {
  it("torch -> wasm-optim: importState of torch's file resumes torch's trajectory", () => {
    const leg = c.fromTorch;
    // another lr at construction: the hyperparameters must come from the file
    const opt = make(c, leg.paramsAtK.map(f32), 1);
    opt.importState(fileOf(leg.file));
    expect(opt.stepCount).toBe(c.name === 'SGD' ? 1 : fixture.K); // torch's SGD keeps no step count
    expect(opt.paramGroups.map((g) => (g as unknown as { lr: number }).lr)).toEqual([c.options.lr, (c.options.lr as number) / 2]);
    follow(opt, leg);
    opt.dispose();
  });

  it("wasm-optim -> torch: exportState is the committed file torch resumed, and wasm-optim's continuation matches torch's", () => {
    const leg = c.fromWasm;
    const opt = make(c, fixture.init.map(f32));
    for (const g of c.warmupGrads) opt.step(g.map(f32));
    expect(opt.params.map((p) => Array.from(p))).toEqual(leg.paramsAtK);
    expect(opt.exportState()).toEqual(fileOf(leg.file));
    follow(opt, leg);
    opt.dispose();
  });

  it('torch -> wasm-optim -> torch: a re-export keeps the state torch wrote', () => {
    const torchFile = decodeSafetensors('test', fileOf(c.fromTorch.file));
    const opt = make(c, c.fromTorch.paramsAtK.map(f32));
    opt.importState(fileOf(c.fromTorch.file));
    const again = decodeSafetensors('test', opt.exportState());
    // the same tensors (plus a step per parameter where torch keeps none: SGD)
    const extra = [...again.tensors.keys()].filter((k) => !torchFile.tensors.has(k));
    expect(extra.every((k) => k.endsWith('.step')) && (extra.length === 0 || c.name === 'SGD'), `extra: ${extra.join(', ')}`).toBe(true);
    for (const [name, t] of torchFile.tensors) {
      const mine = again.tensors.get(name)!;
      if (t.dtype === 'I64') {
        // torch 1.13's RMSprop, Adadelta and Rprop keep an int step (written as I64); wasm-optim writes F32, as Adam's
        expect(mine.dtype, name).toBe('F32');
        expect(new DataView(mine.data.buffer).getFloat32(0, true), name).toBe(Number(new DataView(t.data.buffer).getBigInt64(0, true)));
      } else expect(mine.data, name).toEqual(t.data);
    }
    opt.dispose();
  });
});

describe('torch names in the registry', () => {
  const TORCH_ONLY = ['foreach', 'capturable', 'differentiable', 'fused'];
  /** torch.optim classes added after the torch 1.13.1 the fixtures were recorded with (Adafactor: torch 2.5) */
  const NEWER_THAN_FIXTURE_TORCH = ['Adafactor'];
  it.each(registry.map((e) => [e.name, e] as const))('%s: names every hyperparameter, buffer and running scalar', (_n, e) => {
    const t = e.torch;
    expect(t, 'registry entry torch').toBeDefined();
    expect(Object.isFrozen(t) && Object.isFrozen(t.state) && Object.isFrozen(t.options)).toBe(true);
    expect(Object.keys(t.options).sort()).toEqual(Object.keys(e.defaults).sort());
    const state = [...e.buffers({ ...e.defaults, ...e.allState } as never)];
    for (const b of state) expect(t.state[b], b).toMatch(/^[a-z][a-z0-9_]*$/);
    for (const v of [...Object.values(t.options), ...Object.values(t.state)]) expect(v).toMatch(/^[a-z][a-z0-9_]*$/);
    expect(new Set(Object.values(t.state)).size).toBe(Object.values(t.state).length);
    const names = fixture.torchNames[e.name];
    if (NEWER_THAN_FIXTURE_TORCH.includes(e.name)) {
      // torch.optim classes the recorded torch 1.13 lacks: names from the transcribed 2.x source
      expect(names).toBeUndefined();
      expect(t.class).toBe(e.follows);
    } else if (e.follows.startsWith('torch.optim.')) {
      expect(names, 'recorded from torch').toBeDefined();
      expect(t.class).toBe(e.follows);
      // every key torch 1.13 writes is named (newer keys, e.g. NAdam's maximize from torch 2.2, may be extra)
      for (const k of names!.state) expect(k === 'step' || Object.values(t.state).includes(k), `state ${k}`).toBe(true);
      for (const k of names!.param_groups) expect(TORCH_ONLY.includes(k) || Object.values(t.options).includes(k), `param_groups ${k}`).toBe(true);
      for (const v of Object.values(t.state)) expect(names!.state, `our ${v} is one of torch's`).toContain(v);
      expect(t.step).toBe(names!.state.includes('step'));
    } else {
      expect(names).toBeUndefined();
      expect(t.note).toMatch(/no torch\.optim twin/);
    }
  });
});

describe.each(everyOptimizer.map((c) => [c.name, c] as const))('%s exportState/importState', (_n, c) => {
  const SIZES = [3, 17, 1, 64];
  const init = (seed: number) => SIZES.map((n) => randn(rng(seed + n), n));
  const grads = (seed: number) => SIZES.map((n) => randn(rng(seed * 7 + n), n));

  it('round-trips export -> import -> export byte for byte, mid-run and before any step', () => {
    for (const steps of [0, 5]) {
      const a = c.makeGroups(init(1));
      for (let t = 0; t < steps; t++) a.step(grads(t));
      const bytes = a.exportState();
      const b = c.makeGroups(init(2), { lr: 0.5 });
      b.importState(bytes);
      expect(b.exportState(), `after ${steps} steps`).toEqual(bytes);
      // the state dict comes back, numbers as float32 (torch keeps step and running scalars as float32 tensors)
      const want = a.stateDict();
      for (const s of want.state) if (s) for (const k of Object.keys(s)) if (typeof s[k] === 'number') s[k] = Math.fround(s[k] as number);
      expect(b.stateDict(), `after ${steps} steps`).toEqual(want);
      a.dispose();
      b.dispose();
    }
  });
});

// ---- hostile input ----

/** A safetensors file by hand: 8-byte length, header text, data. */
function raw(header: string, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

/** The header object and data of a file (read here by hand, not with src/safetensors.ts). */
function parts(file: Uint8Array): { header: Record<string, Record<string, unknown>>; data: Uint8Array } {
  const n = Number(new DataView(file.buffer, file.byteOffset).getBigUint64(0, true));
  return { header: JSON.parse(new TextDecoder().decode(file.subarray(8, 8 + n))), data: file.slice(8 + n) };
}

/** The file with its header changed by `edit` (data unchanged unless `edit` returns new data). */
function mutate(file: Uint8Array, edit: (h: Record<string, Record<string, unknown>>, data: Uint8Array) => Uint8Array | void): Uint8Array {
  const { header, data } = parts(file);
  const d = edit(header, data) ?? data;
  return raw(JSON.stringify(header), d);
}

function groupsOf(h: Record<string, Record<string, unknown>>): Record<string, unknown>[] {
  return JSON.parse(h.__metadata__!.param_groups as string);
}
function setGroups(h: Record<string, Record<string, unknown>>, g: unknown): void {
  h.__metadata__!.param_groups = JSON.stringify(g);
}

describe('importState refuses malformed and mismatched files and changes nothing', () => {
  it.each([['from wasm-optim'], ['from torch']])('%s', (from) => {
    const params = [new Float32Array(6).fill(0.5), new Float32Array(5).fill(-1), new Float32Array(4).fill(2)];
    const adamCase = fixture.cases.find((c) => c.name === 'Adam')!;
    const base = from === 'from torch' ? fileOf(adamCase.fromTorch.file) : (() => {
      const a = make(adamCase, params.map((p) => p.slice()));
      for (const g of adamCase.warmupGrads) a.step(g.map(f32));
      const bytes = a.exportState();
      a.dispose();
      return bytes;
    })();
    const b = make(adamCase, params.map((p) => p.slice()));
    b.step([new Float32Array(6).fill(0.1), new Float32Array(5).fill(0.2), new Float32Array(4).fill(0.3)]);
    const before = snapshot(b);
    const sgd = new SGD([new Float32Array(6), new Float32Array(5), new Float32Array(4)], { momentum: 0.9 });
    sgd.step([new Float32Array(6).fill(1), new Float32Array(5).fill(1), new Float32Array(4).fill(1)]);
    const f64 = (n: number) => new Uint8Array(new Float64Array(n).buffer);
    const bad: [string, unknown, RegExp][] = [
      ['not bytes', [1, 2, 3], /expected the bytes of a safetensors file \(a Uint8Array\), got \[1, 2, 3\]/],
      ['a Float32Array', new Float32Array(4), /expected the bytes of a safetensors file \(a Uint8Array\), got a Float32Array/],
      ['a Proxy around the bytes', new Proxy(base, {}), /expected the bytes of a safetensors file \(a Uint8Array\)/],
      ['empty', new Uint8Array(0), /0 bytes is too short/],
      ['truncated data', base.subarray(0, base.length - 3), /cover \d+ bytes of data but \d+ are present|outside the \d+-byte data/],
      ['truncated header', base.subarray(0, 40), /header length \d+ runs past the end of the 40-byte file/],
      ['header length beyond the file', raw('{}', new Uint8Array(0), 1n << 60n), /header length 1152921504606846976 runs past the end/],
      ['a header that is not an object', raw('[1, 2]  '), /does not start with "\{"/],
      ['bad JSON', raw('{"a": }'), /not valid JSON/],
      ['bad UTF-8', (() => { const x = raw('{"a":1}'); x[10] = 0xff; return x; })(), /not valid UTF-8/],
      ['a duplicate key', raw('{"state.0.step":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"state.0.step":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}', new Uint8Array(4)), /the key "state\.0\.step" twice/],
      ['an unknown dtype', mutate(base, (h) => { h['state.0.exp_avg']!.dtype = 'F33'; }), /tensor "state\.0\.exp_avg" has the dtype "F33"; known dtypes: BOOL/],
      ['a negative dimension', mutate(base, (h) => { h['state.0.exp_avg']!.shape = [-6]; }), /shape of non-negative integers, got \[-6\]/],
      ['a shape that disagrees with the byte count', mutate(base, (h) => { h['state.0.exp_avg']!.shape = [7]; }), /F32 of shape \[7\], 28 bytes, but its data_offsets \[\d+, \d+\] hold 24/],
      ['offsets out of range', mutate(base, (h) => { h['state.0.exp_avg']!.data_offsets = [1e6, 1e6 + 24]; }), /data_offsets \[1000000, 1000024\] outside the \d+-byte data/],
      ['overlapping offsets', mutate(base, (h) => { const o = h['state.1.exp_avg']!.data_offsets as number[]; h['state.1.exp_avg']!.data_offsets = [o[0]! - 4, o[1]! - 4]; }), /overlaps the tensor before it|has a hole/],
      ['a hole in the data', mutate(base, (h, d) => { for (const t of Object.values(h)) { const o = t.data_offsets as number[] | undefined; if (o) t.data_offsets = [o[0]! + 4, o[1]! + 4]; } const x = new Uint8Array(d.length + 4); x.set(d, 4); return x; }), /a hole at \[0, 4\]/],
      ['trailing bytes', mutate(base, (_h, d) => { const x = new Uint8Array(d.length + 8); x.set(d); return x; }), /cover \d+ bytes of data but \d+ are present/],
      ['an unknown key in an entry', mutate(base, (h) => { h['state.0.exp_avg']!.offset = 0; }), /unknown key\(s\) "offset"/],
      ['non-string metadata', mutate(base, (h) => { h.__metadata__!.format = 1 as never; }), /__metadata__\.format must be a string, got 1/],
      ['metadata that is not an object', mutate(base, (h) => { h.__metadata__ = 'pt' as never; }), /__metadata__ must be an object of strings/],
      ['another optimizer', sgd.exportState(), /holds the state of "torch\.optim\.SGD", not torch\.optim\.Adam \(Adam\)/],
      ['another format', mutate(base, (h) => { h.__metadata__!.format = 'tf'; }), /format is "tf", expected "pt"/],
      ['no param_groups', mutate(base, (h) => { delete h.__metadata__!.param_groups; }), /has no "param_groups"/],
      ['param_groups not JSON', mutate(base, (h) => { h.__metadata__!.param_groups = '[{'; }), /param_groups is not valid JSON/],
      ['one param group too few', mutate(base, (h) => setGroups(h, groupsOf(h).slice(0, 1))), /a list of 2 param group\(s\), got 1/],
      ['an unknown hyperparameter', mutate(base, (h) => setGroups(h, groupsOf(h).map((g) => ({ ...g, nesterov: true })))), /unknown hyperparameter "nesterov" \(torch\.optim\.Adam has: lr, betas/],
      ['a bad hyperparameter value', mutate(base, (h) => setGroups(h, groupsOf(h).map((g) => ({ ...g, lr: -1 })))), /paramGroups\[0\]\.lr/],
      ['other parameter indices', mutate(base, (h) => setGroups(h, groupsOf(h).map((g, i) => ({ ...g, params: i ? [0] : [1, 2] })))), /paramGroups\[0\]\.params must be \[0, 1\]/],
      ['a foreign tensor name', mutate(base, (h) => { h.exp_avg = h['state.0.exp_avg']!; delete h['state.0.exp_avg']; }), /unexpected tensor "exp_avg" \(torch's names are state\.<parameter index>\.<name>\)/],
      ['a parameter index out of range', mutate(base, (h) => { h['state.9.exp_avg'] = h['state.0.exp_avg']!; delete h['state.0.exp_avg']; }), /"state\.9\.exp_avg" is for parameter 9, but this optimizer has 3/],
      ['a state entry Adam does not keep', mutate(base, (h) => { h['state.0.momentum_buffer'] = h['state.0.exp_avg']!; delete h['state.0.exp_avg']; }), /torch\.optim\.Adam keeps no "momentum_buffer"/],
      ['a buffer of the wrong length', mutate(base, (h) => { const x = h['state.0.exp_avg']!; const y = h['state.1.exp_avg']!; h['state.0.exp_avg'] = y; h['state.1.exp_avg'] = x; }), /state\.0\.exp_avg must be F32 with 6 element\(s\) \(parameter 0\), got F32 of shape \[5\]/],
      ['a float64 buffer', mutate(base, (h, d) => {
        const o = h['state.2.exp_avg']!.data_offsets as number[];
        h['state.2.exp_avg']!.dtype = 'F64';
        const shift = 16;
        for (const t of Object.values(h)) { const p = t.data_offsets as number[] | undefined; if (p && p[0]! > o[0]!) t.data_offsets = [p[0]! + shift, p[1]! + shift]; }
        h['state.2.exp_avg']!.data_offsets = [o[0]!, o[1]! + shift];
        const x = new Uint8Array(d.length + shift);
        x.set(d.subarray(0, o[0]!));
        x.set(f64(4), o[0]!);
        x.set(d.subarray(o[1]!), o[0]! + 32);
        return x;
      }), /state\.2\.exp_avg must be F32 with 4 element\(s\) \(parameter 2\), got F64 of shape \[4\] \(wasm-optim keeps float32 state: convert with \.float\(\) in torch\)/],
      ['a step that is not a scalar', mutate(base, (h) => { h['state.0.step']!.shape = [1, 1]; }), /state\.0\.step must be a scalar \(shape \[\] or \[1\]\) of dtype F32 or F64 or I64 or I32, got F32 of shape \[1, 1\]/],
      ['a fractional step', mutate(base, (h, d) => { const o = h['state.1.step']!.data_offsets as number[]; new DataView(d.buffer).setFloat32(o[0]!, 2.5, true); }), /state\[1\]\.step must be an integer >= 0, got 2\.5/],
      ['a missing step', mutate(base, (h, d) => {
        const o = h['state.1.step']!.data_offsets as number[];
        delete h['state.1.step'];
        for (const t of Object.values(h)) { const p = t.data_offsets as number[] | undefined; if (p && p[0]! >= o[1]!) t.data_offsets = [p[0]! - 4, p[1]! - 4]; }
        return new Uint8Array([...d.subarray(0, o[0]!), ...d.subarray(o[1]!)]);
      }), /parameter 1 has state but no state\.1\.step/],
      ['a missing buffer', mutate(base, (h, d) => {
        const o = h['state.1.max_exp_avg_sq']!.data_offsets as number[];
        delete h['state.1.max_exp_avg_sq'];
        for (const t of Object.values(h)) { const p = t.data_offsets as number[] | undefined; if (p && p[0]! >= o[1]!) t.data_offsets = [p[0]! - (o[1]! - o[0]!), p[1]! - (o[1]! - o[0]!)]; }
        return new Uint8Array([...d.subarray(0, o[0]!), ...d.subarray(o[1]!)]);
      }), /maxExpAvgSq/],
    ];
    for (const [what, bytes, re] of bad) {
      expect(() => b.importState(bytes as Uint8Array), what).toThrow(re);
      expect(snapshot(b), what).toEqual(before);
    }
    // and the file itself still loads
    b.importState(base);
    expect(b.stepCount).toBe(fixture.K);
    [b, sgd].forEach((o) => o.dispose());
  });
});

describe('the safetensors writer', () => {
  it('pads the header with spaces to 8 bytes, sorts the names and lays the data out back to back', () => {
    const t = (v: number[]) => ({ dtype: 'F32', shape: [v.length], data: new Uint8Array(Float32Array.from(v).buffer) });
    const bytes = encodeSafetensors(new Map([['b', t([1, 2])], ['a', t([3])]]), { z: '1', format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + n));
    expect(text).toBe(`${'{"__metadata__":{"format":"pt","z":"1"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}'.padEnd(n, ' ')}`);
    expect(Array.from(new Float32Array(bytes.slice(8 + n).buffer))).toEqual([3, 1, 2]);
  });

  it('reads a file with no metadata and no tensors, and a header padded with spaces', () => {
    expect(decodeSafetensors('test', raw('{}'))).toEqual({ tensors: new Map(), metadata: {} });
    const proto = decodeSafetensors('test', raw('{"__metadata__":{"__proto__":"x"}}')).metadata;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
    const d = decodeSafetensors('test', raw('{"x":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}   ', new Uint8Array(8).fill(1)));
    expect(d.tensors.get('x')).toEqual({ dtype: 'I64', shape: [], data: new Uint8Array(8).fill(1) });
  });

  it('exportState of a disposed optimizer is refused', () => {
    const a = new Adam([new Float32Array(2)]);
    a.dispose();
    expect(() => a.exportState()).toThrow(/exportState\(\) was used after dispose/);
    expect(() => a.importState(new Uint8Array(0))).toThrow(/importState\(\) was used after dispose/);
  });
});

describe('importState fuzzing', () => {
  it('hundreds of mutated files never crash and never load partially', () => {
    const c = fixture.cases.find((x) => x.name === 'Adam')!;
    const file = fileOf(c.fromTorch.file);
    const b = make(c, c.fromTorch.paramsAtK.map(f32));
    b.step(c.fromTorch.grads[0]!.map(f32));
    const before = snapshot(b);
    const next = rng(7);
    let loaded = 0;
    for (let k = 0; k < 400; k++) {
      const x = file.slice();
      const flips = 1 + Math.floor(next() * 3);
      // mutate the length, the header or the data
      for (let f = 0; f < flips; f++) x[Math.floor(next() * (next() < 0.5 ? 8 + 600 : x.length))] = Math.floor(next() * 256);
      const bytes = next() < 0.2 ? x.subarray(0, Math.floor(next() * x.length)) : x;
      try {
        b.importState(bytes);
        loaded++;
        b.importState(fileOf(c.fromTorch.file)); // a data-only change may load: put the state back
        b.loadStateDict((before as { state: never }).state);
      } catch (e) {
        expect(e, `mutation ${k}`).toBeInstanceOf(Error);
        expect((e as Error).message, `mutation ${k}`).toMatch(/^Adam\.(importState|loadStateDict)/);
        expect(snapshot(b), `mutation ${k}`).toEqual(before);
      }
    }
    expect(loaded).toBeLessThan(400);
    b.dispose();
  });
});
