// A small reader of R's serialisation (format 2 or 3, XDR) for the build scripts that derive
// example data from Debian's R packages without R: saved .rda files (build/census.mjs) and
// the lazy-load data bases of installed packages, data/Rdata.rdx + Rdata.rdb
// (build/austen.mjs). Only the node types that saved vectors and data frames use.
import { gunzipSync, inflateSync } from "node:zlib";
import { readFileSync } from "node:fs";

const NA_INT = -2147483648;

/**
 * One serialised object starting at buf's "X\n" header. Vectors are { values, attrs }
 * (attrs by name), pairlists { pair, tag, car, cdr, attr }, symbols { sym }.
 */
export function unserialize(buf) {
  let pos = 0;
  if (buf.subarray(0, 2).toString("latin1") !== "X\n") throw new Error("rdata: only the XDR (big-endian) format is read");
  pos = 2;
  const int = () => { const v = buf.readInt32BE(pos); pos += 4; return v; };
  const dbl = () => { const v = buf.readDoubleBE(pos); pos += 8; return v; };
  const version = int();
  int(); int();  // writer's and minimal reader's R versions
  if (version === 3) { const n = int(); pos += n; }  // native encoding name
  const refs = [];

  function item() {
    const flags = int();
    const type = flags & 0xff, hasAttr = (flags & (1 << 9)) !== 0, hasTag = (flags & (1 << 10)) !== 0;
    switch (type) {
      case 254: return null;                                     // NILVALUE
      case 242: case 241: case 253: case 251: return { env: type };  // empty/base/global env, missing arg
      case 255: { const i = flags >> 8; return refs[(i === 0 ? int() : i) - 1]; }  // REFSXP
      case 1: { const s = { sym: item() }; refs.push(s); return s; }            // SYMSXP
      case 9: {                                                  // CHARSXP; bit 2 of the levels: latin1
        const n = int();
        if (n === -1) return null;
        const s = buf.subarray(pos, pos + n).toString((flags >> 12) & 4 ? "latin1" : "utf8");
        pos += n;
        return s;
      }
      case 2: case 6: case 239: case 240: {                      // pairlists (and attribute lists)
        const attr = hasAttr ? item() : null;
        const tag = hasTag ? item() : null;
        const car = item(), cdr = item();
        return { pair: true, tag: tag?.sym ?? null, car, cdr, attr };
      }
      case 10: case 13: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) { const v = int(); a[i] = v === NA_INT ? null : v; } return vec(a, hasAttr); }
      case 14: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) { const v = dbl(); a[i] = Number.isNaN(v) ? null : v; } return vec(a, hasAttr); }
      case 16: case 19: { const n = len(); const a = new Array(n); for (let i = 0; i < n; i++) a[i] = item(); return vec(a, hasAttr); }
      case 238: {                                                // ALTREP: class info, state, attributes
        const info = item(), state = item(), attr = item();
        const cls = info.car?.sym;
        let values;
        if (cls === "compact_intseq" || cls === "compact_realseq") {
          const [n, start, step] = state.values;
          values = Array.from({ length: n }, (_, i) => start + i * step);
        } else if (cls === "deferred_string") values = state.car.values.map(String);
        else if (cls?.startsWith("wrap_")) values = state.values[0].values;
        else throw new Error(`rdata: ALTREP class ${cls} is not read here`);
        return { values, attrs: pairs(attr) };
      }
      default: throw new Error(`rdata: R node type ${type} is not read here`);
    }
  }
  function len() { const n = int(); if (n !== -1) return n; const hi = int(), lo = int(); return hi * 2 ** 32 + lo; }
  function vec(values, hasAttr) { return { values, attrs: hasAttr ? pairs(item()) : {} }; }
  return item();
}

/** A pairlist (a saved .rda's objects, an attribute list) as an object by tag. */
export function pairs(p) { const o = {}; for (; p; p = p.cdr) o[p.tag] = p.car; return o; }

/** The objects of an uncompressed .rda file (magic RDX2/RDX3), by name. */
export function readRData(buf) {
  const magic = buf.subarray(0, 5).toString("latin1");
  if (magic !== "RDX2\n" && magic !== "RDX3\n") throw new Error(`rdata: not an XDR .rda file (magic ${JSON.stringify(magic)})`);
  return pairs(unserialize(buf.subarray(5)));
}

/** A named list ({ values, attrs.names }) as an object by name. */
export function byName(list) {
  const names = list.attrs.names?.values;
  if (!names) throw new Error("rdata: the list has no names");
  return Object.fromEntries(names.map((n, i) => [n, list.values[i]]));
}

/**
 * An installed package's lazy-load data base (`dir` holds Rdata.rdx and Rdata.rdb): the
 * object names and a reader of one object. The index is a gzipped serialised list whose
 * `variables` give each object's [offset, length] in the .rdb; each entry there is a 4-byte
 * length then a zlib stream.
 */
export function lazyLoadDb(dir, base = "Rdata") {
  const index = byName(unserialize(gunzipSync(readFileSync(`${dir}/${base}.rdx`))));
  if (index.compressed?.values?.[0] !== 1 && index.compressed?.values?.[0] !== true) {
    throw new Error(`rdata: ${dir}/${base}.rdb is not zlib-compressed (compressed = ${index.compressed?.values?.[0]})`);
  }
  const vars = byName(index.variables);
  const db = readFileSync(`${dir}/${base}.rdb`);
  return {
    names: Object.keys(vars),
    read(name) {
      const at = vars[name];
      if (!at) throw new Error(`rdata: no object "${name}" in ${dir} (has: ${Object.keys(vars).join(", ")})`);
      const [off, n] = at.values;
      return unserialize(inflateSync(db.subarray(off + 4, off + n)));
    },
  };
}
