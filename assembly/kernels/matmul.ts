// Matrix multiply: C = alpha * op(A) * op(B) + beta * C, row-major.
// op(A) is (m,k): A stored (m,k), or (k,m) when transA. op(B) is (k,n): B stored (k,n),
// or (n,k) when transB. C is (m,n) contiguous.
// matmul_ref is the scalar reference the fast kernel is tested against.

export function matmul_ref(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, alpha: f32, beta: f32): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) {
        const av = load<f32>(a + (<usize>(transA ? p * m + i : i * k + p) << 2));
        const bv = load<f32>(b + (<usize>(transB ? j * k + p : p * n + j) << 2));
        s += av * bv;
      }
      const pc = c + (<usize>(i * n + j) << 2);
      store<f32>(pc, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(pc));
    }
  }
}

// Simple SIMD kernel (to be replaced by the packed, register-blocked one): for each row
// of C, accumulate rows of op(B) scaled by op(A)[i,p]. Same summation order as matmul_ref
// (p ascending) per output element.
export function matmul(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, alpha: f32, beta: f32): void {
  if (transB) { matmul_ref(c, a, b, m, n, k, transA, transB, alpha, beta); return; }
  const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const pc = c + (<usize>(i * n) << 2);
    // accumulate in a scratch row held in C itself when beta == 0, else separately
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      let acc = f32x4.splat(0);
      for (let p = 0; p < k; p++) {
        const av = load<f32>(a + (<usize>(transA ? p * m + i : i * k + p) << 2));
        acc = f32x4.add(acc, f32x4.mul(f32x4.splat(av), v128.load(b + (<usize>(p * n + j) << 2))));
      }
      const o = pc + (<usize>j << 2);
      v128.store(o, beta == 0 ? f32x4.mul(acc, va) : f32x4.add(f32x4.mul(acc, va), f32x4.mul(v128.load(o), vb)));
    }
    for (; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) {
        s += load<f32>(a + (<usize>(transA ? p * m + i : i * k + p) << 2)) * load<f32>(b + (<usize>(p * n + j) << 2));
      }
      const o = pc + (<usize>j << 2);
      store<f32>(o, beta == 0 ? alpha * s : alpha * s + beta * load<f32>(o));
    }
  }
}
