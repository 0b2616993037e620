// The runnable examples, in their short modes, against the built bundle: the README's
// first example must learn, and the main job must print its results table.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const run = (file: string, ...args: string[]) => execFileSync(process.execPath, [file, ...args], { cwd: root, encoding: "utf8", timeout: 240_000 });

describe("examples", () => {
  it("quickstart (the README's example) learns both tasks", () => {
    const res = JSON.parse(run("examples/quickstart.mjs").trim().split("\n").pop()!);
    expect(res.kind.accuracy).toBeGreaterThan(0.85);
    expect(res.score.r2).toBeGreaterThan(0.9);
  });

  it("guide: every section runs and learns", () => {
    const out = run("examples/guide.mjs");
    const num = (re: RegExp) => Number(re.exec(out)![1]);
    expect(num(/loss [\d.]+ -> ([\d.]+)/)).toBeLessThan(0.01);
    expect(num(/MMoE \+ UW: .*kind accuracy ([\d.]+)/)).toBeGreaterThan(0.8);
    expect(num(/per-task data, sampled, PCGrad: kind ([\d.]+)/)).toBeGreaterThan(0.8);
    expect(out).toMatch(/curriculum \+ checkpoint: resumed at epoch 4, now at 6/);
    expect(num(/parameter averaging: kind accuracy ([\d.]+)/)).toBeGreaterThan(0.5);
    expect(out).toMatch(/6\. state dict: 0\.weight \[16,8\], 0\.bias \[16\], 2\.weight \[1,16\], 2\.bias \[1\]/);
  });

  it("mnist --quick prints the comparison table and Delta_m", () => {
    const out = run("examples/mnist.mjs", "--quick");
    for (const t of ["digit", "parity", "large"]) expect(out).toMatch(new RegExp(`^${t}\\s+accuracy\\s+0\\.\\d{4}\\s+0\\.\\d{4}`, "m"));
    expect(out).toMatch(/Delta_m = [+-]\d+\.\d\d%/);
    const acc = Number(/^digit\s+accuracy\s+\S+\s+(\S+)/m.exec(out)![1]);
    expect(acc).toBeGreaterThan(0.6);
  });
});
