// The recurrent/bag golden fixture (test/fixtures/seq-rnn.json, from build/seq_golden.py),
// loaded once for the seq suites.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

let fixture: any = null;
export function seqGolden(): any {
  if (!fixture) {
    fixture = JSON.parse(readFileSync(fileURLToPath(new URL("./fixtures/seq-rnn.json", import.meta.url)), "utf8"));
    if (fixture.magic !== "polyhead-seq-rnn" || fixture.version !== 1) throw new Error("seq-rnn.json: bad magic/version");
  }
  return fixture;
}
