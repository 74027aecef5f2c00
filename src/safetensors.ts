// The safetensors format (Hugging Face, github.com/huggingface/safetensors,
// README "Format"): a small, strict reader and writer. All numbers are
// little-endian.
//
//   offset  size  content
//   0       8     u64 N, byte length of the header
//   8       N     header, UTF-8 JSON object:
//                   { name: { dtype, shape: [dims], data_offsets: [begin, end] }, ...,
//                     "__metadata__" (optional): { string: string } }
//                 it starts with "{" and may end with spaces (0x20) as padding
//   8+N     ...   the byte buffer: each tensor's data, row-major, at
//                 [begin, end) relative to 8+N
//
// The spec's rules, all checked by the reader: the header fits in the file
// (and in 100 MB, the reference implementation's limit), is valid UTF-8 JSON
// without duplicate keys; each entry has a known dtype, a shape of
// non-negative integers and offsets with end - begin = product(shape) *
// size(dtype); the tensors cover the byte buffer exactly, with no overlap
// and no hole; metadata values are strings.
//
// The writer is deterministic: tensors in sorted name order, data back to
// back in that order, the header padded with spaces to a multiple of 8 bytes
// (so every tensor starts 8-byte aligned), metadata keys sorted.
import { describe } from './validate.js';
import { copyUint8, Foreign, typedArrayTag } from './input.js';

/** Bytes per element of each safetensors dtype. */
export const DTYPE_SIZES: Readonly<Record<string, number>> = Object.freeze({
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
});

/** The largest header read (the reference implementation's limit). */
export const MAX_HEADER = 100_000_000;

/** One tensor: dtype, shape and its raw little-endian bytes. */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Uint8Array;
}

/** What a safetensors file holds. */
export interface SafeTensors {
  tensors: Map<string, SafeTensor>;
  /** `__metadata__`, empty if absent */
  metadata: Record<string, string>;
}

const METADATA = '__metadata__';

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Serializes tensors and metadata, deterministically. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const names = [...tensors.keys()].sort();
  const header: Record<string, unknown> = {};
  const metaKeys = Object.keys(metadata).sort();
  if (metaKeys.length) header[METADATA] = Object.fromEntries(metaKeys.map((k) => [k, metadata[k]]));
  let off = 0;
  for (const name of names) {
    if (name === METADATA) throw new RangeError(`safetensors: a tensor cannot be named ${METADATA}`);
    const t = tensors.get(name)!;
    const size = DTYPE_SIZES[t.dtype];
    if (size === undefined || t.data.length !== product(t.shape) * size) {
      throw new RangeError(`safetensors: tensor ${JSON.stringify(name)} has ${t.data.length} bytes, not ${t.dtype} of shape [${t.shape.join(', ')}]`);
    }
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [off, off + t.data.length] };
    off += t.data.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = (json.length + 7) & ~7;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + off);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(d, at);
    at += d.length;
  }
  return out;
}

/** Duplicate keys in JSON text: JSON.parse keeps the last silently, the spec forbids them. */
function duplicateKey(text: string): string | undefined {
  // A scan of the object keys at each depth (strings are skipped whole).
  const stack: Set<string>[] = [];
  const kinds: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      const raw = text.slice(i, j + 1);
      // a key is a string followed by ':' inside an object
      let k = j + 1;
      while (k < text.length && /\s/.test(text[k]!)) k++;
      if (text[k] === ':' && kinds[kinds.length - 1] === '{') {
        const key = JSON.parse(raw) as string;
        const seen = stack[stack.length - 1]!;
        if (seen.has(key)) return key;
        seen.add(key);
      }
      i = j + 1;
    } else {
      if (c === '{' || c === '[') {
        kinds.push(c);
        stack.push(new Set());
      } else if (c === '}' || c === ']') {
        kinds.pop();
        stack.pop();
      }
      i++;
    }
  }
  return undefined;
}

