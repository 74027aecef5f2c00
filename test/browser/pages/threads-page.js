// The Web Workers pool from the prebuilt bundle: every registered optimizer
// (odd sizes, two groups, clipping; L-BFGS on a quadratic) stepped on 1, 2 and 3 threads on the
// page's main thread; the bytes of save() and of the parameters must match
// the one-thread twin. Served with COOP/COEP the pool has 3 threads; without
// them, one thread and a reason (test/browser/threads.test.ts).
import { ready, backendInfo, allOptimizers, createOptimizer, asParams, LBFGS } from '../../../dist/wasm-optim.browser.js';

/** Sizes above the split threshold (65536) with odd tails, and tensors shorter than a chunk. */
const SIZES = [70001, 37, 5, 65557];

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = (next, n, scale = 1) => Float32Array.from({ length: n }, () => scale * (2 * next() - 1));

function make(entry, params, groups, extra) {
  const ps = entry.matrices ? params.map((p) => asParams(entry, [p])[0]) : params;
  const o = { ...entry.allState, ...extra };
  if (!groups) return createOptimizer(entry.name, ps, o);
  const lr = o.lr ?? entry.defaults.lr;
  return createOptimizer(entry.name, [{ params: ps.slice(0, 2) }, { params: ps.slice(2), lr: lr / 2 }], o);
}

function run(entry, threads, groups, extra) {
  const next = rng(42);
  const opt = make(entry, SIZES.map((n) => rand(next, n)), groups, { ...extra, threads });
  for (let t = 0; t < 4; t++) opt.step(SIZES.map((n) => rand(next, n, 0.1 * (t + 1))));
  const bytes = opt.save();
  const params = opt.params.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice());
  const used = opt.threads;
  opt.dispose();
  return { bytes, params, used };
}

const same = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

const query = new URLSearchParams(location.search);
const want = Number(query.get('threads') ?? 3);
const only = query.get('only')?.split(','); // a few optimizers only (the page without COOP/COEP)
const info = await ready({ simd: true, threads: want });
const cases = [];
for (const entry of allOptimizers) {
  if (entry.closure || (only && !only.includes(entry.name))) continue;
  for (const [label, groups, extra] of [
    ['plain', false, {}],
    ['groups, maxGradNorm 1', true, { maxGradNorm: 1 }],
    ['maxGradNorm 0.5 (inf-norm)', false, { maxGradNorm: 0.5, gradNormType: Infinity }],
  ]) {
    const one = run(entry, 1, groups, extra);
    for (const threads of [2, 3]) {
      const many = run(entry, threads, groups, extra);
      cases.push({
        name: `${entry.name} (${label}) x${threads}`,
        used: many.used,
        same: same(many.bytes, one.bytes) && many.params.every((p, i) => same(p, one.params[i])),
      });
    }
  }
}
// L-BFGS (closure-driven, not in the loop above): a weighted quadratic, 3 steps of up to 4 iterations,
// both line searches; its dots are blocked reductions, its vector operations elementwise chunks
function runLbfgs(threads, lineSearchFn) {
  const next = rng(7);
  const sizes = [70001, 37, 65557];
  const targets = sizes.map((n) => rand(next, n));
  const opt = new LBFGS(sizes.map((n) => rand(next, n)), { lr: 1, maxIter: 4, historySize: 5, lineSearchFn, threads });
  const closure = () => {
    let f = 0;
    opt.params.forEach((p, i) => {
      const g = opt.grads[i];
      const t = targets[i];
      for (let j = 0; j < p.length; j++) {
        const d = p[j] - t[j];
        const w = 1 + (j % 7);
        f += 0.5 * w * d * d;
        g[j] = w * d;
      }
    });
    return f;
  };
  for (let s = 0; s < 3; s++) opt.step(closure);
  const bytes = opt.save();
  const params = opt.params.map((p) => new Uint8Array(p.buffer, p.byteOffset, p.byteLength).slice());
  const used = opt.threads;
  opt.dispose();
  return { bytes, params, used };
}
if (!only) {
  for (const lineSearchFn of [null, 'strong_wolfe']) {
    const one = runLbfgs(1, lineSearchFn);
    for (const threads of [2, 3]) {
      const many = runLbfgs(threads, lineSearchFn);
      cases.push({
        name: `LBFGS (${lineSearchFn ?? 'no line search'}) x${threads}`,
        used: many.used,
        same: same(many.bytes, one.bytes) && many.params.every((p, i) => same(p, one.params[i])),
      });
    }
  }
}
window.result = { crossOriginIsolated: self.crossOriginIsolated, info, backend: backendInfo(), cases };
document.getElementById('out').textContent = JSON.stringify(window.result, null, 1);
