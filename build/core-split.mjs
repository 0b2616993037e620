// The universal set's one-engine layout: dist/index.js is one self-contained file (no
// chunks: one file gzips ~4 KB smaller than a core chunk plus the entry that re-exports it),
// and every other universal entry (polyhead/node, the families, the worker script) imports
// the engine's modules from dist/index.js itself, so one process holds one engine.
//
// How: the modules of src/index.ts's bundle are "the core". While the other entries are
// bundled, each import of a core module is answered by a small proxy that re-exports the
// names the importers use from dist/index.js, which exports them (public names as they
// are, the rest under short private aliases `$0`, `$1`, ...). The names come from the
// importers' own import statements (read with TypeScript's parser), checked against the
// core module's runtime exports; the build fails if a core module is bundled twice.
import { readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as esbuild from "esbuild";
import ts from "typescript";

/** The external specifier core imports get while bundling, rewritten to dist/index.js after. */
export const CORE = "polyhead-core-index";

const abs = (root, p) => resolve(root, p);
/** `../tensor.js` imported from `file` -> the absolute .ts path, or null for anything else. */
function resolveTs(file, spec) {
  if (!spec.startsWith(".")) return null;
  return resolve(dirname(file), spec).replace(/\.js$/, ".ts");
}

/** Absolute paths of the .ts modules in src/index.ts's bundle. */
async function coreModules(root, common) {
  const r = await esbuild.build({ ...common, splitting: false, outdir: undefined, write: false, metafile: true, entryPoints: [join(root, "src/index.ts")] });
  return new Set(Object.keys(r.metafile.inputs).filter((p) => p.endsWith(".ts")).map((p) => abs(root, p)));
}

/** Each core module's runtime export names (types are gone after esbuild). */
async function runtimeExports(root, common, modules) {
  const r = await esbuild.build({ ...common, splitting: true, write: false, metafile: true, outdir: join(root, ".core-split"), entryPoints: [...modules] });
  const out = new Map();
  for (const o of Object.values(r.metafile.outputs)) if (o.entryPoint) out.set(abs(root, o.entryPoint), new Set(o.exports));
  return out;
}

/** The non-core source files the other entries reach, with core imports cut off. */
async function reachedFiles(root, common, entryPoints, core, plugins, inline) {
  const cut = { name: "cut-core", setup(b) {
    b.onResolve({ filter: /^\./ }, (a) => { const p = a.importer && !inline(a.importer) && resolveTs(a.importer, a.path); return p && core.has(p) ? { path: p, external: true } : undefined; });
  } };
  const r = await esbuild.build({ ...common, write: false, metafile: true, entryPoints, plugins: [cut, ...plugins] });
  return Object.keys(r.metafile.inputs).filter((p) => p.endsWith(".ts")).map((p) => abs(root, p)).filter((p) => !core.has(p));
}

/** For each core module, the value names the files import from it ("*" for all). */
function usedNames(files, core) {
  const used = new Map();
  const add = (m, n) => { if (!used.has(m)) used.set(m, new Set()); used.get(m).add(n); };
  for (const file of files) {
    const sf = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
    for (const st of sf.statements) {
      const isImport = ts.isImportDeclaration(st), isExport = ts.isExportDeclaration(st);
      if (!(isImport || isExport) || !st.moduleSpecifier || !ts.isStringLiteral(st.moduleSpecifier)) continue;
      const m = resolveTs(file, st.moduleSpecifier.text);
      if (!m || !core.has(m)) continue;
      if (isImport) {
        const c = st.importClause;
        if (!c || c.isTypeOnly) continue; // a bare `import "../api.js"`: the proxy imports dist/index.js
        if (c.name) add(m, "default");
        const b = c.namedBindings;
        if (b && ts.isNamespaceImport(b)) add(m, "*");
        else if (b) for (const e of b.elements) if (!e.isTypeOnly) add(m, (e.propertyName ?? e.name).text);
      } else {
        if (st.isTypeOnly) continue;
        const c = st.exportClause;
        if (!c || ts.isNamespaceExport(c)) add(m, "*");
        else for (const e of c.elements) if (!e.isTypeOnly) add(m, (e.propertyName ?? e.name).text);
      }
    }
  }
  return used;
}

/** Which (module, name) pairs are src/index.ts's public export of that name (the same binding). */
async function publicPairs(root, common, pairs) {
  const dir = mkdtempSync(join(tmpdir(), "core-split-"));
  try {
    const mods = [...new Set(pairs.map(([m]) => m))];
    const probe = [`import * as api from ${JSON.stringify(join(root, "src/index.ts"))};`,
      ...mods.map((m, i) => `import * as m${i} from ${JSON.stringify(m)};`),
      `export const same = [${pairs.map(([m, n]) => `(${JSON.stringify(n)} in api) && api[${JSON.stringify(n)}] === m${mods.indexOf(m)}[${JSON.stringify(n)}]`).join(", ")}];`].join("\n");
    writeFileSync(join(dir, "probe.ts"), probe);
    await esbuild.build({ ...common, splitting: false, outdir: undefined, write: true, outfile: join(dir, "probe.mjs"), entryPoints: [join(dir, "probe.ts")], platform: "node", minify: false, logLevel: "silent" });
    const { same } = await import(pathToFileURL(join(dir, "probe.mjs")).href);
    return new Set(pairs.filter((_, i) => same[i]).map(([m, n]) => `${m}\0${n}`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Plan the split for the universal set: returns the virtual index entry's source (src/index.ts
 * plus the private aliases) and the esbuild plugin that proxies core imports for the others.
 */
export async function planCoreSplit({ root, common, entryPoints, plugins = [], inline = () => false }) {
  const core = await coreModules(root, common);
  const exportsOf = await runtimeExports(root, common, core);
  const files = await reachedFiles(root, common, entryPoints, core, plugins, inline);
  const used = usedNames(files.filter((f) => !inline(f)), core);
  const pairs = [];
  for (const [m, names] of used) {
    const have = exportsOf.get(m) ?? new Set();
    for (const n of names.has("*") ? have : names) if (have.has(n)) pairs.push([m, n]);
  }
  const pub = await publicPairs(root, common, pairs);
  const alias = new Map(); // "module\0name" -> the name dist/index.js exports it under
  let k = 0;
  for (const [m, n] of pairs) { const key = `${m}\0${n}`; alias.set(key, pub.has(key) ? n : `$${k++}`); }
  const privates = pairs.filter(([m, n]) => !pub.has(`${m}\0${n}`));
  const indexSource = [`export * from ${JSON.stringify(join(root, "src/index.ts"))};`,
    ...privates.map(([m, n]) => `export { ${n} as ${alias.get(`${m}\0${n}`)} } from ${JSON.stringify(m)};`)].join("\n");
  const proxy = {
    name: "core-from-index",
    setup(b) {
      b.onResolve({ filter: /^\./ }, (a) => {
        const p = a.importer && a.namespace === "file" && !inline(a.importer) && resolveTs(a.importer, a.path);
        return p && core.has(p) ? { path: p, namespace: "core-proxy" } : undefined;
      });
      b.onResolve({ filter: new RegExp(`^${CORE}$`) }, () => ({ path: CORE, external: true }));
      b.onLoad({ filter: /.*/, namespace: "core-proxy" }, (a) => {
        const names = pairs.filter(([m]) => m === a.path).map(([m, n]) => { const x = alias.get(`${m}\0${n}`); return x === n ? n : `${x} as ${n}`; });
        return { contents: names.length ? `export { ${names.join(", ")} } from "${CORE}";` : `import "${CORE}";`, loader: "js" };
      });
    },
  };
  return { core, indexSource, proxy, privates: privates.length, pairs: pairs.length };
}

/** After the build: each output's CORE specifier becomes the relative path to dist/index.js. */
export function pointAtIndex(root, files) {
  for (const f of files) {
    const p = join(root, f);
    const code = readFileSync(p, "utf8");
    if (!code.includes(`"${CORE}"`)) continue;
    let rel = relative(dirname(p), join(root, "dist/index.js")).split("\\").join("/");
    if (!rel.startsWith(".")) rel = `./${rel}`;
    writeFileSync(p, code.split(`"${CORE}"`).join(JSON.stringify(rel)));
  }
}
