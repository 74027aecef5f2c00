// Imports the prebuilt ESM bundle straight from the static server.
import { ready, Adam, backendInfo } from '../../../dist/wasm-optim.browser.js';

const info = await ready();
const w = new Float32Array([1, 2, 3, 4, 5]);
const opt = new Adam([w], { lr: 0.1 });
for (let t = 0; t < 10; t++) opt.step([w.map((x) => 2 * x)]);
const bytes = opt.save();
const other = new Adam([new Float32Array(5)]);
other.load(bytes);
window.result = { info, backend: backendInfo(), w: Array.from(w), restored: Array.from(other.params[0]) };
document.getElementById('out').textContent = JSON.stringify(window.result);
