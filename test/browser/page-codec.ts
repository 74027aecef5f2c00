// The fixtures' encoding (base64 of little-endian float32 bytes) inside a
// browser page, where there is no Buffer: the test pages share these.

/** base64 -> Float32Array (a fresh, aligned copy). */
export function f32(b64: string): Float32Array {
  const s = atob(b64);
  const u = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) u[i] = s.charCodeAt(i);
  return new Float32Array(u.buffer);
}

/** Float32Array -> base64 of its bytes. */
export function b64(a: Float32Array): string {
  const u = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  let s = '';
  for (let i = 0; i < u.length; i += 0x8000) s += String.fromCharCode(...u.subarray(i, i + 0x8000));
  return btoa(s);
}
