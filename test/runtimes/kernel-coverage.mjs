// Which of polyhead.wasm's kernels the identity workload reaches: runs it in Node on the
// built bundle with every exported function of the instance counted, and prints one JSON
// line { kernels, uncalled }. test/runtimes.test.ts requires every kernel but the listed
// few to be reached, so a new kernel comes with a workload entry (and so a checksum that
// every runtime must reproduce).
const instantiate = WebAssembly.instantiate;
const called = new Set();
let kernels = [];
WebAssembly.instantiate = async (source, imports) => {
  const r = await instantiate(source, imports);
  const instance = r instanceof WebAssembly.Instance ? r : r.instance;
  const exports = {};
  for (const [name, v] of Object.entries(instance.exports)) {
    if (typeof v !== "function") { exports[name] = v; continue; }
    const counted = (...args) => { called.add(name); return v(...args); };
    Object.defineProperty(counted, "length", { value: v.length }); // the engine checks each kernel's arity
    exports[name] = counted;
  }
  kernels = Object.keys(exports).filter((k) => typeof exports[k] === "function" && k !== "heap_base");
  const counted = { exports };
  return r instanceof WebAssembly.Instance ? counted : { module: r.module, instance: counted };
};
const { run } = await import("./workload.mjs");
await run();
console.log(JSON.stringify({ kernels, uncalled: kernels.filter((k) => !called.has(k)) }));
