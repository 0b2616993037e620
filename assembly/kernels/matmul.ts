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

// ---------------------------------------------------------------- fast kernel
// BLIS-style: op(B) is packed per (KC x NC) block into NR-column panels, op(A) per
// (MC x KC) block into MR-row panels, so every transpose combination feeds the same
// MR x NR register-tile micro-kernel from contiguous memory. Edge panels are zero-padded.
// Per output element the products are summed with p ascending inside each KC block and
// the blocks are added into C in order, so the result depends only on (m, n, k, transposes).
//
// Why these choices (V8 on x64, Zen 3; bench/kernels.mjs):
// - 4x8 tile = 8 f32x4 accumulators + 2 B vectors + 2 temporaries, inside the 15 XMM
//   registers V8 allocates. 5x8 and 6x8 spill; source-level k unrolling gets reordered by
//   TurboFan's scheduler into spills as well, so the loop stays one k step (V8 unrolls it).
// - A is packed pre-broadcast (each element splatted to 16 bytes): the loop then does plain
//   v128 loads with folded offsets, where load32_splat at an offset costs V8 an extra lea
//   per row. +5% over broadcast loads; the price is a 4x larger A block, hence small MC.
// - KC x MC x NC = 256 x 32 x 512 measured best among 128..512 x 16..128 x 128..512.
// - The fast build's FMA needs no temporary, so 6x8 (12 accumulators, 2 B, 1 A: all 15)
//   fits there without a spill: +5..14% over its 4x8 on 512..1024 squares and the training
//   shapes (bench/suite's shapes, Zen 3, the two tiles timed in turn), the same bits (each
//   element is summed as before; the tile only changes which loop computes it). MC = 36,
//   a whole number of its panels.

const MR = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR = 8;
const KC = 256;
const MC = ASC_FEATURE_RELAXED_SIMD ? 36 : 32;
const NC = 512;
const AP0 = memory.data(MC * KC * 16, 64); // A block, pre-broadcast: 128 KiB (fast build: 144)
const BP0 = memory.data(KC * NC * 4, 64);  // B block: 512 KiB
const TILE0 = memory.data(MR * NR * 4, 64); // an edge tile, before its partial store

// The threaded build (asc --enable threads: build/polyhead-threads.wasm, the polyhead/threads
// entry) runs one instance per thread on one shared memory. Each instance packs into a
// region of its own (matmul_scratch; the calling thread's keeps the static blocks above),
// and matmul_part narrows a call to one thread's block of C. Every use below is a
// compile-time choice, so the default build is byte for byte what it was without threads.
let apAt: usize = AP0, bpAt: usize = BP0, tileAt: usize = TILE0;
let partI0 = 0, partI1 = i32.MAX_VALUE, partJ0 = 0, partJ1 = i32.MAX_VALUE;
// @ts-ignore: decorator
@inline function AP(): usize { return ASC_FEATURE_THREADS ? apAt : AP0; }
// @ts-ignore: decorator
@inline function BP(): usize { return ASC_FEATURE_THREADS ? bpAt : BP0; }
// @ts-ignore: decorator
@inline function TILE(): usize { return ASC_FEATURE_THREADS ? tileAt : TILE0; }
// @ts-ignore: decorator
@inline function rowsFrom(): i32 { return ASC_FEATURE_THREADS ? partI0 : 0; }
// @ts-ignore: decorator
@inline function rowsTo(m: i32): i32 { return ASC_FEATURE_THREADS ? min(partI1, m) : m; }
// @ts-ignore: decorator
@inline function colsFrom(): i32 { return ASC_FEATURE_THREADS ? partJ0 : 0; }
// @ts-ignore: decorator
@inline function colsTo(n: i32): i32 { return ASC_FEATURE_THREADS ? min(partJ1, n) : n; }

/** Bytes of one instance's packing region (A block, B block, edge tile). */
export function matmul_scratch_bytes(): i32 { return MC * KC * 16 + KC * NC * 4 + MR * NR * 4; }

