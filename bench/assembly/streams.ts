// Ceilings for bench/kernels.mjs (not part of the library), compiled with the
// library's release flags (-O3, --enable simd, --runtime stub, --importMemory).
//
//   stream(ro, rw, stride, nr, nw, n)  memory: nr arrays read (ro, ro+stride, ...),
//                                      nw arrays read and written (rw, rw+stride, ...):
//                                      x = x*a + sum(ro). Moves 4*nr + 8*nw bytes per element.
//   ops(x, n, nsqrt, ndiv)             arithmetic: nsqrt f32x4 square roots and ndiv f32x4
//                                      divisions per element on one array (in cache), the
//                                      compute floor of a kernel with that many.

// @ts-ignore: decorator
@inline function rw1(x: usize, va: v128, s: v128): void {
  v128.store(x, f32x4.add(f32x4.mul(v128.load(x), va), s));
}

// @ts-ignore: decorator
@inline function streamK(ro: usize, rw: usize, stride: usize, nr: i32, nw: i32, n: i32): void {
  const va = f32x4.splat(0.999);
  const bytes = (<usize>n & ~3) << 2;
  for (let o: usize = 0; o < bytes; o += 16) {
    let s = v128.load(ro + o);
    if (nr > 1) s = f32x4.add(s, v128.load(ro + stride + o));
    rw1(rw + o, va, s);
    if (nw > 1) rw1(rw + stride + o, va, s);
    if (nw > 2) rw1(rw + 2 * stride + o, va, s);
    if (nw > 3) rw1(rw + 3 * stride + o, va, s);
    if (nw > 4) rw1(rw + 4 * stride + o, va, s);
  }
}

export function stream(ro: usize, rw: usize, stride: usize, nr: i32, nw: i32, n: i32): void {
  if (nr == 1) {
    if (nw == 1) streamK(ro, rw, stride, 1, 1, n);
    else if (nw == 2) streamK(ro, rw, stride, 1, 2, n);
    else if (nw == 3) streamK(ro, rw, stride, 1, 3, n);
    else if (nw == 4) streamK(ro, rw, stride, 1, 4, n);
    else streamK(ro, rw, stride, 1, 5, n);
  } else {
    if (nw == 1) streamK(ro, rw, stride, 2, 1, n);
    else if (nw == 2) streamK(ro, rw, stride, 2, 2, n);
    else streamK(ro, rw, stride, 2, 3, n);
  }
}

// @ts-ignore: decorator
@inline function opsK(x: usize, n: i32, nsqrt: i32, ndiv: i32): void {
  const va = f32x4.splat(0.5);
  const vb = f32x4.splat(1.25);
  const bytes = (<usize>n & ~15) << 2;
  for (let o: usize = 0; o < bytes; o += 64) {
    // four independent vectors, as the unrolled kernels
    let a = v128.load(x + o), b = v128.load(x + o + 16), c = v128.load(x + o + 32), d = v128.load(x + o + 48);
    if (nsqrt > 0) { a = f32x4.sqrt(a); b = f32x4.sqrt(b); c = f32x4.sqrt(c); d = f32x4.sqrt(d); }
    if (nsqrt > 1) { a = f32x4.sqrt(f32x4.add(a, vb)); b = f32x4.sqrt(f32x4.add(b, vb)); c = f32x4.sqrt(f32x4.add(c, vb)); d = f32x4.sqrt(f32x4.add(d, vb)); }
    if (ndiv > 0) { a = f32x4.div(va, f32x4.add(a, vb)); b = f32x4.div(va, f32x4.add(b, vb)); c = f32x4.div(va, f32x4.add(c, vb)); d = f32x4.div(va, f32x4.add(d, vb)); }
    if (ndiv > 1) { a = f32x4.div(va, f32x4.add(a, vb)); b = f32x4.div(va, f32x4.add(b, vb)); c = f32x4.div(va, f32x4.add(c, vb)); d = f32x4.div(va, f32x4.add(d, vb)); }
    v128.store(x + o, f32x4.add(a, vb));
    v128.store(x + o + 16, f32x4.add(b, vb));
    v128.store(x + o + 32, f32x4.add(c, vb));
    v128.store(x + o + 48, f32x4.add(d, vb));
  }
}

export function ops(x: usize, n: i32, nsqrt: i32, ndiv: i32): void {
  if (nsqrt == 0 && ndiv == 1) opsK(x, n, 0, 1);
  else if (nsqrt == 1 && ndiv == 1) opsK(x, n, 1, 1);
  else if (nsqrt == 2 && ndiv == 1) opsK(x, n, 2, 1);
  else if (nsqrt == 2 && ndiv == 2) opsK(x, n, 2, 2);
  else opsK(x, n, 0, 0);
}
