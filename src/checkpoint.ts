// The binary checkpoint format (version 1). All numbers little-endian.
//
//   offset  size  content
//   0       8     magic "WOPTCKPT"
//   8       4     u32 format version (1)
//   12      4     u32 H, byte length of the header
//   16      H     header, UTF-8 JSON:
//                   { kind, shapes: [per parameter: its length n, or its
//                     shape [d0, d1, ...] when given as { data, shape }],
//                     params: bool,
//                     paramGroups: [{ ...hyperparameters, params: [indices] }],
//                     state: [null | { step, buffers: [names], lengths? }
//                       per parameter; `lengths` (floats per buffer) only
//                       where a buffer is not the parameter's length, as
//                       Adafactor's row and column factors],
//                     schedule (optional): { schedulers: [state dicts],
//                       initialLr: [per group] | null } }
//   16+H    pad   zero bytes up to a multiple of 4
//   ...     4*k   float32 data, per parameter in order: its values (when
//                 header.params), then each state buffer named in the header
//                 (per-parameter numbers other than buffers, such as NAdam's
//                 muProduct, travel in the header as `scalars`), then each
//                 blob named in header.blobs, in order
//   end-4   4     u32 CRC-32 (IEEE) of every byte before it
//
// `schedule` is present only when save() was given schedulers, so a
// checkpoint without them is byte for byte what earlier releases wrote (and
// earlier releases read one with it, ignoring it). A reader checks, in order:
// length, magic, version, CRC, header, then that the data length matches the
// header exactly. Nothing is written to an optimizer until everything has
// been checked (Optimizer.load).
import CRC32 from 'crc-32';
import type { ParamState, StateDict } from './state-dict.js';
import { describe } from './validate.js';
import { bufferOf, byteOffsetOf, copyUint8, Foreign, lengthOf, MAX_DEPTH, typedArrayTag } from './input.js';

