/// <reference types="node" />
// Progress while the comparison runs: a bar drawn by cli-progress on a
// terminal; plain lines when the stream is not a TTY (CI, pipes, files).
import cliProgress from 'cli-progress';
import type { ProgressEvent } from './compare.js';

export interface ProgressSink {
  (e: ProgressEvent): void;
  /** removes the bar (if any); call before printing the results */
  stop(): void;
}

/** A progress sink writing to `stream`; `quiet` writes nothing. */
export function progressSink(stream: NodeJS.WriteStream, quiet = false): ProgressSink {
  let total = 0;
  let done = 0;
  if (quiet) return Object.assign(() => {}, { stop() {} });
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: ' {bar} {percentage}% | {eta_formatted} left | {task} {detail}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 50,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    let task = '';
    const sink = (e: ProgressEvent) => {
      if (e.kind === 'start') {
        total = e.total;
        bar.start(total, 0, { task: 'starting', detail: '' });
      } else if (e.kind === 'task') {
        task = e.label;
        bar.update(done, { task, detail: '' });
      } else if (e.kind === 'tick') {
        done += e.units;
        bar.update(done, { task, detail: e.detail ? `(${e.detail})` : '' });
      }
    };
    return Object.assign(sink, {
      stop() {
        bar.update(total, { task: 'done', detail: '' });
        bar.stop();
      },
    });
  }
  // Not a terminal: one plain line per finished task.
  const sink = (e: ProgressEvent) => {
    if (e.kind === 'start') total = e.total;
    else if (e.kind === 'tick') done += e.units;
    else if (e.kind === 'done') {
      const pct = total > 0 ? Math.floor((100 * done) / total) : 100;
      stream.write(`[${String(pct).padStart(3)}%] ${e.label}: ${e.summary}\n`);
    }
  };
  return Object.assign(sink, { stop() {} });
}
