// The UCI hand-written digits (the 1,797-image test set of "Optical
// Recognition of Handwritten Digits", Alpaydin & Kaynak 1998, CC BY 4.0), as
// converted once by tools/data/convert_digits.py into data/digits/digits.bin
// and shipped with the package.
import { describe } from '../validate.js';
import { makeDataset, subset, type Dataset } from './dataset.js';

/** Where the digits come from, their license and how to cite them. */
export const digitsSource = Object.freeze({
  title: 'Optical Recognition of Handwritten Digits (test set, optdigits.tes)',
  authors: 'E. Alpaydin, C. Kaynak',
  year: 1998,
  url: 'https://archive.ics.uci.edu/dataset/80/optical+recognition+of+handwritten+digits',
  doi: '10.24432/C50P49',
  license: 'CC BY 4.0',
  citation:
    'Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. ' +
    'UCI Machine Learning Repository. https://doi.org/10.24432/C50P49.',
});

/** The digits: all 1,797 examples, and the fixed stratified split (1,438 train, 359 test). */
export interface Digits {
  all: Dataset;
  train: Dataset;
  test: Dataset;
}

const DIM = 64;
const RECORD = DIM + 2; // pixels, label, split

/**
 * Reads the bytes of data/digits/digits.bin: n*64 pixels (uint8, 0..16,
 * row-major 8x8), then n labels (0..9), then n split flags (0 train, 1 test).
 * Features are pixel/16, in [0, 1].
 */
export function parseDigits(bytes: Uint8Array): Digits {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`parseDigits: bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    throw new RangeError(`parseDigits: expected a multiple of ${RECORD} bytes (64 pixels, a label and a split flag per image), got ${bytes.length}`);
  }
  const n = bytes.length / RECORD;
  const x = new Float32Array(n * DIM);
  for (let i = 0; i < n * DIM; i++) {
    const v = bytes[i]!;
    if (v > 16) throw new RangeError(`parseDigits: pixel ${i % DIM} of image ${Math.floor(i / DIM)} is ${v}, expected 0..16`);
    x[i] = v / 16;
  }
  const y = bytes.slice(n * DIM, n * (DIM + 1));
  const split = bytes.subarray(n * (DIM + 1));
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < n; i++) {
    if (split[i] === 0) train.push(i);
    else if (split[i] === 1) test.push(i);
    else throw new RangeError(`parseDigits: split flag of image ${i} is ${split[i]}, expected 0 (train) or 1 (test)`);
  }
  const all = makeDataset('digits', x, y, DIM, 10);
  return { all, train: subset(all, train, 'digits/train'), test: subset(all, test, 'digits/test') };
}

/** The URL of the shipped data file (next to the package root). */
export const digitsUrl: URL = new URL('../../data/digits/digits.bin', import.meta.url);

/**
 * Loads the shipped digits: from the file system in Node, with `fetch`
 * elsewhere (the file sits at `digitsUrl`, which bundlers that understand
 * `new URL(..., import.meta.url)` copy along). Pass `bytes` to parse data you
 * loaded yourself.
 */
export async function loadDigits(bytes?: Uint8Array): Promise<Digits> {
  if (bytes !== undefined) return parseDigits(bytes);
  if (digitsUrl.protocol === 'file:') {
    const fsName = 'node:fs/promises';
    const fs = (await import(/* @vite-ignore */ fsName)) as { readFile(path: URL): Promise<Uint8Array> };
    const buf = await fs.readFile(digitsUrl);
    return parseDigits(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }
  const res = await fetch(digitsUrl);
  if (!res.ok) throw new Error(`loadDigits: fetching ${digitsUrl.href} failed: HTTP ${res.status}`);
  return parseDigits(new Uint8Array(await res.arrayBuffer()));
}
