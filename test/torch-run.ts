// Runs one of build/'s PyTorch check scripts over case folders (one Python process for
// all: importing torch is the slow part) and returns each folder's JSON report line.
import { execFileSync } from "node:child_process";

export function runTorchScript<R>(script: string, dirs: Record<string, string>): Record<string, R> {
  let out: string;
  try {
    out = execFileSync("/usr/bin/python3", [script, ...Object.values(dirs)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    throw new Error(`${script} failed (it needs /usr/bin/python3 with Debian's python3-torch): ${(e as { stderr?: string }).stderr ?? e}`);
  }
  const reports: Record<string, R> = {};
  for (const line of out.trim().split("\n")) {
    const rep = JSON.parse(line);
    reports[Object.keys(dirs).find((k) => dirs[k] === rep.dir)!] = rep;
  }
  return reports;
}
