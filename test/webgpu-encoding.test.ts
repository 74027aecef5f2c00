// wasm-optim/webgpu without a GPU: a recording stand-in for a GPUDevice shows
// what a step encodes. For every optimizer of gpuOptimizerNames, with its
// default options and with the options that use every state buffer
// (registry `allState`): each step is exactly one submitted command buffer
// with one compute pass, nothing is mapped or read back, the update
// dispatches cover every element of every tensor, and every kernel a
// method's `run` calls has a WGSL twin. The numbers themselves are checked
// on a real WebGPU implementation by test/browser/webgpu.test.ts.
import { describe, expect, it } from 'vitest';
import { registry } from '../src/index.js';
import { createGpuOptimizer, gpuOptimizerNames, type GpuOptimizerName } from '../src/webgpu/index.js';

interface Log {
  submits: number;
  passes: number;
  maps: number;
  dispatches: [number, number][];
  pipelines: string[];
}

function fakeDevice(log: Log) {
  const buffer = (size: number, usage: number) => ({ size, usage, destroy() {}, mapAsync: async () => void log.maps++, getMappedRange: () => new ArrayBuffer(size), unmap() {} });
  let current = '';
  return {
    queue: { writeBuffer() {}, submit: (cmds: unknown[]) => void (log.submits += cmds.length) },
    limits: { minStorageBufferOffsetAlignment: 256 },
    createBuffer: (d: { size: number; usage: number }) => buffer(d.size, d.usage),
    createShaderModule: (d: { code: string }) => ({ code: d.code }),
    createBindGroupLayout: () => ({}),
    createPipelineLayout: () => ({}),
    createComputePipeline: (d: { label?: string }) => ({ label: d.label ?? '' }),
    createBindGroup: () => ({}),
    createCommandEncoder: () => ({
      beginComputePass: () => {
        log.passes++;
        return {
          setPipeline: (p: { label: string }) => void (current = p.label),
          setBindGroup() {},
          dispatchWorkgroups: (x: number, y = 1) => {
            log.pipelines.push(current);
            log.dispatches.push([x, y]);
          },
          end() {},
        };
      },
      copyBufferToBuffer() {},
      finish: () => ({}),
    }),
  };
}

const STORAGE = 0x80, COPY_SRC = 0x4, COPY_DST = 0x8;
const LENGTHS = [1, 300, 70_000];

