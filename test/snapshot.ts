// Byte-exact snapshots of an optimizer, for "nothing changed" checks: the
// bytes of every parameter, the state dict with every Float32Array as its
// bytes, and the step count.

export interface Snap {
  params: string[];
  state: unknown;
  stepCount: number;
  disposed: boolean;
}

function hex(a: Float32Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');
}

function plain(v: unknown): unknown {
  if (v instanceof Float32Array) return `f32:${hex(v)}`;
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v;
  return v;
}

export function bytesSnapshot(opt: { params: readonly Float32Array[]; stateDict(): unknown; stepCount: number; disposed: boolean }): Snap {
  if (opt.disposed) return { params: [], state: null, stepCount: -1, disposed: true };
  return { params: opt.params.map(hex), state: plain(opt.stateDict()), stepCount: opt.stepCount, disposed: false };
}
