// Main-thread side of the workers: run one worker to completion, forwarding
// its progress records, and return its results.
import { Worker } from 'node:worker_threads';

/**
 * @param {URL} file worker module
 * @param {object} data workerData
 * @param {(record: object) => void} onProgress
 * @returns {Promise<any[]>} the worker's records
 */
export function runWorker(file, data, onProgress) {
  return new Promise((resolve, reject) => {
    // stdout: true keeps benny's own console output (suite banners) out of
    // the report; errors still reach stderr.
    const w = new Worker(file, { workerData: data, stdout: true });
    w.stdout.resume();
    let result;
    w.on('message', (m) => {
      if (m.type === 'progress') onProgress(m.record);
      else if (m.type === 'done') result = m;
    });
    w.on('error', reject);
    w.on('exit', (code) => {
      if (result) resolve(result.records);
      else reject(new Error(`bench: worker ${file.pathname.split('/').pop()} exited with code ${code} before reporting`));
    });
  });
}
