// The memory-bandwidth probe on its own (bench/lib/probe.mjs): streams over
// 1 GiB of WebAssembly memory (past the 300 MiB L3: DRAM) with trivial arithmetic, so their speed is the
// memory system's.
//
//   rmw         one 1 GiB array, x = x*a + b: 8 bytes per element (the "RMW bandwidth")
//   pattern B   one array read (g) and k arrays read and written, 1 GiB in all:
//               B = 4 + 8k bytes per element, the access pattern of SGD (12),
//               Momentum/Adagrad/RMSprop (20) and Adam (28)
import { workerData, parentPort } from 'node:worker_threads';
import { createProbe } from './lib/probe.mjs';
import { runCases } from './lib/suite.mjs';

if (!parentPort) throw new Error('bench/bandwidth-worker.mjs runs as a worker thread started by bench/run.mjs');
const port = parentPort;

const { timing, megabytes } = workerData;
const probe = await createProbe(megabytes);
const cases = probe.cases.map((c) => ({
  name: c.name,
  meta: { impl: 'probe', variant: c.variant, n: c.n, bytesPerElem: c.bytesPerElem },
  setup: () => ({ fn: c.fn }),
}));
// benchmark.js's calibration cycles warm each stream up before its samples.
const records = await runCases(`memory bandwidth, ${megabytes} MB`, cases, timing);
port.postMessage({ type: 'done', records });
