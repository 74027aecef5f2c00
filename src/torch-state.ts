// Optimizer state as PyTorch names it, in a safetensors file
// (src/safetensors.ts): what `exportState()` writes and `importState()` reads.
//
// torch's `optimizer.state_dict()` is { state: { index: { step, exp_avg, ... } },
// param_groups: [{ lr, betas, ..., params: [indices] }] }. As safetensors:
//
//   tensor  "state.<i>.<name>"   each state entry of parameter i: buffers as F32
//                                of the parameter's length (a reader accepts any
//                                shape with that many elements, such as torch's
//                                [out, in]); `step` and running scalars (NAdam's
//                                mu_product, ASGD's eta and mu) as F32 scalars,
//                                shape [], as torch 1.13 keeps them
//   __metadata__ "param_groups"  JSON: torch's param_groups, snake_case
//                "optimizer"     the class, e.g. "torch.optim.Adam"
//                "format"        "pt" (Hugging Face's convention for torch tensors)
//
// The names of each method come from its spec's `torch` (MethodSpec.torch;
// the registry lists them). A reader also takes `step` as F64, I64 or I32 and
// shape [1] (torch's capturable/fused step, or a Python int written as I64),
// skips torch-only flags of param_groups (foreach, capturable, differentiable,
// fused, and initial_lr, which torch's LR schedulers add) and refuses any
// other unknown name. torch's SGD (and lion-pytorch's Lion) keep no step: a
// parameter with state but no step reads as step 1. A hyperparameter the file
// lacks (torch 1.13's NAdam has no `maximize`) keeps this optimizer's value.
import type { MethodSpec, Scalars, TorchNames } from './method.js';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors.js';
import type { ParamState, StateDict } from './state-dict.js';
import { describe } from './validate.js';

/** param_groups keys of torch that change nothing in the math: read and skipped. */
const TORCH_ONLY = ['foreach', 'capturable', 'differentiable', 'fused', 'initial_lr'];

/** The method's torch names, or a clear error for a method without them. */
export function torchNamesOf(spec: MethodSpec<object, Scalars>, owner: string): TorchNames {
  if (!spec.torch) throw new TypeError(`${owner}: ${spec.name} has no PyTorch state names (MethodSpec.torch), so it cannot be written as torch state`);
  return spec.torch;
}

function scalarTensor(v: number): SafeTensor {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setFloat32(0, v, true);
  return { dtype: 'F32', shape: [], data };
}

function float32Tensor(a: Float32Array, shape: readonly number[] = [a.length]): SafeTensor {
  const data = new Uint8Array(a.length * 4);
  const view = new DataView(data.buffer);
  // bit patterns, not numbers: a NaN keeps its payload (the 8-bit methods pack four codes per float32 slot)
  const bits = new Uint32Array(a.buffer, a.byteOffset, a.length);
  for (let i = 0; i < a.length; i++) view.setUint32(4 * i, bits[i]!, true);
  return { dtype: 'F32', shape: [...shape], data };
}

/** A state dict (stateDict()) as a safetensors file with torch's names. */
export function encodeTorchState(owner: string, spec: MethodSpec<object, Scalars>, sd: StateDict<object>): Uint8Array {
  const torch = torchNamesOf(spec, owner);
  const tensors = new Map<string, SafeTensor>();
  sd.state.forEach((s, i) => {
    if (!s) return;
    for (const [key, v] of Object.entries(s)) {
      const name = key === 'step' ? 'step' : torch.state[key];
      if (name === undefined) throw new Error(`${owner}: ${spec.name}'s state entry ${key} has no torch name (MethodSpec.torch.state)`);
      // a buffer has its parameter's shape where the parameter was given one ({ data, shape }), as torch's state does
      const shape = sd.shapes?.[i];
      tensors.set(`state.${i}.${name}`, typeof v === 'number' ? scalarTensor(v) : float32Tensor(v, shape && shape.reduce((a, d) => a * d, 1) === v.length ? shape : undefined));
    }
  });
  const groups = sd.paramGroups.map((g) => {
    const ours = g as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, name] of Object.entries(torch.options)) if (key in ours) out[name] = ours[key];
    out.params = [...g.params];
    return out;
  });
  return encodeSafetensors(tensors, { format: 'pt', optimizer: torch.class, param_groups: JSON.stringify(groups) });
}

/** One number from a scalar tensor (shape [] or [1]) of the given dtypes. */
function scalarOf(bad: (why: string) => Error, where: string, t: SafeTensor, dtypes: readonly string[]): number {
  const shapeOk = t.shape.length === 0 || (t.shape.length === 1 && t.shape[0] === 1);
  if (!shapeOk || !dtypes.includes(t.dtype)) {
    throw bad(`${where} must be a scalar (shape [] or [1]) of dtype ${dtypes.join(' or ')}, got ${t.dtype} of shape [${t.shape.join(', ')}]`);
  }
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F32':
      return view.getFloat32(0, true);
    case 'F64':
      return view.getFloat64(0, true);
    case 'I32':
      return view.getInt32(0, true);
    default: {
      const v = view.getBigInt64(0, true);
      return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : NaN;
    }
  }
}

/**
 * Reads a safetensors file of torch state into a state dict for `planLoad`
 * (which checks the rest: step counts, buffers a group needs, hyperparameter
 * values). `lengths`: the parameters' element counts; `groups`: how many
 * param groups the optimizer has.
 */
