// Replays a PyTorch fixture (test/fixtures/<name>.json: `classic`, the classic
// optimizers, by default; `family`, the later ones, with groups and
// hyperparameter changes) with one build and prints the worst |error| as a
// fraction of the tolerance over every step's parameters, the optimizers it
// covered and a digest of the final bytes. Run by test/relaxed.test.ts and
// test/relaxed-family.test.ts as
//   node --experimental-wasm-relaxed-simd test/relaxed-replay.mjs relaxed [fixture]
// (Node 20 accepts relaxed SIMD only with that flag).
import { readFileSync } from 'node:fs';
import * as lib from '../dist/index.js';

const build = process.argv[2] ?? 'relaxed';
const info = await lib.ready(build === 'relaxed' ? { relaxed: true } : { simd: build === 'simd' });
const f32 = (b64) => {
  const bytes = Buffer.from(b64, 'base64');
  const out = new Float32Array(bytes.length / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
};
const fixture = JSON.parse(readFileSync(new URL(`./fixtures/${process.argv[3] ?? 'classic'}.json`, import.meta.url), 'utf8'));
let worst = { ratio: 0, where: '' };
let cases = 0;
const optimizers = new Set();
const digest = [];
for (const c of fixture.cases) {
  const tensors = c.params.map(f32);
  const order = c.groups ? c.groups.flatMap((g) => g.params) : tensors.map((_, i) => i);
  const opt = c.groups
    ? new lib[c.optimizer](c.groups.map((g) => ({ params: g.params.map((i) => tensors[i]), ...g.options })), c.options)
    : new lib[c.optimizer](tensors, c.options);
  let maxRef = 1;
  for (const s of c.steps) for (const p of s.params) for (const v of f32(p)) maxRef = Math.max(maxRef, Math.abs(v));
  c.steps.forEach((s, t) => {
    if (s.lr) s.lr.forEach((lr, gi) => (opt.paramGroups[gi].lr = lr));
    if (s.set) s.set.forEach((o, gi) => Object.assign(opt.paramGroups[gi], o));
    opt.step(order.map((i) => f32(s.grads[i])));
    order.forEach((ti) => {
      const ref = f32(s.params[ti]);
      for (let j = 0; j < ref.length; j++) {
        const r = Math.abs(tensors[ti][j] - ref[j]) / (1e-5 * maxRef);
        if (!(r <= worst.ratio)) worst = { ratio: Number.isNaN(r) ? Infinity : r, where: `${c.name} step ${t + 1} tensor ${ti}[${j}]` };
      }
    });
  });
  digest.push(tensors.map((t) => Buffer.from(t.buffer).toString('base64')).join());
  opt.dispose();
  optimizers.add(c.optimizer);
  cases++;
}
const { createHash } = await import('node:crypto');
console.log(JSON.stringify({ build: info.build, cases, optimizers: [...optimizers].sort(), worst, sha256: createHash('sha256').update(digest.join('|')).digest('hex') }));
