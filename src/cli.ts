// The `polyhead` command (package.json "bin", built to dist/cli.js): `polyhead export-torch`
// writes, from a model archive or a model config, the self-contained PyTorch module of its
// architecture (exportTorch), so the model's weights load with load_state_dict and training
// can go on under torch.distributed. Node only (it reads and writes files).
import { readFileSync, writeFileSync } from "node:fs";
import { init } from "./index.js";
import { exportTorch, parseSafetensors, ARCHIVE_CONFIG_KEY, type ModelConfig } from "./io/index.js";

const USAGE = `usage: polyhead export-torch MODEL [-o OUT.py]

  MODEL   a model archive (saveModelArchive: safetensors weights with the config inside)
          or a model config as JSON (saveModel(model).config)
  -o      write the module to OUT.py (default: standard output)

The module's class Model has polyhead's parameter names; an archive's weights load as they are:
  model = Model(); model.load_state_dict(safetensors.torch.load_file(MODEL))
`;

/** The config stored in `bytes`: JSON text, or a model archive's __metadata__ entry. */
function configOf(bytes: Uint8Array, path: string): ModelConfig {
  let i = 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x0a || bytes[i] === 0x0d || bytes[i] === 0x09)) i++;
  const text = bytes[i] === 0x7b ? new TextDecoder().decode(bytes) : parseSafetensors(bytes).metadata?.[ARCHIVE_CONFIG_KEY];
  if (text === undefined) throw new Error(`${path} is safetensors weights without a polyhead config (__metadata__["${ARCHIVE_CONFIG_KEY}"]); pass the model archive (saveModelArchive) or its config JSON`);
  try { return JSON.parse(text) as ModelConfig; } catch (e) { throw new Error(`${path}: the config is not JSON (${(e as Error).message})`); }
}

/** Run the command on `args` (without node and the script); returns the exit code. */
async function main(args: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  const [cmd, ...rest] = args;
  if (cmd === undefined || cmd === "-h" || cmd === "--help" || cmd === "help") { out(USAGE); return cmd === undefined ? 2 : 0; }
  if (cmd !== "export-torch") { err(`polyhead: unknown command "${cmd}" (known: export-torch)\n\n${USAGE}`); return 2; }
  let input: string | undefined, output: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (a === "-o" || a === "--output") {
      output = rest[++i];
      if (output === undefined) { err(`polyhead export-torch: ${a} needs a file name\n\n${USAGE}`); return 2; }
    } else if (a.startsWith("-")) { err(`polyhead export-torch: unknown option "${a}" (known: -o)\n\n${USAGE}`); return 2; }
    else if (input === undefined) input = a;
    else { err(`polyhead export-torch: one MODEL only, got "${input}" and "${a}"\n\n${USAGE}`); return 2; }
  }
  if (input === undefined) { err(`polyhead export-torch: no MODEL given\n\n${USAGE}`); return 2; }
  try {
    await init();
    const code = exportTorch(configOf(new Uint8Array(readFileSync(input)), input));
    if (output === undefined) out(code); else writeFileSync(output, code);
    return 0;
  } catch (e) {
    err(`polyhead export-torch: ${(e as Error).message}\n`);
    return 1;
  }
}

process.exitCode = await main(process.argv.slice(2));