/** This instance packs into [at, at + matmul_scratch_bytes()) (64-byte aligned) from now on. */
export function matmul_scratch(at: usize): void {
  apAt = at; bpAt = at + MC * KC * 16; tileAt = bpAt + KC * NC * 4;
}

/**
 * matmul's C[i0:i1, j0:j1] alone (k > 0, a non-empty block): the pool hands each thread
 * a block of rows or of columns of C. Every element is computed as matmul computes it,
 * whatever the block, so any split gives matmul's bits.
 */
export function matmul_part(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, alpha: f32, beta: f32, i0: i32, i1: i32, j0: i32, j1: i32): void {
  partI0 = i0; partI1 = i1; partJ0 = j0; partJ1 = j1;
  matmul(c, a, b, m, n, k, transA, transB, alpha, beta);
  partI0 = 0; partI1 = i32.MAX_VALUE; partJ0 = 0; partJ1 = i32.MAX_VALUE;
}

// Store modes: the first KC block overwrites C (beta == 0) or blends it in; later blocks add.
const SET = 0;
const BLEND = 1;
const ACC = 2;

export function matmul(c: usize, a: usize, b: usize, m: i32, n: i32, k: i32,
  transA: i32, transB: i32, alpha: f32, beta: f32): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (let i = 0; i < m * n; i++) {
      const o = c + (<usize>i << 2);
      store<f32>(o, beta == 0 ? alpha * <f32>0 : alpha * <f32>0 + beta * load<f32>(o));
    }
    return;
  }
  const ldc = <usize>n << 2;
  const j1 = colsTo(n), i1 = rowsTo(m);
  for (let jc = colsFrom(); jc < j1; jc += NC) {
    const nc = min(NC, j1 - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(b, n, k, transB, pc, jc, kc, nc);
      const mode = pc > 0 ? ACC : beta == 0 ? SET : BLEND;
      for (let ic = rowsFrom(); ic < i1; ic += MC) {
        const mc = min(MC, i1 - ic);
        packA(a, m, k, transA, ic, pc, mc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const bp = BP() + (<usize>(jr * kc) << 2);
          const cols = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const rows = min(MR, mc - ir);
            const cp = c + (<usize>((ic + ir) * n + jc + jr) << 2);
            micro(AP() + (<usize>(ir * kc) << 4), bp, kc, cp, ldc, rows, cols, mode, alpha, beta);
          }
        }
      }
    }
  }
}

// C[0:rows, 0:cols] (row stride ldc bytes) <- the MR x 8 product of an A panel (kc x MR
// pre-broadcast v128s, p-major) and a B panel (kc x 8, p-major), stored per mode. Rows 4
// and 5 exist in the fast build alone (MR = 6; a compile-time choice).
function micro(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, rows: i32, cols: i32,
  mode: i32, alpha: f32, beta: f32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  const end = ap + <usize>kc * (MR << 4);
  // the fast build's panels of at most 4 rows (a batch of 1, C's last rows) skip the
  // padding rows 4 and 5: the 4x8 loop over the 6-row panel
  if (MR == 6 && rows <= 4) while (ap < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av = v128.load(ap);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load(ap, 16);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load(ap, 32);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load(ap, 48);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    ap += MR << 4; bp += 32;
  }
  while (ap < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    let av = v128.load(ap);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load(ap, 16);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load(ap, 32);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load(ap, 48);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    if (MR == 6) {
      av = v128.load(ap, 64);
      c40 = madd(av, b0, c40); c41 = madd(av, b1, c41);
      av = v128.load(ap, 80);
      c50 = madd(av, b0, c50); c51 = madd(av, b1, c51);
    }
    ap += MR << 4; bp += 32;
  }
  // whole tiles, and the fast build's 4-row ones, store by rows of v128s
  if ((rows == MR && cols == NR) || (MR == 6 && rows == 4 && cols == NR)) {
    const va = f32x4.splat(alpha), vb = f32x4.splat(beta);
    storeRow(c, c00, c01, mode, va, vb); c += ldc;
    storeRow(c, c10, c11, mode, va, vb); c += ldc;
    storeRow(c, c20, c21, mode, va, vb); c += ldc;
    storeRow(c, c30, c31, mode, va, vb);
    if (MR == 6 && rows == MR) {
      c += ldc; storeRow(c, c40, c41, mode, va, vb);
      c += ldc; storeRow(c, c50, c51, mode, va, vb);
    }
    return;
  }
  v128.store(TILE(), c00); v128.store(TILE(), c01, 16);
  v128.store(TILE(), c10, 32); v128.store(TILE(), c11, 48);
  v128.store(TILE(), c20, 64); v128.store(TILE(), c21, 80);
  v128.store(TILE(), c30, 96); v128.store(TILE(), c31, 112);
  if (MR == 6) {
    v128.store(TILE(), c40, 128); v128.store(TILE(), c41, 144);
    v128.store(TILE(), c50, 160); v128.store(TILE(), c51, 176);
  }
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const s = load<f32>(TILE() + (<usize>(i * NR + j) << 2));
      const o = c + <usize>i * ldc + (<usize>j << 2);
      // the same per-element arithmetic as storeRow's lanes
      store<f32>(o, mode == SET ? s * alpha : mode == BLEND ? s * alpha + load<f32>(o) * beta : load<f32>(o) + s * alpha);
    }
  }
}