/** The deepest nesting of [ and { in UTF-8 JSON bytes (outside strings), stopping early past MAX_DEPTH. */
function jsonDepth(bytes: Uint8Array, from: number, to: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = from; i < to; i++) {
    const c = bytes[i]!;
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
      if (max > MAX_DEPTH) return max;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

const MAGIC = 'WOPTCKPT';
export const CHECKPOINT_VERSION = 1;
const FIXED = 16;

/** The schedulers' part of a checkpoint (plain JSON data; Optimizer.load has the schedulers check it). */
export interface CheckpointSchedule {
  schedulers: ({ kind: string } & Record<string, unknown>)[];
  initialLr: number[] | null;
}

interface Header {
  kind: string;
  shapes: (number | number[])[];
  params: boolean;
  paramGroups: Record<string, unknown>[];
  state: ({ step: number; buffers: string[]; lengths?: number[]; scalars?: Record<string, number> } | null)[];
  schedule?: CheckpointSchedule;
  blobs?: { name: string; length: number }[];
  extra?: Record<string, unknown>;
}

/** State that is not per parameter (LBFGS): float32 vectors by name, and plain JSON data. */
export interface CheckpointExtra {
  blobs: [string, Float32Array][];
  extra: Record<string, unknown>;
}

export function encodeCheckpoint(
  sd: StateDict<object>, shapes: (number | number[])[], params?: readonly Float32Array[], schedule?: CheckpointSchedule, more?: CheckpointExtra,
): Uint8Array {
  const header: Header = {
    kind: sd.kind,
    shapes,
    params: params !== undefined,
    paramGroups: sd.paramGroups as Record<string, unknown>[],
    state: sd.state.map((s, i) => {
      if (!s) return null;
      const keys = Object.keys(s).filter((k) => k !== 'step');
      const buffers = keys.filter((k) => typeof s[k] !== 'number');
      const numbers = keys.filter((k) => typeof s[k] === 'number');
      const entry: { step: number; buffers: string[]; lengths?: number[]; scalars?: Record<string, number> } = { step: s.step, buffers };
      const n = shapes[i]!;
      const size = typeof n === 'number' ? n : n.reduce((a, d) => a * d, 1);
      const lengths = buffers.map((b) => lengthOf(s[b] as Float32Array));
      if (lengths.some((l) => l !== size)) entry.lengths = lengths; // absent for every elementwise method: their bytes are unchanged
      if (numbers.length) entry.scalars = Object.fromEntries(numbers.map((k) => [k, s[k] as number]));
      return entry;
    }),
  };
  if (schedule) header.schedule = schedule;
  if (more) {
    header.blobs = more.blobs.map(([name, a]) => ({ name, length: lengthOf(a) }));
    header.extra = more.extra;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const dataStart = (FIXED + json.length + 3) & ~3;
  const arrays: Float32Array[] = [];
  shapes.forEach((_, i) => {
    if (params) arrays.push(params[i]!);
    const s = sd.state[i];
    for (const b of header.state[i]?.buffers ?? []) arrays.push(s![b] as Float32Array);
  });
  for (const [, a] of more?.blobs ?? []) arrays.push(a);
  const floats = arrays.reduce((acc, a) => acc + lengthOf(a), 0);
  const out = new Uint8Array(dataStart + 4 * floats + 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < MAGIC.length; i++) out[i] = MAGIC.charCodeAt(i);
  view.setUint32(8, CHECKPOINT_VERSION, true);
  view.setUint32(12, json.length, true);
  out.set(json, FIXED);
  let off = dataStart;
  for (const a of arrays) {
    // Float32Array is platform-endian; every engine this runs on is little-endian.
    const n = lengthOf(a);
    out.set(new Uint8Array(bufferOf(a), byteOffsetOf(a), 4 * n), off);
    off += 4 * n;
  }
  view.setUint32(off, CRC32.buf(out.subarray(0, off)) >>> 0, true);
  return out;
}

export interface DecodedCheckpoint {
  stateDict: StateDict<object>;
  /** every parameter's length */
  shapes: number[];
  /** every parameter's shape where the checkpoint records one */
  dims: (number[] | undefined)[];
  params: Float32Array[] | undefined;
  /** the schedulers' state, if save() was given schedulers */
  schedule: CheckpointSchedule | undefined;
  /** blobs and extra data (LBFGS), if the header has them */
  more: { blobs: Map<string, Float32Array>; extra: Record<string, unknown> } | undefined;
}

export function decodeCheckpoint(owner: string, input: unknown): DecodedCheckpoint {
  if (typedArrayTag(input) !== 'Uint8Array') throw new TypeError(`${owner}: expected the Uint8Array written by save(), got ${describe(input)}`);
  // Work on a private copy only, read through the intrinsics (a lying length or subarray of the caller's object is never used).
  const copied = copyUint8(input as Uint8Array);
  if (copied instanceof Foreign) throw new TypeError(`${owner}: expected the Uint8Array written by save(), got ${copied.text}`);
  const bytes = copied;
  const bad = (why: string) => new RangeError(`${owner}: not a valid wasm-optim checkpoint: ${why}; nothing was changed`);
  if (bytes.length < FIXED + 4) throw bad(`${bytes.length} bytes is too short`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC.charCodeAt(i)) throw bad('the magic header "WOPTCKPT" is missing (foreign data)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== CHECKPOINT_VERSION) {
    throw bad(`format version ${version}; this library reads version ${CHECKPOINT_VERSION}${version > CHECKPOINT_VERSION ? ' (written by a newer wasm-optim?)' : ''}`);
  }
  const end = bytes.length - 4;
  const crc = CRC32.buf(bytes.subarray(0, end)) >>> 0;
  if (crc !== view.getUint32(end, true)) throw bad('the checksum does not match (truncated or corrupted)');
  const hlen = view.getUint32(12, true);
  if (FIXED + hlen > end) throw bad(`the header length ${hlen} runs past the end`);
  const depth = jsonDepth(bytes, FIXED, FIXED + hlen);
  if (depth > MAX_DEPTH) throw bad(`the header nests more than ${MAX_DEPTH} levels deep (a valid one nests at most 6)`);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(FIXED, FIXED + hlen)));
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object') throw bad('the header is not an object');
  const { kind, shapes: given, params, paramGroups, state, schedule, blobs, extra } = header;
  if (typeof kind !== 'string') throw bad('the header has no optimizer kind');
  const whole = (n: unknown) => Number.isSafeInteger(n) && (n as number) >= 0;
  if (!Array.isArray(given) || !given.every((s) => whole(s) || (Array.isArray(s) && s.length <= 16 && s.every(whole)))) throw bad('the header has no valid parameter shapes');
  const shapes = given.map((s) => (Array.isArray(s) ? s.reduce((a, d) => a * d, 1) : s));
  if (!shapes.every((n) => Number.isSafeInteger(n))) throw bad('the header has no valid parameter shapes');
  const dims = given.map((s) => (Array.isArray(s) ? s : undefined));
  if (typeof params !== 'boolean') throw bad('the header does not say whether parameters are included');
  if (!Array.isArray(paramGroups) || !Array.isArray(state) || state.length !== shapes.length) throw bad('the header has no valid groups or state');
  if (schedule !== undefined && !validSchedule(schedule)) throw bad('the header has no valid schedule');
  let floats = 0;
  for (const [i, s] of state.entries()) {
    if (params) floats += shapes[i]!;
    if (s === null) continue;
    if (
      typeof s !== 'object' ||
      !Array.isArray(s.buffers) ||
      !s.buffers.every((b) => typeof b === 'string' && /^[a-z][A-Za-z0-9]*$/.test(b) && b !== 'step') ||
      new Set(s.buffers).size !== s.buffers.length ||
      (s.scalars !== undefined &&
        (s.scalars === null ||
          typeof s.scalars !== 'object' ||
          Array.isArray(s.scalars) ||
          !Object.entries(s.scalars).every(([k, v]) => /^[a-z][A-Za-z0-9]*$/.test(k) && k !== 'step' && !s.buffers.includes(k) && typeof v === 'number'))) ||
      (s.lengths !== undefined && (!Array.isArray(s.lengths) || s.lengths.length !== s.buffers.length || !s.lengths.every(whole)))
    ) {
      throw bad(`the state of parameter ${i} is malformed`);
    }
    for (let j = 0; j < s.buffers.length; j++) floats += s.lengths ? s.lengths[j]! : shapes[i]!;
  }
  if (blobs !== undefined || extra !== undefined) {
    if (
      !Array.isArray(blobs) ||
      !blobs.every((b) => b !== null && typeof b === 'object' && typeof b.name === 'string' && Number.isSafeInteger(b.length) && b.length >= 0) ||
      new Set(blobs.map((b) => b.name)).size !== blobs.length ||
      extra === null || typeof extra !== 'object' || Array.isArray(extra)
    ) {
      throw bad('the header has malformed blobs or extra data');
    }
    for (const b of blobs) floats += b.length;
  }
  const dataStart = (FIXED + hlen + 3) & ~3;
  if (dataStart + 4 * floats !== end) {
    throw bad(`the header describes ${4 * floats} bytes of data but ${end - dataStart} are present`);
  }
  // Copy the data out (this also aligns it).
  const data = new Float32Array(floats);
  new Uint8Array(data.buffer).set(bytes.subarray(dataStart, end));
  let off = 0;
  const take = (n: number) => data.subarray(off, (off += n));
  const outParams: Float32Array[] = [];
  const outState: (ParamState | null)[] = state.map((s, i) => {
    if (params) outParams.push(take(shapes[i]!));
    if (s === null) return null;
    const ps: ParamState = { step: s.step, ...(s.scalars ?? {}) };
    s.buffers.forEach((b, j) => (ps[b] = take(s.lengths ? s.lengths[j]! : shapes[i]!)));
    return ps;
  });
  const more = blobs && extra ? { blobs: new Map(blobs.map((b) => [b.name, take(b.length)] as const)), extra } : undefined;
  return {
    stateDict: { kind, version: 1, state: outState, paramGroups: paramGroups as StateDict<object>['paramGroups'] },
    shapes,
    dims,
    params: params ? outParams : undefined,
    schedule,
    more,
  };
}

/** The shape of a schedule: scheduler state dicts (objects with a kind) and null or an array of numbers. */
function validSchedule(s: unknown): s is CheckpointSchedule {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return false;
  const { schedulers, initialLr } = s as Record<string, unknown>;
  return (
    Array.isArray(schedulers) &&
    schedulers.length > 0 &&
    schedulers.every((d) => d !== null && typeof d === 'object' && !Array.isArray(d) && typeof (d as { kind?: unknown }).kind === 'string') &&
    (initialLr === null || (Array.isArray(initialLr) && initialLr.every((v) => typeof v === 'number')))
  );
}
