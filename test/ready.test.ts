// Loading: before ready() nothing can be created; ready() is idempotent and
// picks the SIMD build where the engine validates it.
import { describe, expect, it } from 'vitest';
import { Adam, backendInfo, ready, simdSupported } from '../src/index.js';

describe('ready', () => {
  it('creating an optimizer before ready() resolves is a clear error', () => {
    expect(backendInfo()).toBeUndefined();
    expect(() => new Adam([new Float32Array(2)])).toThrow(/call `await ready\(\)` once before creating optimizers/);
  });

  it('is idempotent, validates its options, and selects SIMD where supported', async () => {
    await expect(ready({ simd: 'yes' } as never)).rejects.toThrow(/options.simd to be a boolean/);
    const a = await ready();
    const b = await ready();
    expect(b).toEqual(a);
    expect(simdSupported()).toBe(true); // Node 20 validates wasm SIMD
    expect(a.build).toBe('simd');
    await ready({ simd: false });
    expect(backendInfo()?.build).toBe('scalar');
    expect((await ready()).build).toBe('scalar'); // an explicit choice sticks
    const opt = new Adam([new Float32Array(2)]);
    expect(opt.step([new Float32Array([1, 1])])).toBe(true);
  });

  it('overlapping calls end on the latest request, and relaxed: false keeps a scalar choice', async () => {
    await Promise.all([ready({ simd: true }), ready({ simd: false }), ready()]);
    expect(backendInfo()?.build).toBe('scalar');
    await Promise.all([ready({ simd: false }), ready({ simd: true })]);
    expect(backendInfo()?.build).toBe('simd');
    await ready({ simd: false });
    expect((await ready({ relaxed: false })).build).toBe('scalar');
  });
});