// c + a * b. The default build rounds the product, then the sum (the same bits on every
// machine). The fast build (asc --enable relaxed-simd: build/polyhead-fast.wasm, the
// polyhead/fast entry) lets the runtime fuse them into one FMA where the CPU has it,
// rounding once: ~1.3x the matmul throughput, last bits machine-dependent.
// @ts-ignore: decorator
@inline function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

// @ts-ignore: decorator
@inline function storeRow(c: usize, x0: v128, x1: v128, mode: i32, va: v128, vb: v128): void {
  let y0 = f32x4.mul(x0, va), y1 = f32x4.mul(x1, va);
  if (mode == BLEND) {
    y0 = f32x4.add(y0, f32x4.mul(v128.load(c), vb)); y1 = f32x4.add(y1, f32x4.mul(v128.load(c, 16), vb));
  } else if (mode == ACC) {
    y0 = f32x4.add(v128.load(c), y0); y1 = f32x4.add(v128.load(c, 16), y1);
  }
  v128.store(c, y0); v128.store(c, y1, 16);
}

// 4x4 transpose of rows r0..r3.
// @ts-ignore: decorator
@inline function tr0(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline function tr1(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), 2, 3, 6, 7);
}
// @ts-ignore: decorator
@inline function tr2(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 0, 1, 4, 5);
}
// @ts-ignore: decorator
@inline function tr3(r0: v128, r1: v128, r2: v128, r3: v128): v128 {
  return v128.shuffle<f32>(v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), v128.shuffle<f32>(r2, r3, 2, 6, 3, 7), 2, 3, 6, 7);
}

// Copy four rows of a row-major matrix (row stride ld bytes), columns [0, kc), into a
// p-major panel: dst[p * stride + r] = src[r][p], 4 lanes per p at byte stride `stride`.
// @ts-ignore: decorator
@inline function packRows4(dst: usize, src: usize, ld: usize, kc: i32, stride: usize): void {
  const s1 = src + ld, s2 = s1 + ld, s3 = s2 + ld;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize>p << 2;
    const r0 = v128.load(src + o), r1 = v128.load(s1 + o), r2 = v128.load(s2 + o), r3 = v128.load(s3 + o);
    const d = dst + <usize>p * stride;
    v128.store(d, tr0(r0, r1, r2, r3));
    v128.store(d + stride, tr1(r0, r1, r2, r3));
    v128.store(d + stride * 2, tr2(r0, r1, r2, r3));
    v128.store(d + stride * 3, tr3(r0, r1, r2, r3));
  }
  for (; p < kc; p++) {
    const o = <usize>p << 2, d = dst + <usize>p * stride;
    store<f32>(d, load<f32>(src + o)); store<f32>(d, load<f32>(s1 + o), 4);
    store<f32>(d, load<f32>(s2 + o), 8); store<f32>(d, load<f32>(s3 + o), 12);
  }
}

