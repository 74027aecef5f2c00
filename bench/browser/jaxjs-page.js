// Adam in a cross-origin isolated Chromium page (bench/jaxjs-browser.mjs):
// wasm-optim on 1 and 2 threads (its Web Workers pool) and jax-js with its
// own Web Workers (its wasm backend starts navigator.hardwareConcurrency of
// them where SharedArrayBuffer exists), side by side in paired rounds, then
// the cross-check of bench/jaxjs.mjs. Query: sizes=16384,1048576,16777216&rounds=5 (3 at 16M).
import * as lib from '../../dist/wasm-optim.browser.js';
import * as jax from '../../node_modules/@jax-js/jax/dist/index.js';
import { jaxAdams, wasmOptimAdam } from '../lib/jaxjs-adam.mjs';
import { median, sampleAsync } from '../lib/sample.mjs';

const query = new URLSearchParams(location.search);
const SIZES = (query.get('sizes') ?? '16384,1048576,16777216').split(',').map(Number);
const ROUNDS = Number(query.get('rounds') ?? 5);
const SAMPLE_MS = 50;
const H = { lr: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-8 };
const param = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 0.5);
const grad = (n, t = 0) => Float32Array.from({ length: n }, (_, i) => Math.cos(i * 0.7 + t) * 0.01);

const devices = await jax.init('wasm');
const adams = jaxAdams(jax, H);
const info = await lib.ready({ threads: 2 });

const wasmOptim = (n, threads) => wasmOptimAdam(lib, H, param(n), grad(n), threads);
const IMPLS = [
  { name: 'wasm-optim, 1 thread', make: (n) => wasmOptim(n, 1) },
  { name: 'wasm-optim, 2 threads', make: (n) => wasmOptim(n, 2) },
  { name: `jax-js, optax-style, its ${navigator.hardwareConcurrency} workers`, make: (n) => adams.make('optax', param(n), grad(n)) },
  { name: `jax-js, scalar bias corrections, its ${navigator.hardwareConcurrency} workers`, make: (n) => adams.make('scalars', param(n), grad(n)) },
];
const sample = (impl) => sampleAsync(impl, SAMPLE_MS);

const rows = [];
for (const n of SIZES) {
  const live = IMPLS.map((d) => ({ ...d, impl: d.make(n), ms: [] }));
  for (const l of live) {
    for (let i = 0; i < 3; i++) l.impl.step();
    await l.impl.sync();
  }
  const rounds = n >= 1 << 24 ? Math.min(ROUNDS, 3) : ROUNDS; // jax-js's optax-style step takes seconds at 16M
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < live.length; k++) {
      const l = live[(k + r) % live.length];
      l.ms.push(await sample(l.impl));
    }
  }
  for (const l of live) {
    l.impl.dispose();
    rows.push({ n, impl: l.name, ms: median(l.ms), rounds });
  }
}

const CHECK_N = 1 << 20;
const check = [];
{
  const ref = wasmOptim(CHECK_N, 2);
  const jaxes = [adams.make('optax', param(CHECK_N), grad(CHECK_N)), adams.make('scalars', param(CHECK_N), grad(CHECK_N))];
  for (let t = 0; t < 10; t++) {
    const g = grad(CHECK_N, t + 1);
    ref.step(g);
    for (const j of jaxes) j.step(g);
  }
  const want = await ref.params();
  for (const [k, j] of jaxes.entries()) {
    const got = await j.params();
    let max = 0;
    for (let i = 0; i < CHECK_N; i++) max = Math.max(max, Math.abs(got[i] - want[i]));
    check.push({ impl: IMPLS[2 + k].name, maxAbsDiff: max });
  }
  for (const x of [ref, ...jaxes]) x.dispose();
}
window.result = { crossOriginIsolated: self.crossOriginIsolated, hardwareConcurrency: navigator.hardwareConcurrency, devices, threads: info.threads, rounds: ROUNDS, rows, check };
document.getElementById('out').textContent = JSON.stringify(window.result, null, 1);
