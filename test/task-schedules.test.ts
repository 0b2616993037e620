// Training schedules over one dataset per task (joint, alternating, sampled): each task's
// batches come from its own stream, seeded by the task's name, so the order and set of
// the other tasks never change a task's batches.
import { describe, it, expect, beforeAll } from "vitest";
import { init, Rng, taskDatasets, joint, alternating, sampled, type Schedule, type MultiTaskDataset } from "../src/index.js";

beforeAll(async () => { await init(); });

function data(): Record<string, MultiTaskDataset> {
  const mk = (n: number, seed: number) => {
    const r = new Rng(seed);
    return { x: Float32Array.from(r.u32(n * 2), (v) => v / 4294967296), xShape: [2], labels: Float32Array.from(r.u32(n), (v) => v / 4294967296) };
  };
  return taskDatasets({ a: mk(13, 1), b: mk(7, 2), c: mk(20, 3) });
}

/** Each task's batches (as example indices) in each of two epochs of `schedule`. */
function batchesByTask(schedule: Schedule, taskNames: string[]): Record<string, number[][]>[] {
  const d = data(), rng = new Rng(42);
  return [0, 1].map((epoch) => {
    const out: Record<string, number[][]> = {};
    const ctx = { data: d, batchSize: 4, epoch, rng: rng.split(epoch + 1), taskNames };
    for (const plan of schedule.epoch(ctx)) {
      for (const part of plan.parts) for (const t of part.tasks) (out[t] ??= []).push(Array.from(part.batch.indices));
    }
    return out;
  });
}

const SCHEDULES: [string, () => Schedule][] = [["joint", joint], ["alternating", alternating], ["sampled", () => sampled({ steps: 12 })]];

describe.each(SCHEDULES)("%s over one dataset per task", (_, make) => {
  it("a task's batches do not depend on the order or the set of the other tasks", () => {
    const abc = batchesByTask(make(), ["a", "b", "c"]);
    const cab = batchesByTask(make(), ["c", "a", "b"]);
    const ab = batchesByTask(make(), ["a", "b"]);
    // how many batches a task gets in an epoch may change (the epoch's length follows the
    // largest task; sampled draws tasks by position); the sequence it gets may not
    const prefix = (x: number[][], y: number[][]) => { const n = Math.min(x.length, y.length); expect(n).toBeGreaterThan(0); expect(x.slice(0, n)).toEqual(y.slice(0, n)); };
    for (let e = 0; e < 2; e++) {
      for (const t of ["a", "b", "c"]) prefix(abc[e][t], cab[e][t]);
      for (const t of ["a", "b"]) prefix(abc[e][t], ab[e][t]);
    }
    expect(abc[1].a).not.toEqual(abc[0].a); // a new shuffle each epoch
  });

  it("each pass over a task's data visits every example once", () => {
    const [abc] = batchesByTask(make(), ["a", "b", "c"]);
    const sizes: Record<string, number> = { a: 13, b: 7, c: 20 };
    for (const t of ["a", "b", "c"]) {
      const perPass = Math.ceil(sizes[t] / 4);
      const all = abc[t];
      expect(all.length).toBeGreaterThan(0);
      for (let p = 0; (p + 1) * perPass <= all.length; p++) {
        expect(all.slice(p * perPass, (p + 1) * perPass).flat().sort((x, y) => x - y)).toEqual([...Array(sizes[t]).keys()]);
      }
    }
  });
});