// Generic panel copy with zero padding: dst[p * w + r] = X[r * rs + p * ps] for r < rows,
// 0 for rows <= r < w. Strides in elements. Used for edge panels.
function packEdge(dst: usize, src: usize, rs: i32, ps: i32, rows: i32, w: i32, kc: i32): void {
  for (let p = 0; p < kc; p++) {
    for (let r = 0; r < w; r++) {
      store<f32>(dst + (<usize>(p * w + r) << 2), r < rows ? load<f32>(src + (<usize>(r * rs + p * ps) << 2)) : 0);
    }
  }
}

// op(A)[ic:ic+mc, pc:pc+kc] -> AP as MR-row panels, each kc x MR p-major, every element
// splatted to a v128 so the micro-kernel's A loads are plain loads.
function packA(a: usize, m: i32, k: i32, transA: i32, ic: i32, pc: i32, mc: i32, kc: i32): void {
  // op(A)[i][p] = a[i * rs + p * ps] (byte strides)
  const rowStride: i32 = transA ? 1 : k, pStride: i32 = transA ? m : 1;
  const rs = <usize>rowStride << 2, ps = <usize>pStride << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    let dst = AP() + (<usize>(ir * kc) << 4);
    const rows = min(MR, mc - ir);
    const src = a + <usize>(ic + ir) * rs + <usize>pc * ps;
    if (rows == MR) {
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * ps;
        v128.store(dst, v128.load32_splat(s)); v128.store(dst, v128.load32_splat(s + rs), 16);
        v128.store(dst, v128.load32_splat(s + rs * 2), 32); v128.store(dst, v128.load32_splat(s + rs * 3), 48);
        if (MR == 6) { v128.store(dst, v128.load32_splat(s + rs * 4), 64); v128.store(dst, v128.load32_splat(s + rs * 5), 80); }
        dst += MR << 4;
      }
    } else if (MR == 6 && rows <= 4) {
      // the fast build's short panels: the micro-kernel's 4-row loop reads rows 0..3 alone
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < 4; r++) {
          v128.store(dst + (<usize>r << 4), r < rows ? v128.load32_splat(src + <usize>r * rs + <usize>p * ps) : f32x4.splat(0));
        }
        dst += MR << 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < MR; r++) {
          v128.store(dst, r < rows ? v128.load32_splat(src + <usize>r * rs + <usize>p * ps) : f32x4.splat(0));
          dst += 16;
        }
      }
    }
  }
}

// op(B)[pc:pc+kc, jc:jc+nc] -> BP as NR-column panels, each kc x NR p-major.
function packB(b: usize, n: i32, k: i32, transB: i32, pc: i32, jc: i32, kc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const dst = BP() + (<usize>(jr * kc) << 2);
    const cols = min(NR, nc - jr), j = jc + jr;
    if (transB) {
      // B is (n,k): op(B)'s columns are B's rows; transpose two groups of 4
      const src = b + (<usize>(j * k + pc) << 2);
      if (cols == NR) {
        const ld = <usize>k << 2;
        packRows4(dst, src, ld, kc, NR * 4);
        packRows4(dst + 16, src + ld * 4, ld, kc, NR * 4);
      } else packEdge(dst, src, k, 1, cols, NR, kc);
    } else {
      const src = b + (<usize>(pc * n + j) << 2);
      if (cols == NR) {
        const ld = <usize>n << 2;
        for (let p = 0; p < kc; p++) {
          const s = src + <usize>p * ld, d = dst + (<usize>p << 5);
          v128.store(d, v128.load(s)); v128.store(d, v128.load(s, 16), 16);
        }
      } else packEdge(dst, src, 1, n, cols, NR, kc);
    }
  }
}
