// The allocator: blocks split and merge, so memory freed in any sizes serves any size,
// and a serving loop over varying batch sizes keeps a bounded high-water mark (also under
// a small memory limit). The training loop's flat steady state is checked in
// engine.test.ts, optim.test.ts and mtl.test.ts.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { init, memoryStats, resetMemoryPeak, randn, scope, noGrad, zeros, Sequential, Linear, ReLU, Rng, Tensor, sum, tensor } from "../src/index.js";
import { alloc, free, I32 } from "../src/engine/engine.js";

beforeAll(async () => { await init({ maxMemoryMB: 64 }); });
afterAll(async () => { await init({ maxMemoryMB: 2048 }); });

/** A seeded stream of integers in [0, n) (the tests' own, independent of the library's Rng). */
function lcg(seed: number): (n: number) => number {
  let x = seed >>> 0;
  return (n) => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x % n; };
}

describe("allocator", () => {
  it("random allocations and frees never overlap, stay 64-byte aligned, and account exactly", () => {
    const r = lcg(11);
    const before = memoryStats();
    const blocks: { ptr: number; bytes: number; tag: number }[] = [];
    const mark = (b: { ptr: number; bytes: number; tag: number }) => {
      const v = I32(); v[b.ptr >>> 2] = b.tag; v[(b.ptr + b.bytes - 4) >>> 2] = ~b.tag;
    };
    const intact = (b: { ptr: number; bytes: number; tag: number }) => {
      const v = I32(); return v[b.ptr >>> 2] === b.tag && v[(b.ptr + b.bytes - 4) >>> 2] === ~b.tag;
    };
    let inUse = 0;
    const aligned = (n: number) => Math.ceil(Math.max(n, 1) / 64) * 64;
    for (let i = 0; i < 2500; i++) {
      if (blocks.length > 0 && r(100) < 45) {
        const [b] = blocks.splice(r(blocks.length), 1);
        expect(intact(b), `block ${b.tag} was overwritten by a later allocation`).toBe(true);
        free(b.ptr, b.bytes); inUse -= aligned(b.bytes);
      } else {
        // sizes from 8 bytes to ~256 KB, spread over every size class
        const bytes = 8 * (1 + r(1 << (r(15) + 1)));
        const b = { ptr: alloc(bytes), bytes, tag: i + 1 };
        expect(b.ptr % 64).toBe(0);
        mark(b); blocks.push(b); inUse += aligned(bytes);
      }
      expect(memoryStats().bytesInUse - before.bytesInUse).toBe(inUse);
    }
    for (const b of blocks) { expect(intact(b)).toBe(true); free(b.ptr, b.bytes); }
    const after = memoryStats();
    expect(after.bytesInUse).toBe(before.bytesInUse);
    expect(after.liveAllocations).toBe(before.liveAllocations);
    // everything freed merges back: one request for all the memory the test spanned fits without growth
    const all = alloc(after.highWater - before.highWater);
    expect(memoryStats().highWater).toBe(after.highWater);
    free(all, after.highWater - before.highWater);
  });

  it("peakBytesInUse counts a block reused from the exact-size lists like a fresh one", () => {
    const a = alloc(1 << 16);
    free(a, 1 << 16); // kept for its size
    resetMemoryPeak();
    const before = memoryStats().bytesInUse;
    const b = alloc(1 << 16); // served from the exact-size list
    expect(memoryStats().bytesInUse - before).toBe(1 << 16);
    expect(memoryStats().peakBytesInUse - before).toBe(1 << 16);
    free(b, 1 << 16);
  });
  it("memory freed in any sizes serves a request of any size (15 x 1 MB freed, then 4 MB and 15 MB)", () => {
    const mb = 1 << 18; // floats in 1 MiB
    const parts = Array.from({ length: 15 }, () => zeros([mb]).keep());
    const hw = memoryStats().highWater;
    // free in an order that merges with the block before, after, and both
    for (const i of [1, 3, 0, 2, 5, 4, 7, 9, 8, 6, 14, 12, 13, 10, 11]) parts[i].dispose();
    expect(memoryStats().bytesFree).toBeGreaterThanOrEqual(15 * 4 * mb);
    const big = zeros([4 * mb]);
    const bigger = zeros([11 * mb]);
    expect(memoryStats().highWater).toBe(hw);
    big.dispose(); bigger.dispose();
    const all = zeros([15 * mb]);
    expect(memoryStats().highWater).toBe(hw);
    all.dispose();
  });

  it("a hole left between live blocks is split for smaller requests of other sizes", () => {
    const a = zeros([100000]).keep(), hole = zeros([300000]).keep(), c = zeros([1000]).keep();
    const hw = memoryStats().highWater;
    hole.dispose();
    const parts = [zeros([120000]), zeros([7]), zeros([150000]), zeros([20000])];
    expect(memoryStats().highWater).toBe(hw);
    for (const p of parts) p.dispose();
    expect(Array.from(c.data().slice(0, 3))).toEqual([0, 0, 0]);
    a.dispose(); c.dispose();
  });

  it("a serving loop over batch sizes 1..400 and then random sizes holds a bounded high-water mark under maxMemoryMB 64", () => {
    const rng = new Rng(3);
    const net = new Sequential(new Linear(32, 64), new ReLU(), new Linear(64, 64), new ReLU(), new Linear(64, 10));
    // responses wait in a queue of 8 before they are sent: live tensors sit between the free blocks
    const queue: Tensor[] = [];
    const request = (b: number) => {
      const y = scope(() => noGrad(() => net.forward(randn([b, 32], 0, 1, rng)))).keep();
      queue.push(y);
      if (queue.length > 8) queue.shift()!.dispose();
    };
    request(400);
    const one = memoryStats().highWater; // the footprint of the largest request, plus the model
    for (let b = 1; b <= 400; b++) request(b);
    const r = lcg(5);
    for (let i = 0; i < 400; i++) request(1 + r(400));
    const hw = memoryStats().highWater;
    // exact-size reuse needed ~0.3 MB per distinct size here (over 100 MB); a splitting,
    // merging allocator stays within twice the largest request's footprint
    expect(hw, `high-water ${hw} bytes after 800 requests, ${one} after the first`).toBeLessThan(2 * one);
    for (const y of queue) y.dispose();
    expect(sum(tensor([1, 2, 3])).item()).toBe(6);
  });

  it("out of memory names what is in use and free, and changes nothing", () => {
    const before = memoryStats();
    expect(() => zeros([20 * (1 << 20)])).toThrow(/out of memory: need 83886080 bytes, \d+ in use, \d+ free in \d+ blocks.*maxMemoryMB/);
    const { bytesInUse, highWater, bytesFree, liveAllocations } = memoryStats();
    expect({ bytesInUse, highWater, bytesFree, liveAllocations }).toEqual({
      bytesInUse: before.bytesInUse, highWater: before.highWater, bytesFree: before.bytesFree, liveAllocations: before.liveAllocations });
    expect(() => alloc(-1)).toThrow(/cannot allocate -1 bytes/);
  });
});
