import * as lib from '../../../dist/wasm-optim.browser.js';
import { trajectory } from '../determinism.mjs';

window.result = {
  simd: await trajectory(lib, { simd: true }),
  scalar: await trajectory(lib, { simd: false }),
  build: lib.backendInfo(),
};