/**
 * Reads a safetensors file, checking every rule of the format; `owner` names
 * the public call in errors. Returns copies of the tensors' bytes.
 */
export function decodeSafetensors(owner: string, input: unknown): SafeTensors {
  const expected = `${owner}: expected the bytes of a safetensors file (a Uint8Array)`;
  if (typedArrayTag(input) !== 'Uint8Array') throw new TypeError(`${expected}, got ${describe(input)}`);
  const copied = copyUint8(input as Uint8Array);
  if (copied instanceof Foreign) throw new TypeError(`${expected}, got ${copied.text}`);
  const bytes = copied;
  const bad = (why: string) => new RangeError(`${owner}: not a valid safetensors file: ${why}; nothing was changed`);
  if (bytes.length < 8) throw bad(`${bytes.length} bytes is too short (the header length alone takes 8)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(bytes.length - 8)) throw bad(`the header length ${n64} runs past the end of the ${bytes.length}-byte file`);
  const n = Number(n64);
  if (n > MAX_HEADER) throw bad(`the header length ${n} is over the limit of ${MAX_HEADER} bytes`);
  if (n < 2 || bytes[8] !== 0x7b) throw bad('the header does not start with "{"');
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
  } catch {
    throw bad('the header is not valid UTF-8');
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw bad(`the header is not valid JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const dup = duplicateKey(text);
  if (dup !== undefined) throw bad(`the header has the key ${JSON.stringify(dup)} twice`);
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: [string, SafeTensor & { begin: number; end: number }][] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === METADATA) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(`${METADATA} must be an object of strings, got ${describe(value)}`);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== 'string') throw bad(`${METADATA}.${k} must be a string, got ${describe(v)}`);
        // defined, not assigned: a key "__proto__" is data, not a prototype
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor ${JSON.stringify(name)}`;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(`${where} must be an object with dtype, shape and data_offsets, got ${describe(value)}`);
    const { dtype, shape, data_offsets: offsets, ...rest } = value as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length) throw bad(`${where} has the unknown key(s) ${extra.map((k) => JSON.stringify(k)).join(', ')} (it has dtype, shape and data_offsets)`);
    if (typeof dtype !== 'string' || !(dtype in DTYPE_SIZES)) {
      throw bad(`${where} has the dtype ${describe(dtype)}; known dtypes: ${Object.keys(DTYPE_SIZES).join(', ')}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`${where} must have a shape of non-negative integers, got ${describe(shape)}`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw bad(`${where} must have data_offsets [begin, end] of non-negative integers, got ${describe(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin || end > dataLength) throw bad(`${where} has data_offsets [${begin}, ${end}] outside the ${dataLength}-byte data`);
    const want = product(shape as number[]) * DTYPE_SIZES[dtype]!;
    if (end - begin !== want) {
      throw bad(`${where} is ${dtype} of shape [${(shape as number[]).join(', ')}], ${want} bytes, but its data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    entries.push([name, { dtype, shape: [...(shape as number[])], data: new Uint8Array(0), begin, end }]);
  }
  // The tensors must tile the data: sorted by begin, each starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a[1].begin - b[1].begin || a[1].end - b[1].end);
  let at = 0;
  for (const [name, t] of sorted) {
    if (t.begin < at) throw bad(`tensor ${JSON.stringify(name)} at [${t.begin}, ${t.end}] overlaps the tensor before it (which ends at ${at})`);
    if (t.begin > at) throw bad(`the data has a hole at [${at}, ${t.begin}] that no tensor covers`);
    at = t.end;
  }
  if (at !== dataLength) throw bad(`the tensors cover ${at} bytes of data but ${dataLength} are present`);
  const tensors = new Map<string, SafeTensor>();
  for (const [name, t] of entries) {
    tensors.set(name, { dtype: t.dtype, shape: t.shape, data: bytes.slice(dataStart + t.begin, dataStart + t.end) });
  }
  return { tensors, metadata };
}
