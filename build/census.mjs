// Regenerates examples/data/cps1985.csv, the census-style survey behind the tabular
// example and tests, from Debian's r-cran-aer package without R: the .deb is fetched with
// `apt-get download` (or given with --deb), unpacked with dpkg-deb, its data/CPS1985.rda
// decompressed (bzip2 or xz) and read by the small reader of R's XDR serialisation in
// build/rdata.mjs (data frames of numeric and factor columns are all it needs).
//   node build/census.mjs [--deb r-cran-aer_1.2-10-1_all.deb]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { readRData } from "./rdata.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const NAME = "CPS1985";
const OUT = join(root, "examples/data/cps1985.csv");

/** A data frame as CSV: factors by level, numbers as R prints them, missing values empty. */
function toCsv(df) {
  const names = df.attrs.names.values;
  const cols = df.values.map((c) => {
    const levels = c.attrs.levels?.values;
    return levels ? c.values.map((v) => (v === null ? "" : levels[v - 1])) : c.values.map((v) => (v === null ? "" : String(v)));
  });
  const quote = (s) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [names.map(quote).join(",")];
  for (let r = 0; r < cols[0].length; r++) lines.push(cols.map((c) => quote(c[r])).join(","));
  return lines.join("\n") + "\n";
}

const args = process.argv.slice(2);
const tmp = mkdtempSync(join(tmpdir(), "polyhead-census-"));
try {
  let deb = args.includes("--deb") ? args[args.indexOf("--deb") + 1] : null;
  if (!deb) {
    execFileSync("apt-get", ["download", "r-cran-aer"], { cwd: tmp, stdio: "inherit" });
    deb = join(tmp, readdirSync(tmp).find((f) => f.endsWith(".deb")));
  }
  execFileSync("dpkg-deb", ["-x", deb, join(tmp, "x")]);
  const version = execFileSync("dpkg-deb", ["-f", deb, "Version"], { encoding: "utf8" }).trim();
  const rda = join(tmp, "x/usr/lib/R/site-library/AER/data", `${NAME}.rda`);
  const head = readFileSync(rda).subarray(0, 6);
  const tool = head[0] === 0x42 && head[1] === 0x5a ? "bunzip2" : head[0] === 0xfd ? "xz" : head[0] === 0x1f ? "gunzip" : null;
  const raw = tool ? execFileSync(tool, ["-c"], { input: readFileSync(rda), maxBuffer: 1 << 28 }) : readFileSync(rda);
  const objects = readRData(raw);
  const df = objects[NAME];
  if (!df || !df.attrs.names) throw new Error(`census: ${NAME}.rda holds no data frame named ${NAME} (found: ${Object.keys(objects).join(", ")})`);
  writeFileSync(OUT, toCsv(df));
  console.log(`census: wrote ${OUT} (${df.values[0].values.length} rows, columns ${df.attrs.names.values.join(", ")}) from r-cran-aer ${version}`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
