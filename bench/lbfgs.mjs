// L-BFGS's per-step cost: one `step(closure)` on a separable quadratic
// f(x) = sum(c_i * (x_i - 1)^2) / 2 over n parameters, with the closure's own
// time (the forward/backward pass, plain JS) measured apart and subtracted, so
// the figure is what the optimizer adds: the two-loop recursion (2 * history
// dot products and axpys over the flat buffers), the direction, the update
// and the history bookkeeping. `maxIter: 1` gives the cost per iteration;
// the line search is off (lineSearchFn: null), so each iteration is one
// evaluation. Times are this process's CPU time (process.cpuUsage). The history is filled first (10 or 30 pairs), so each timed
// iteration runs the full two-loop recursion. Median of rounds; a round
// restarts from the same point.
//
// Usage: npm run build && node bench/lbfgs.mjs [--rounds=7] [--quick]
import { LBFGS, ready } from 'wasm-optim';
import { parseFlags } from './lib/cli.mjs';

const args = parseFlags();
const QUICK = Boolean(args.quick);
const ROUNDS = Number(args.rounds ?? (QUICK ? 3 : 7));
const SIZES = QUICK ? [1 << 14, 1 << 20] : [1 << 14, 1 << 18, 1 << 20, 1 << 22];
const HISTORY = [10, 30];
const ITERS = 20;

await ready();
/** CPU time of this process in ms (a loaded machine stretches wall-clock time, not CPU time) */
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

function run(n, historySize) {
  const c = Float32Array.from({ length: n }, (_, i) => 1 + (i % 7));
  const x0 = new Float32Array(n);
  const perIter = [];
  const closureMs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const opt = new LBFGS([x0.slice()], { lr: 1, maxIter: 1, historySize, lineSearchFn: null });
    let inClosure = 0;
    let calls = 0;
    const closure = () => {
      const t0 = cpuMs();
      const p = opt.params[0];
      const g = opt.grads[0];
      // a drifting target, so the run never converges (a converged L-BFGS returns before the two-loop recursion)
      const shift = 1 + 0.1 * Math.sin(++calls);
      let f = 0;
      for (let i = 0; i < n; i++) {
        const d = p[i] - shift;
        g[i] = c[i] * d;
        f += c[i] * d * d;
      }
      inClosure += cpuMs() - t0;
      return f / 2;
    };
    for (let i = 0; i < Math.min(historySize, 30); i++) opt.step(closure); // fill the history (up to 30 pairs)
    inClosure = 0;
    const t0 = cpuMs();
    for (let i = 0; i < ITERS; i++) opt.step(closure);
    const total = cpuMs() - t0;
    perIter.push((total - inClosure) / ITERS);
    closureMs.push(inClosure / ITERS);
    opt.dispose();
  }
  return { ms: median(perIter), closure: median(closureMs) };
}

console.log(`L-BFGS per iteration (maxIter 1, no line search), CPU time, medians of ${ROUNDS} rounds of ${ITERS} steps; closure time subtracted`);
console.log('| n | history | optimizer ms / iteration | ns / element | closure ms (plain JS, not counted) |');
console.log('|---:|---:|---:|---:|---:|');
for (const n of SIZES) {
  for (const h of HISTORY) {
    const { ms, closure } = run(n, h);
    console.log(`| ${n} | ${h} | ${ms.toFixed(3)} | ${((ms * 1e6) / n).toFixed(2)} | ${closure.toFixed(3)} |`);
  }
}