export function decodeTorchState(
  owner: string, spec: MethodSpec<object, Scalars>, input: unknown, lengths: readonly number[], groups: number,
  /** floats of one parameter's state buffer, where not its length (MethodSpec.bufferLength); null: it has none */
  bufferLength?: (i: number, buffer: string) => number | null,
): StateDict<object> {
  const torch = torchNamesOf(spec, owner);
  const file = decodeSafetensors(owner, input);
  const bad = (why: string) => new RangeError(`${owner}: not ${spec.name} state in torch's names: ${why}; nothing was changed`);
  const meta = file.metadata;
  if (meta.optimizer !== undefined && meta.optimizer !== torch.class) {
    throw new TypeError(`${owner}: this file holds the state of ${JSON.stringify(meta.optimizer)}, not ${torch.class} (${spec.name}); nothing was changed`);
  }
  if (meta.format !== undefined && meta.format !== 'pt') throw bad(`__metadata__.format is ${JSON.stringify(meta.format)}, expected "pt" (torch tensors)`);
  // param_groups
  if (meta.param_groups === undefined) throw bad(`__metadata__ has no "param_groups" (torch's optimizer.state_dict()["param_groups"] as JSON)`);
  let pg: unknown;
  try {
    pg = JSON.parse(meta.param_groups);
  } catch (e) {
    throw bad(`__metadata__.param_groups is not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(pg) || pg.length !== groups) {
    throw bad(`__metadata__.param_groups must be a list of ${groups} param group(s), got ${Array.isArray(pg) ? `${pg.length}` : describe(pg)}`);
  }
  const fromTorch = new Map(Object.entries(torch.options).map(([ours, theirs]) => [theirs, ours]));
  const paramGroups = pg.map((g: unknown, gi) => {
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw bad(`param_groups[${gi}] must be an object, got ${describe(g)}`);
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(g as Record<string, unknown>)) {
      if (key === 'params') out.params = v;
      else if (fromTorch.has(key)) out[fromTorch.get(key)!] = v;
      else if (!TORCH_ONLY.includes(key)) {
        throw bad(`param_groups[${gi}] has the unknown hyperparameter ${JSON.stringify(key)} (${torch.class} has: ${[...fromTorch.keys()].join(', ')})`);
      }
    }
    if (!('params' in out)) throw bad(`param_groups[${gi}] has no "params" (the indices of its parameters)`);
    return out as { params: number[] };
  });
  // state.<i>.<name>
  const fromTorchState = new Map(Object.entries(torch.state).map(([ours, theirs]) => [theirs, ours]));
  const scalarNames: readonly string[] = spec.scalarNames ?? [];
  const state: (ParamState | null)[] = lengths.map(() => null);
  const entries: Record<string, Float32Array | number>[] = lengths.map(() => ({}));
  for (const [name, t] of file.tensors) {
    const m = /^state\.(0|[1-9][0-9]*)\.([a-z_][a-z0-9_]*)$/.exec(name);
    if (!m) throw bad(`unexpected tensor ${JSON.stringify(name)} (torch's names are state.<parameter index>.<name>)`);
    const i = Number(m[1]);
    const key = m[2]!;
    if (i >= lengths.length) throw bad(`tensor ${JSON.stringify(name)} is for parameter ${i}, but this optimizer has ${lengths.length} parameter(s)`);
    if (key === 'step') {
      entries[i]!.step = scalarOf(bad, name, t, ['F32', 'F64', 'I64', 'I32']);
      continue;
    }
    const ours = fromTorchState.get(key);
    if (ours === undefined) throw bad(`${name}: ${torch.class} keeps no ${JSON.stringify(key)} (its state: step, ${[...fromTorchState.keys()].join(', ')})`);
    if (scalarNames.includes(ours)) {
      entries[i]![ours] = scalarOf(bad, name, t, ['F32', 'F64']);
      continue;
    }
    const n = t.shape.reduce((a, b) => a * b, 1);
    const want = bufferLength ? bufferLength(i, ours) : lengths[i]!;
    if (want === null) throw bad(`${name}: parameter ${i} has no ${key} (of its shape)`);
    if (t.dtype !== 'F32' || n !== want) {
      throw bad(
        `${name} must be F32 with ${want} element(s) (parameter ${i}), got ${t.dtype} of shape [${t.shape.join(', ')}]` +
          (t.dtype !== 'F32' ? ' (wasm-optim keeps float32 state: convert with .float() in torch)' : ''),
      );
    }
    const a = new Float32Array(n);
    const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    const bits = new Uint32Array(a.buffer); // bit patterns: a NaN keeps its payload (packed 8-bit codes)
    for (let k = 0; k < n; k++) bits[k] = view.getUint32(4 * k, true);
    entries[i]![ours] = a;
  }
  entries.forEach((e, i) => {
    const keys = Object.keys(e);
    if (keys.length === 0) return;
    if (!('step' in e)) {
      if (torch.step) throw bad(`parameter ${i} has state but no state.${i}.step`);
      e.step = 1; // torch's SGD keeps no step count
    }
    state[i] = e as ParamState;
  });
  return { kind: spec.name, version: 1, state, paramGroups: paramGroups as StateDict<object>['paramGroups'] };
}
