// The comparison's summary table, as aligned Markdown (readable in a
// terminal, pasteable into a README).
import type { CompareResult, RunResult } from './compare.js';

export interface TableColumn {
  title: string;
  align: 'left' | 'right';
  cell(r: RunResult): string;
}

const fixed = (v: number | undefined, digits: number): string => (v === undefined || !Number.isFinite(v) ? 'n/a' : v.toFixed(digits));
const ms = (v: number): string => (v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(1)} ms`);

/** The columns of the table, for a given target loss. */
export function columns(target: number): TableColumn[] {
  return [
    { title: 'method', align: 'left', cell: (r) => r.label },
    { title: 'lr', align: 'right', cell: (r) => `${r.lr}${r.lrSource === 'sweep' ? ' (sweep)' : ''}` },
    { title: 'batch', align: 'right', cell: (r) => String(r.batchSize) },
    { title: 'train loss', align: 'right', cell: (r) => (r.diverged ? 'diverged' : fixed(r.trainLoss.at(-1), 4)) },
    { title: 'test loss', align: 'right', cell: (r) => (r.diverged ? 'diverged' : fixed(r.testLoss.at(-1), 4)) },
    { title: 'test acc', align: 'right', cell: (r) => (r.diverged ? '-' : `${fixed(100 * r.testAccuracy.at(-1)!, 1)}%`) },
    { title: `epochs to ${target}`, align: 'right', cell: (r) => (r.reached ? String(r.reached.epoch) : '-') },
    { title: `steps to ${target}`, align: 'right', cell: (r) => (r.reached ? String(r.reached.step) : '-') },
    { title: 'wall time', align: 'right', cell: (r) => ms(r.wallMs) },
    {
      title: 'in opt.step',
      align: 'right',
      cell: (r) => `${ms(r.optimizerMs)} (${r.wallMs > 0 ? ((100 * r.optimizerMs) / r.wallMs).toFixed(1) : '0.0'}%)`,
    },
  ];
}

/** The table as rows of cells (header first). */
export function tableRows(result: CompareResult): string[][] {
  const cols = columns(result.config.targetLoss);
  return [cols.map((c) => c.title), ...result.runs.map((r) => cols.map((c) => c.cell(r)))];
}

/** Aligned Markdown. */
export function formatTable(result: CompareResult): string {
  const cols = columns(result.config.targetLoss);
  const rows = tableRows(result);
  const widths = cols.map((_, j) => Math.max(3, ...rows.map((row) => row[j]!.length)));
  const pad = (s: string, j: number) => (cols[j]!.align === 'left' ? s.padEnd(widths[j]!) : s.padStart(widths[j]!));
  const line = (row: string[]) => `| ${row.map(pad).join(' | ')} |`;
  const rule = `|${widths.map((w, j) => (cols[j]!.align === 'left' ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}
