// The README's table of optimizers, generated from the registry
// (src/registry.ts) so that it cannot go stale: `npm run readme` rewrites the
// part of README.md between the markers, and test/readme-tables.test.ts fails
// when the README differs from what this renders.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BEGIN = '<!-- optimizers:begin (generated from src/registry.ts by `npm run readme`; do not edit by hand) -->';
export const END = '<!-- optimizers:end -->';

/** 1e-3 rather than 0.001, 1e6 rather than 1000000, as PyTorch's docs write them. */
const num = (v) => (typeof v === 'number' && v !== 0 && (Math.abs(v) < 0.01 || Math.abs(v) >= 1e4) ? v.toExponential().replace('e+', 'e') : String(v));
const fmt = (v) => (Array.isArray(v) ? `[${v.map(num).join(', ')}]` : num(v));

/**
 * @param {readonly import('../../src/registry.js').OptimizerEntry[]} registry
 * @param {readonly import('../../src/registry.js').ClosureOptimizerEntry[]} closures
 */
export function optimizerTable(registry, closures = /** @type {readonly any[]} */ ([])) {
  const rows = registry.map((e) => {
    const defaults = Object.entries(e.defaults).map(([k, v]) => `\`${k}\` ${fmt(v)}`).join(', ');
    const state = e.buffers({ ...e.defaults, ...e.allState });
    const always = e.buffers(e.defaults);
    const buffers = state.map((b) => (always.includes(b) ? `\`${b}\`` : `\`${b}\`*`)).join(', ') || '–';
    const tfjs = e.bench.tfjs ? `\`tf.train.${e.bench.tfjs.factory}\`` : '–';
    return `| \`${e.name}\` | ${e.summary} | ${e.follows} | ${defaults} | ${buffers} | ${e.kernels.map((k) => `\`${k}\``).join(', ')} | ${tfjs} |`;
  });
  for (const e of closures) {
    const defaults = Object.entries(e.defaults).map(([k, v]) => `\`${k}\` ${v === null ? 'null' : fmt(v)}`).join(', ');
    rows.push(`| \`${e.name}\` | ${e.summary}; \`step(closure)\` | ${e.follows} | ${defaults} | ${e.state.map((b) => `\`${b}\``).join(', ')} (once, not per parameter) | ${e.kernels.map((k) => `\`${k}\``).join(', ')} | – |`);
  }
  return [
    '| class | what it does | follows | options (defaults) | state buffers | kernels | closest TF.js |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `${registry.length + closures.length} optimizers${closures.length ? ` (${closures.map((e) => e.name).join(', ')} stepped with a closure)` : ''}. A buffer marked * exists only with the option that needs it (SGD's and RMSprop's \`momentum\`, \`centered\`, \`amsgrad\`).`,
  ].join('\n');
}

/** README text with the generated section replaced. */
export function withTable(readme, registry, closures = /** @type {readonly any[]} */ ([])) {
  const a = readme.indexOf(BEGIN);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) throw new Error(`README.md: the markers ${BEGIN} ... ${END} are missing`);
  return `${readme.slice(0, a + BEGIN.length)}\n${optimizerTable(registry, closures)}\n${readme.slice(b)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { registry, closureRegistry } = await import('wasm-optim');
  const path = new URL('../../README.md', import.meta.url);
  const before = readFileSync(path, 'utf8');
  const after = withTable(before, registry, closureRegistry);
  if (after !== before) writeFileSync(path, after);
  console.log(after === before ? 'README.md: the optimizer table is up to date' : 'README.md: optimizer table rewritten');
}