describe('wasm-optim/webgpu step encoding (no GPU)', () => {
  const cases = gpuOptimizerNames.flatMap((name) => {
    const entry = registry.find((e) => e.name === name)!;
    return [
      [name, 'defaults', {}] as const,
      [name, 'allState', entry.allState as Record<string, unknown>] as const,
    ];
  });
  it.each(cases)('%s (%s): one submission per step, no readback, every element covered', (name, _what, options) => {
    const log: Log = { submits: 0, passes: 0, maps: 0, dispatches: [], pipelines: [] };
    const device = fakeDevice(log);
    const params = LENGTHS.map((n) => ({ buffer: device.createBuffer({ size: 4 * n, usage: STORAGE | COPY_SRC | COPY_DST }), length: n }));
    const grads = LENGTHS.map((n) => device.createBuffer({ size: 4 * n, usage: STORAGE }));
    const opt = createGpuOptimizer(device as never, name as GpuOptimizerName, params as never, { ...options, maxGradNorm: 1 } as never);
    for (let t = 1; t <= 3; t++) {
      log.dispatches = [];
      log.pipelines = [];
      const before = log.submits;
      opt.step(grads as never);
      expect(log.submits - before).toBe(1);
      expect(log.passes).toBe(t);
      const updates = log.dispatches.filter((_, i) => !/gradient/.test(log.pipelines[i]!) && log.pipelines[i] !== 'wasm-optim lambMoments');
      expect(updates.length).toBe(LENGTHS.length);
      updates.forEach(([x, y], i) => expect(x * y * 256).toBeGreaterThanOrEqual(LENGTHS[i]!));
      // the check: one partial dispatch per tensor and one final
      expect(log.pipelines.filter((p) => /gradient/.test(p)).length).toBe(LENGTHS.length + 1);
    }
    expect(log.maps).toBe(0);
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    expect(() => opt.step(grads as never)).toThrow(/used after dispose\(\)/);
  });

  // src/webgpu/plan.ts: views into one parameter buffer and one gradient buffer are ONE update dispatch
  it.each(gpuOptimizerNames.map((n) => [n] as const))('%s: a group of views is one update dispatch (table at gaps, flat back to back; Lamb: two per tensor)', (name) => {
    for (const [layout, lengths, stride] of [['table', [1, 300, 70_000], (n: number) => Math.ceil((4 * n) / 256) * 256 + 256], ['flat', [64, 128, 300], (n: number) => 4 * n]] as const) {
      const log: Log = { submits: 0, passes: 0, maps: 0, dispatches: [], pipelines: [] };
      const device = fakeDevice(log);
      const offsets: number[] = [];
      let end = 0;
      for (const n of lengths) {
        offsets.push(end);
        end += stride(n);
      }
      const pb = device.createBuffer({ size: end, usage: STORAGE | COPY_SRC | COPY_DST });
      const gb = device.createBuffer({ size: end, usage: STORAGE });
      const params = lengths.map((n, i) => ({ buffer: pb, offset: offsets[i], length: n }));
      const grads = lengths.map((_, i) => ({ buffer: gb, offset: offsets[i] }));
      const opt = createGpuOptimizer(device as never, name as GpuOptimizerName, params as never, { checkFinite: false } as never);
      opt.step(grads as never);
      if (name === 'Lamb') {
        expect(log.dispatches.length).toBe(2 * lengths.length);
      } else {
        expect(log.dispatches.length).toBe(1);
        expect(log.pipelines[0]!.endsWith(':table')).toBe(layout === 'table');
        const [x, y] = log.dispatches[0]!;
        expect(x * y).toBeGreaterThanOrEqual(layout === 'table' ? lengths.reduce((a, n) => a + Math.ceil(n / 256), 0) : Math.ceil(lengths.reduce((a, n) => a + n, 0) / 256));
      }
      opt.dispose();
    }
  });

  it('refuses bad arguments before anything is submitted', () => {
    const log: Log = { submits: 0, passes: 0, maps: 0, dispatches: [], pipelines: [] };
    const device = fakeDevice(log);
    const b = device.createBuffer({ size: 64, usage: STORAGE | COPY_SRC });
    const opt = createGpuOptimizer(device as never, 'Adam', [{ buffer: b as never, length: 16 }]);
    expect(() => opt.step([device.createBuffer({ size: 16, usage: STORAGE }) as never])).toThrow(/grads\[0\] needs 64 bytes at offset 0, but its GPUBuffer has 16 bytes/);
    expect(() => opt.step([device.createBuffer({ size: 64, usage: COPY_DST }) as never])).toThrow(/grads\[0\]'s GPUBuffer needs GPUBufferUsage\.STORAGE/);
    expect(() => createGpuOptimizer(device as never, 'Adam', [{ buffer: b as never, length: 16, offset: 4 }])).toThrow(/params\[0\]\.offset must be a byte offset >= 0 and a multiple of 256/);
    expect(() => createGpuOptimizer(device as never, 'Adam', [{ buffer: b as never, length: 8 }, { buffer: b as never, length: 8 }])).toThrow(/params\[1\] overlaps another parameter/);
    expect(() => createGpuOptimizer(device as never, 'Adam', [{ buffer: b as never, length: 16 }], { betas: [1, 0.9] } as never)).toThrow(/Adam: invalid options\.betas/);
    expect(log.submits).toBe(0);
  });
});
