// The wording of error messages: "an ArrayBuffer", not "a ArrayBuffer".
// (Counts: "1 epoch", not "1 epochs", is checked on the CLI in test/cli.test.ts.)
import { beforeAll, describe, expect, it } from 'vitest';
import { clipGradNorm, ready, SGD } from '../src/index.js';

beforeAll(async () => {
  await ready();
});

describe('error messages use the right article for what was given', () => {
  it.each([
    [new ArrayBuffer(8), 'an ArrayBuffer'],
    [new Int8Array(2), 'an Int8Array of length 2'],
    [new Int32Array(3), 'an Int32Array of length 3'],
    [new Uint8Array(2), 'a Uint8Array of length 2'],
    [new Float64Array(1), 'a Float64Array of length 1'],
    [new Map(), 'a Map'],
    [new Error('x'), 'an Error'],
    [{}, 'an object'],
  ])('%s', (given, words) => {
    expect(() => clipGradNorm([given as Float32Array], 1)).toThrow(`clipGradNorm: grads[0] must be a Float32Array, got ${words}`);
    expect(() => new SGD([given as Float32Array], { lr: 0.1 })).toThrow(new RegExp(`got ${words}\\b`));
  });
});

