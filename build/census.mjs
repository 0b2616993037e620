// Regenerates examples/data/cps1985.csv, the census-style survey behind the tabular
// example and tests, from Debian's r-cran-aer package without R: the .deb is fetched with
// `apt-get download` (or given with --deb), unpacked with dpkg-deb, its data/CPS1985.rda
// decompressed (bzip2 or xz) and read by the small reader of R's XDR serialisation below
// (data frames of numeric and factor columns are all it needs).
//   node build/census.mjs [--deb r-cran-aer_1.2-10-1_all.deb]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const NAME = "CPS1985";
const OUT = join(root, "examples/data/cps1985.csv");

/** R's serialisation (format 2 or 3, XDR): just the node types a saved data frame uses. */
function readRData(buf) {
  let pos = 0;
  const magic = buf.subarray(0, 5).toString("latin1");
  if (magic !== "RDX2\n" && magic !== "RDX3\n") throw new Error(`census: not an XDR .rda file (magic ${JSON.stringify(magic)})`);
  pos = 5;
  if (buf.subarray(pos, pos + 2).toString("latin1") !== "X\n") throw new Error("census: only the XDR (big-endian) format is read");
  pos += 2;
  const int = () => { const v = buf.readInt32BE(pos); pos += 4; return v; };
  const dbl = () => { const v = buf.readDoubleBE(pos); pos += 8; return v; };
  const version = int();
  int(); int();  // writer's and minimal reader's R versions
  if (version === 3) { const n = int(); pos += n; }  // native encoding name
  const refs = [];
  const NA_INT = -2147483648;

  function item() {
    const flags = int();
    const type = flags & 0xff, hasAttr = (flags & (1 << 9)) !== 0, hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case 254: return null;                                     // NILVALUE
      case 242: case 241: case 253: case 251: return { env: type };  // empty/base/global env, missing arg
      case 255: { const i = flags >> 8; return refs[(i === 0 ? int() : i) - 1]; }  // REFSXP
      case 1: { const s = { sym: item() }; refs.push(s); return s; }            // SYMSXP
      case 9: { const n = int(); if (n === -1) return null; const s = buf.subarray(pos, pos + n).toString("utf8"); pos += n; return s; }
      case 2: case 6: case 239: case 240: {                      // pairlists (and attribute lists)
        const attr = hasAttr ? item() : null;
        const tag = hasTag ? item() : null;
        const car = item(), cdr = item();
        return { pair: true, tag: tag?.sym ?? null, car, cdr, attr };
      }
      case 10: case 13: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) { const v = int(); a[i] = v === NA_INT ? null : v; } return vec(a, hasAttr); }
      case 14: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) { const v = dbl(); a[i] = Number.isNaN(v) ? null : v; } return vec(a, hasAttr); }
      case 16: case 19: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) a[i] = item(); return vec(a, hasAttr); }
      default: throw new Error(`census: R node type ${type} is not read here`);
    }
  }
  function len() { const n = int(); if (n !== -1) return n; const hi = int(), lo = int(); return hi * 2 ** 32 + lo; }
  function vec(values, hasAttr) { return { values, attrs: hasAttr ? pairs(item()) : {} }; }
  function pairs(p) { const o = {}; for (; p; p = p.cdr) o[p.tag] = p.car; return o; }

  return pairs(item());
}

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
