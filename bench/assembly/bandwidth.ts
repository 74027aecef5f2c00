// Memory-bandwidth probe for the benchmark suite (not part of the library):
// streams that read and write memory like the optimizer kernels do, with
// trivial arithmetic, so their speed is the memory system's. Compiled by
// bench/bandwidth-worker.mjs with the same flags as the library (-O3,
// --enable simd, --runtime stub, --importMemory, --noAssert).

/**
 * Read-modify-write of one array: x = x*a + b.
 * Moves 8 bytes per element (4 read, 4 written).
 */
export function rmw(x: usize, n: i32, a: f32, b: f32): void {
  const va = f32x4.splat(a);
  const vb = f32x4.splat(b);
  const end = x + ((<usize>n & ~7) << 2);
  for (let o = x; o < end; o += 32) {
    v128.store(o, f32x4.add(f32x4.mul(v128.load(o), va), vb));
    v128.store(o + 16, f32x4.add(f32x4.mul(v128.load(o + 16), va), vb));
  }
}

/**
 * The access pattern of an optimizer with k = 1..3 arrays it reads and
 * writes (p and its state) and one it only reads (g): every written array
 * becomes x = x*a + g. Moves 4 + 8k bytes per element: 12 (k = 1, SGD),
 * 20 (k = 2, Momentum, Adagrad, RMSprop), 28 (k = 3, Adam).
 */
export function pattern(g: usize, x0: usize, x1: usize, x2: usize, k: i32, n: i32, a: f32): void {
  const va = f32x4.splat(a);
  const bytes = (<usize>n & ~3) << 2;
  if (k == 1) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const vg = v128.load(g + o);
      v128.store(x0 + o, f32x4.add(f32x4.mul(v128.load(x0 + o), va), vg));
    }
  } else if (k == 2) {
    for (let o: usize = 0; o < bytes; o += 16) {
      const vg = v128.load(g + o);
      v128.store(x0 + o, f32x4.add(f32x4.mul(v128.load(x0 + o), va), vg));
      v128.store(x1 + o, f32x4.add(f32x4.mul(v128.load(x1 + o), va), vg));
    }
  } else {
    for (let o: usize = 0; o < bytes; o += 16) {
      const vg = v128.load(g + o);
      v128.store(x0 + o, f32x4.add(f32x4.mul(v128.load(x0 + o), va), vg));
      v128.store(x1 + o, f32x4.add(f32x4.mul(v128.load(x1 + o), va), vg));
      v128.store(x2 + o, f32x4.add(f32x4.mul(v128.load(x2 + o), va), vg));
    }
  }
}
