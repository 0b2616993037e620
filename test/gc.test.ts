// Tensors made outside any scope (or returned from a top-level scope) are reclaimed by
// the finalizer once unreachable: no dispose() needed even without scopes.
import { describe, it, expect, beforeAll } from "vitest";
import { init, randn, add, scope, memoryStats, Rng } from "../src/index.js";

beforeAll(async () => { await init(); });

async function collect(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc (vitest.config.ts sets it)");
  for (let i = 0; i < 5; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
}

describe("finalizer", () => {
  it("frees unscoped tensors and top-level scope results once they are unreachable", async () => {
    await collect();
    const live0 = memoryStats().liveAllocations;
    (() => {
      const rng = new Rng(1);
      for (let i = 0; i < 200; i++) {
        add(randn([64], 0, 1, rng), 1);                    // unscoped temporaries
        scope(() => add(randn([64], 0, 1, rng), 2));        // a top-level scope's result
      }
    })();
    expect(memoryStats().liveAllocations).toBeGreaterThan(live0 + 300);
    await collect();
    expect(memoryStats().liveAllocations).toBeLessThan(live0 + 20);
  });
});
