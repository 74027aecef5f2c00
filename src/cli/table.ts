// The comparison's summary table, as aligned Markdown (readable in a
// terminal, pasteable into a README).
import type { CompareResult, RunResult } from './compare.js';
import { plural } from '../validate.js';

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

/** "A", "A and B", "A, B and C". */
function names(labels: string[]): string {
  return labels.length <= 1 ? (labels[0] ?? '') : `${labels.slice(0, -1).join(', ')} and ${labels.at(-1)}`;
}

/**
 * The run's conclusion in two sentences, computed from the results: which
 * method reached the target training loss in the fewest optimizer steps, and
 * which ended with the best test accuracy. Ties name every tied method;
 * diverged methods are left out.
 */
export function conclusion(result: CompareResult): string {
  const target = result.config.targetLoss;
  const live = result.runs.filter((r) => !r.diverged);
  const reached = live.filter((r) => r.reached);
  let first: string;
  if (reached.length === 0) {
    first = `No method reached the target training loss ${target} on this run.`;
  } else {
    const fewest = Math.min(...reached.map((r) => r.reached!.step));
    const best = reached.filter((r) => r.reached!.step === fewest);
    const epochs = [...new Set(best.map((r) => r.reached!.epoch))];
    first =
      `${names(best.map((r) => r.label))} reached the target training loss ${target} in the fewest steps on this run ` +
      `(${plural(fewest, 'step')}, epoch ${epochs.join('/')}${best.length > 1 ? ', a tie' : ''}).`;
  }
  const accs = live.map((r) => r.testAccuracy.at(-1)).filter((a): a is number => a !== undefined && Number.isFinite(a));
  let second: string;
  if (accs.length === 0) {
    second = 'Every method diverged, so none has a test accuracy.';
  } else {
    const top = Math.max(...accs);
    const best = live.filter((r) => r.testAccuracy.at(-1) === top);
    second = `${names(best.map((r) => r.label))} got the best final test accuracy (${(100 * top).toFixed(1)}%${best.length > 1 ? ', a tie' : ''}).`;
  }
  return `${first} ${second}`;
}
