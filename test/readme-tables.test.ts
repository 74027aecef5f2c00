// The README's generated table of optimizers matches the registry it is
// generated from (tools/readme/optimizer-table.mjs; `npm run readme` rewrites it).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { closureRegistry, registry } from '../src/index.js';
import { BEGIN, END, optimizerTable, withTable } from '../tools/readme/optimizer-table.mjs';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

it('the README holds the table the registry renders (run `npm run readme` after changing the registry)', () => {
  expect(readme).toContain(BEGIN);
  expect(readme).toContain(END);
  expect(withTable(readme, registry, closureRegistry)).toBe(readme);
});

it('the table has one row per registered optimizer, with its defaults and kernels', () => {
  const rows = optimizerTable(registry, closureRegistry).split('\n').filter((l) => /^\| `/.test(l));
  const all = [...registry, ...closureRegistry];
  expect(rows.map((r) => /^\| `(\w+)`/.exec(r)![1])).toEqual(all.map((e) => e.name));
  for (const [i, e] of all.entries()) {
    for (const k of e.kernels) expect(rows[i]).toContain(`\`${k}\``);
    for (const k of Object.keys(e.defaults)) expect(rows[i]).toContain(`\`${k}\``);
    // a table cell never holds a bare pipe
    expect(rows[i]!.split(' | ').length).toBe(7);
  }
});
