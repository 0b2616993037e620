// Sums vitest JSON reports into the one line CI reads: "N passed, N failed".
// A missing or empty report counts as a failure, so a run that executed nothing fails.
import { existsSync, readFileSync } from "node:fs";

let passed = 0, failed = 0, skipped = 0, files = 0;
for (const f of process.argv.slice(2)) {
  if (!existsSync(f)) { console.error(`ci-summary: no report ${f}`); failed++; continue; }
  const r = JSON.parse(readFileSync(f, "utf8"));
  passed += r.numPassedTests ?? 0;
  failed += (r.numFailedTests ?? 0) + (r.numRuntimeErrorTestSuites ?? 0);
  skipped += (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  files++;
}
if (files === 0 || passed + failed === 0) { console.error("ci-summary: no tests ran"); failed = Math.max(failed, 1); }
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed > 0 ? 1 : 0);
