// wasm-optim, measured in its own worker. Tasks:
//
//   kernels  every optimizer at one size n, along the two step paths and with
//            and without the finiteness check, then the scalar build:
//              copy               opt.step(grads) with caller-owned Float32Arrays (the default)
//              copy-nocheck       the same with { checkFinite: false }
//              zero-copy          grads written into opt.grads once, then opt.step()
//              zero-copy-nocheck  the same with { checkFinite: false }: the kernel alone
//              scalar             zero-copy-nocheck on the scalar build (ready({ simd: false }))
//            At n >= probeAtN (16M) each optimizer is then timed against the
//            memory probe (bench/lib/probe.mjs) in paired rounds: one kernel
//            step (zero-copy, no check), one RMW stream, one stream with the
//            optimizer's own access pattern, repeated; its share of the
//            bandwidth is the median of the per-round ratios, which a machine
//            whose load changes from second to second cannot skew.
//   many     Adam over many small tensors against flat buffers of the same total
import { workerData, parentPort } from 'node:worker_threads';
import * as lib from 'wasm-optim';
import { optimizerByName } from './optimizers.mjs';
import { median, randomArray, sizeLabel } from './lib/common.mjs';
import { postProgress, runCases } from './lib/suite.mjs';
import { createProbe } from './lib/probe.mjs';

if (!parentPort) throw new Error('bench/wasm-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

const { task, timing } = workerData;
const info = await lib.ready();
const records = [];

/** One case: an optimizer over `shapes` (tensor lengths) on one path. */
function stepCase(o, shapes, variant, meta) {
  const copy = variant.startsWith('copy');
  const checkFinite = !variant.endsWith('nocheck') && variant !== 'scalar';
  return {
    name: `${o.name} ${variant} ${meta.tensors > 1 ? `${meta.tensors}x${sizeLabel(shapes[0])}` : sizeLabel(meta.n)}`,
    meta: { impl: 'wasm-optim', variant, optimizer: o.name, bytesPerElem: o.bytes, ...meta },
    setup() {
      const params = shapes.map((len, i) => randomArray(len, 1 + 2 * i));
      const grads = shapes.map((len, i) => randomArray(len, 2 + 2 * i));
      const opt = new lib[o.name](lib.asParams(lib.optimizerEntry(o.name), params), { ...o.options, checkFinite });
      let fn;
      if (copy) fn = () => opt.step(grads);
      else {
        opt.grads.forEach((slot, i) => slot.set(grads[i]));
        fn = () => opt.step();
      }
      return { fn, dispose: () => opt.dispose() };
    },
  };
}

/** Kernel and probe streams in alternation (see the top of this file). */
function paired(o, n, probe, rounds) {
  const opt = new lib[o.name](lib.asParams(lib.optimizerEntry(o.name), [randomArray(n, 1)]), { ...o.options, checkFinite: false });
  opt.grads[0].set(randomArray(n, 2));
  const streams = [{ fn: () => opt.step(), n, bytes: o.bytes }, probe.cases[0]];
  const same = probe.cases.find((c) => c.bytesPerElem === o.bytes);
  if (same) streams.push(same);
  const secs = streams.map(() => /** @type {number[]} */ ([]));
  for (let r = -2; r < rounds; r++) {
    streams.forEach((s, i) => {
      const t0 = performance.now();
      s.fn();
      const t = (performance.now() - t0) / 1e3;
      if (r >= 0) secs[i].push(t);
    });
  }
  opt.dispose();
  const gbs = (i, r) => (streams[i].n * (streams[i].bytes ?? streams[i].bytesPerElem)) / secs[i][r] / 1e9;
  const rs = [...secs[0].keys()];
  return {
    impl: 'wasm-optim',
    variant: 'paired with probe',
    optimizer: o.name,
    n,
    bytesPerElem: o.bytes,
    rounds,
    medianSec: median(secs[0]),
    rme: NaN,
    samples: rounds,
    rmwGBs: median(rs.map((r) => gbs(1, r))),
    patternGBs: same ? median(rs.map((r) => gbs(2, r))) : undefined,
    shareOfRmw: median(rs.map((r) => gbs(0, r) / gbs(1, r))),
    shareOfPattern: same ? median(rs.map((r) => gbs(0, r) / gbs(2, r))) : undefined,
    sampleSec: secs[0],
    rmwSec: secs[1],
    patternSec: secs[2],
  };
}

if (task === 'kernels') {
  const { n, optimizers, variants, scalar, probeAtN, pairedRounds, probeMB = 1024 } = workerData;
  const probe = n >= probeAtN ? await createProbe(probeMB) : undefined;
  for (const name of optimizers) {
    const o = optimizerByName(name);
    if (typeof lib[name] !== 'function') continue;
    const cases = variants.map((v) => stepCase(o, [n], v, { n, tensors: 1 }));
    records.push(...(await runCases(`wasm-optim ${info.build} ${name} n=${sizeLabel(n)}`, cases, timing)));
    if (probe) {
      const record = paired(o, n, probe, pairedRounds);
      postProgress(record);
      records.push(record);
    }
  }
  if (scalar.length) {
    await lib.ready({ simd: false });
    for (const name of scalar) {
      const o = optimizerByName(name);
      if (typeof lib[name] !== 'function') continue;
      records.push(...(await runCases(`wasm-optim scalar ${name} n=${sizeLabel(n)}`, [stepCase(o, [n], 'scalar', { n, tensors: 1 })], timing)));
    }
  }
} else if (task === 'many') {
  const { layouts, variants } = workerData;
  const o = optimizerByName('Adam');
  for (const { tensors, size } of layouts) {
    const shapes = new Array(tensors).fill(size);
    const cases = variants.map((v) => stepCase(o, shapes, v, { n: tensors * size, tensors, tensorSize: size }));
    records.push(...(await runCases(`wasm-optim many tensors ${tensors}x${size}`, cases, timing)));
  }
} else {
  throw new Error(`bench/wasm-worker: unknown task ${task}`);
}
port.postMessage({ type: 'done', records, build: info.build });
