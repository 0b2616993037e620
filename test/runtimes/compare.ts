// Shared by the cross-runtime suites: Node's in-process result (the reference) and a
// comparison whose failure names every result that differs.
import { expect } from "vitest";
// @ts-ignore -- plain ESM shared with every runtime; no types on purpose
import { run } from "./workload.mjs";

export interface WorkloadResult { runtime: string; checksums: Record<string, string>; losses: number[]; mmoeLosses: number[] }

let reference: Promise<WorkloadResult> | null = null;
/** The workload run in this Node process on dist/index.js (built by `npm test`). */
export function nodeResult(): Promise<WorkloadResult> {
  return (reference ??= run());
}

/** Assert `got` has exactly `want`'s checksums; the message names `what` (the runtime), the first that differs (workload order) and lists the rest. */
export function expectSameChecksums(got: Record<string, string>, want: Record<string, string>, what: string, hint = ""): void {
  const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])];
  const diff = keys.filter((k) => got[k] !== want[k]);
  const lines = diff.slice(0, 12).map((k) => `  ${k}: got ${got[k] ?? "(missing)"}, expected ${want[k] ?? "(absent)"}`);
  if (diff.length > 12) lines.push(`  ... and ${diff.length - 12} more`);
  const msg = `${what}: ${diff.length} of ${keys.length} checksums differ, first "${diff[0]}"${hint ? ` (${hint})` : ""}\n${lines.join("\n")}`;
  expect(diff.length === 0, msg).toBe(true);
}
