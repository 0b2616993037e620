// TypeDoc plugin (typedoc.json "plugin"): files every export of an entry under its family
// (Tensors, Layers, Optimisers, Multi-task, Data, ...) by the source folder it is declared
// in, so the reference has one section per family and a new export lands in the right one
// without a tag. An export from a folder missing here is a warning, which `npm run docs`
// treats as an error: add the folder below. Doc comments' own `@category` tags win.
import { Comment, CommentTag, Converter, ReflectionKind } from "typedoc";
import { relative, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url)); // the repository, wherever typedoc runs from

/** Source path (relative to the repository, "/"-separated) prefix -> family. First match wins. */
const FAMILIES = [
  ["src/tensor.ts", "Tensors"], ["src/random.ts", "Tensors"], ["src/ops/", "Tensors"],
  ["src/autograd/", "Tensors"], ["src/engine/", "Tensors"],
  ["src/nn/", "Layers"], ["src/seq/", "Layers"],
  ["src/optim/", "Optimisers"],
  ["src/mtl/", "Multi-task"], ["src/methods/", "Multi-task"], ["src/architectures/", "Multi-task"],
  ["src/data/", "Data"], ["src/tabular/", "Data"],
  ["src/io/", "Saving and loading"], ["src/node.ts", "Saving and loading"],
  ["src/plot/", "Plots"],
  ["src/worker/", "Workers"],
  ["src/transfer/", "Transfer"], ["src/unsupervised/", "Unsupervised"],
  ["src/fast/", "Kernels"], ["src/threads/", "Kernels"],
];

export function load(app) {
  const family = new Map(); // reflection -> family, for the entries' direct children
  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, refl) => {
    if (!refl.parent?.kindOf(ReflectionKind.Module) || refl.kindOf(ReflectionKind.Reference)) return;
    const sym = context.getSymbolFromReflection(refl);
    const file = sym?.declarations?.[0]?.getSourceFile().fileName;
    if (!file) return;
    const path = relative(ROOT, file).split(sep).join("/");
    const hit = FAMILIES.find(([prefix]) => path === prefix || (prefix.endsWith("/") && path.startsWith(prefix)));
    if (hit) family.set(refl, hit[1]);
    else app.logger.warn(`typedoc-families: ${refl.getFriendlyFullName()} comes from ${path}, which has no family (build/typedoc-families.mjs)`);
  });
  // after the comments are attached (priority 0) and before CategoryPlugin sorts (-200)
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const refl of Object.values(context.project.reflections)) {
      if (!refl.parent?.kindOf(ReflectionKind.Module)) continue;
      const fam = family.get(refl.kindOf(ReflectionKind.Reference) ? refl.getTargetReflectionDeep() : refl);
      if (!fam) continue;
      const sigs = refl.isDeclaration() ? refl.getNonIndexSignatures() : [];
      const comments = [refl.comment, ...sigs.map((s) => s.comment)].filter(Boolean);
      if (comments.some((c) => c.blockTags.some((t) => t.tag === "@category"))) continue;
      const host = refl.comment ?? sigs[0]?.comment ?? (refl.comment = new Comment());
      host.blockTags.push(new CommentTag("@category", [{ kind: "text", text: fam }]));
    }
  }, -100);
}
