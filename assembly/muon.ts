/**
 * Muon's elementwise passes (torch/optim/_muon.py); its products are `gemm` (assembly/gemm.ts)
 * and its Frobenius norm is `sumSquares` (assembly/norm.ts, fixed order).
 *
 *   muonMomentum(g, buf, x, rows, cols, mu, nesterov, gscale, transpose):
 *     d   = gscale*g
 *     buf = lerp(buf, d, 1 - mu)                        (torch: buf.lerp_(grad, 1 - momentum))
 *     u   = nesterov ? lerp(d, buf, mu) : buf           (torch: grad.lerp(buf, momentum))
 *     x   = u, or u^T (cols x rows) when transpose      (the copy Newton-Schulz works on)
 *   muonApply(p, x, rows, cols, decay, step, transpose):
 *     p = p*decay - step*O,  O = x (rows x cols) or x^T (x is cols x rows)
 *   muonCopy(dst, src, n): dst = src
 *
 * lerp(a, b, w) as torch's CPU kernel: w < 0.5 ? a + w*(b - a) : b - (b - a)*(1 - w), in
 * float32. Plain multiplies and adds (no madd4), so the SIMD, scalar and relaxed builds
 * agree bit for bit.
 */

// @ts-ignore: decorator
@inline function lerp(a: f32, b: f32, w: f32, omw: f32, low: bool): f32 {
  return low ? a + w * (b - a) : b - (b - a) * omw;
}

// @ts-ignore: decorator
@inline function lerp4(a: v128, b: v128, w: v128, omw: v128, low: bool): v128 {
  return low ? f32x4.add(a, f32x4.mul(w, f32x4.sub(b, a))) : f32x4.sub(b, f32x4.mul(f32x4.sub(b, a), omw));
}

export function muonMomentum(
  g: usize, buf: usize, x: usize, rows: i32, cols: i32, mu_: f64, nesterov: i32, gscale_: f64, transpose: i32,
): void {
  const gs = <f32>gscale_;
  const scaled = gs != 1;
  // buf.lerp_(d, 1 - mu): weight w1 = 1 - mu; d.lerp(buf, mu): weight mu
  const w1 = <f32>(1 - mu_), omw1 = <f32>mu_, low1 = 1 - mu_ < 0.5;
  const w2 = <f32>mu_, omw2 = <f32>(1 - mu_), low2 = mu_ < 0.5;
  const n = rows * cols;
  let i = 0;
  if (ASC_FEATURE_SIMD && transpose == 0) {
    const vGs = f32x4.splat(gs), vW1 = f32x4.splat(w1), vO1 = f32x4.splat(omw1), vW2 = f32x4.splat(w2), vO2 = f32x4.splat(omw2);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) {
      const d = scaled ? f32x4.mul(v128.load(g + o), vGs) : v128.load(g + o);
      const b = low1 ? lerp4(v128.load(buf + o), d, vW1, vO1, true) : lerp4(v128.load(buf + o), d, vW1, vO1, false);
      v128.store(buf + o, b);
      const u = nesterov == 0 ? b : low2 ? lerp4(d, b, vW2, vO2, true) : lerp4(d, b, vW2, vO2, false);
      v128.store(x + o, u);
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const d = scaled ? load<f32>(g + o) * gs : load<f32>(g + o);
    const b = lerp(load<f32>(buf + o), d, w1, omw1, low1);
    store<f32>(buf + o, b);
    const u = nesterov == 0 ? b : lerp(d, b, w2, omw2, low2);
    if (transpose == 0) store<f32>(x + o, u);
    else {
      const r = i / cols, c = i % cols;
      store<f32>(x + ((<usize>c * <usize>rows + <usize>r) << 2), u);
    }
  }
}

export function muonApply(p: usize, x: usize, rows: i32, cols: i32, decay_: f64, step_: f64, transpose: i32): void {
  const decay = <f32>decay_, step = <f32>step_;
  const n = rows * cols;
  let i = 0;
  if (ASC_FEATURE_SIMD && transpose == 0) {
    const vD = f32x4.splat(decay), vS = f32x4.splat(step);
    const end4 = (<usize>n & ~3) << 2;
    for (let o: usize = 0; o < end4; o += 16) {
      v128.store(p + o, f32x4.sub(f32x4.mul(v128.load(p + o), vD), f32x4.mul(vS, v128.load(x + o))));
    }
    i = n & ~3;
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    let u: f32;
    if (transpose == 0) u = load<f32>(x + o);
    else {
      const r = i / cols, c = i % cols;
      u = load<f32>(x + ((<usize>c * <usize>rows + <usize>r) << 2));
    }
    store<f32>(p + o, load<f32>(p + o) * decay - step * u);
  }
}

export function muonCopy(dst: usize, src: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}
