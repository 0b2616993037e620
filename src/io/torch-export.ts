// export-torch: a self-contained PyTorch module (Python source) of a model config's
// architecture, with the same parameter names, so polyhead's safetensors weights load
// with load_state_dict and training can continue under torch.distributed; the weights
// come back to polyhead the same way. SharedBottom, MMoE, CGC and PLE (MLP experts).
import { buildModel, type ModelConfig, type Json } from "./config.js";
import { ModelConfigError } from "./errors.js";

const ACT: Record<string, string> = {
  relu: "nn.ReLU()", tanh: "nn.Tanh()", gelu: "nn.GELU()", leaky_relu: "nn.LeakyReLU(0.01)", sigmoid: "nn.Sigmoid()", elu: "nn.ELU(1.0)", none: "nn.Identity()",
};

type Opts = { [k: string]: Json };

function mlpCode(widths: number[], act: string, activateLast: boolean, dropout: number, bias = true): string {
  const layers: string[] = [];
  for (let i = 0; i + 1 < widths.length; i++) {
    layers.push(`nn.Linear(${widths[i]}, ${widths[i + 1]}${bias ? "" : ", bias=False"})`);
    if (i + 2 < widths.length || activateLast) {
      layers.push(ACT[act]);
      if (dropout) layers.push(`nn.Dropout(${dropout})`);
    }
  }
  return `nn.Sequential(${layers.join(", ")})`;
}

function towerWidths(towers: Json | undefined, task: string): number[] {
  if (towers === undefined || towers === null) return [];
  if (Array.isArray(towers)) return towers as number[];
  return ((towers as Opts)[task] as number[] | undefined) ?? [];
}

const py = (s: string) => JSON.stringify(s); // a JSON string is a valid Python string literal for these names

/**
 * Python source of a torch.nn.Module for the config (checked by building it first).
 * forward(x) returns {task: output}; parameter names equal polyhead's state_dict names.
 * @example writeFileSync("model.py", exportTorch(modelConfig(model)));
 */
export function exportTorch(config: ModelConfig): string {
  buildModel(config); // validates every field and the shapes, as loading would
  const { name, options } = config.architecture;
  const o = options as Opts;
  const act = (o.activation as string | undefined) ?? "relu";
  if (!(act in ACT)) throw new ModelConfigError("Unsupported", `exportTorch: activation "${act}" has no torch counterpart here`);
  const dropout = (o.dropout as number | undefined) ?? 0;
  const tasks = config.tasks.map((t) => t.name);
  let init: string[], forward: string[], helpers: string[] = [];
  const towerCode = (h: number) => `self.towers = nn.ModuleDict({${tasks.map((t, i) => `${py(t)}: ${mlpCode([h, ...towerWidths(o.towers, t), config.tasks[i].outputs], act, false, 0)}`).join(", ")}})`;
  if (name === "SharedBottom") {
    const widths = [o.inputs as number, ...(o.trunk as number[])];
    const h = widths[widths.length - 1];
    init = [
      `self.trunk = ${mlpCode(widths, act, true, dropout)}`,
      `self.towers = nn.ModuleDict({${tasks.map((t, i) => `${py(t)}: ${mlpCode([h, ...towerWidths(o.towers, t), config.tasks[i].outputs], act, false, 0)}`).join(", ")}})`,
    ];
    forward = ["h = self.trunk(x)", "return {t: m(h) for t, m in self.towers.items()}"];
  } else if (name === "MMoE") {
    const widths = [o.inputs as number, ...(o.expertWidths as number[])];
    const h = widths[widths.length - 1];
    init = [
      `self.experts = nn.ModuleList([${Array.from({ length: o.experts as number }, () => mlpCode(widths, act, true, dropout)).join(", ")}])`,
      `self.gates = nn.ModuleDict({${tasks.map((t) => `${py(t)}: nn.Linear(${o.inputs}, ${o.experts}, bias=False)`).join(", ")}})`,
      `self.towers = nn.ModuleDict({${tasks.map((t, i) => `${py(t)}: ${mlpCode([h, ...towerWidths(o.towers, t), config.tasks[i].outputs], act, false, 0)}`).join(", ")}})`,
    ];
    forward = [
      "e = torch.stack([m(x) for m in self.experts], 1)  # [batch, experts, hidden]",
      "out = {}",
      "for t, tower in self.towers.items():",
      "    w = torch.softmax(self.gates[t](x), -1).unsqueeze(-1)  # [batch, experts, 1]",
      "    out[t] = tower((e * w).sum(1))",
      "return out",
    ];
  } else if (name === "CGC" || name === "PLE") {
    // polyhead's ExtractionLayer, field for field: shared experts, each task's experts and gate
    // (own experts first, then the shared ones), and below the last layer a shared gate over
    // every task's experts (in task order) and the shared ones, feeding the next layer
    const widths = o.expertWidths as number[], h = widths[widths.length - 1];
    const depth = name === "CGC" ? 1 : (o.layers as number | undefined) ?? 2;
    const own = (t: string) => (typeof o.taskExperts === "number" ? o.taskExperts : (o.taskExperts as Opts)[t] as number);
    const experts = (n: number, inputs: number) => `nn.ModuleList([${Array.from({ length: n }, () => mlpCode([inputs, ...widths], act, true, dropout)).join(", ")}])`;
    const layer = (l: number) => {
      const inputs = l === 0 ? (o.inputs as number) : h, all = (o.sharedExperts as number) + tasks.reduce((a, t) => a + own(t), 0);
      return `Extraction(${experts(o.sharedExperts as number, inputs)}, nn.ModuleDict({${tasks.map((t) => `${py(t)}: ${experts(own(t), inputs)}`).join(", ")}}), ` +
        `nn.ModuleDict({${tasks.map((t) => `${py(t)}: nn.Linear(${inputs}, ${own(t) + (o.sharedExperts as number)}, bias=False)`).join(", ")}}), ` +
        `${l === depth - 1 ? "None" : `nn.Linear(${inputs}, ${all}, bias=False)`})`;
    };
    helpers = [
      "def mix(gate, experts):",
      "    return (experts * torch.softmax(gate, -1).unsqueeze(-1)).sum(1)",
      "",
      "",
      "class Extraction(nn.Module):",
      "    def __init__(self, shared, taskExperts, gates, sharedGate):",
      "        super().__init__()",
      "        self.shared, self.taskExperts, self.gates, self.sharedGate = shared, taskExperts, gates, sharedGate",
      "",
      "    def forward(self, shared_in, task_in):",
      "        se = torch.stack([m(shared_in) for m in self.shared], 1)",
      "        own = {t: torch.stack([m(task_in[t]) for m in self.taskExperts[t]], 1) for t in TASKS}",
      "        tasks = {t: mix(self.gates[t](task_in[t]), torch.cat([own[t], se], 1)) for t in TASKS}",
      "        shared = None if self.sharedGate is None else mix(self.sharedGate(shared_in), torch.cat([own[t] for t in TASKS] + [se], 1))",
      "        return tasks, shared",
      "",
      "",
    ];
    init = [`self.layers = nn.ModuleList([${Array.from({ length: depth }, (_, l) => layer(l)).join(", ")}])`, towerCode(h)];
    forward = [
      "shared, task_in = x, {t: x for t in TASKS}",
      "for layer in self.layers:",
      "    task_in, s = layer(shared, task_in)",
      "    shared = shared if s is None else s",
      "return {t: m(task_in[t]) for t, m in self.towers.items()}",
    ];
  } else {
    throw new ModelConfigError("Unsupported", `exportTorch: architecture "${name}" has no torch export yet (supported: SharedBottom, MMoE, CGC, PLE)`);
  }
  const losses = config.tasks.map((t) => `${py(t.name)}: ${py(t.loss)}`).join(", ");
  return [
    `# Generated by polyhead exportTorch from a "${config.format}" v${config.version} config: a ${name}`,
    "# with polyhead's parameter names, so its safetensors weights load with load_state_dict.",
    "import torch",
    "import torch.nn as nn",
    "",
    `TASKS = ${JSON.stringify(Object.fromEntries(config.tasks.map((t) => [t.name, { kind: t.kind, outputs: t.outputs, weight: t.weight }])))}`,
    `LOSSES = {${losses}}`,
    `FROZEN = ${JSON.stringify(config.frozen)}`,
    "",
    "",
    ...helpers,
    "class Model(nn.Module):",
    "    def __init__(self):",
    "        super().__init__()",
    ...init.map((l) => `        ${l}`),
    "        for n, p in self.named_parameters():",
    "            if n in FROZEN:",
    "                p.requires_grad_(False)",
    "",
    "    def forward(self, x):",
    ...forward.map((l) => `        ${l}`),
    "",
  ].join("\n");
}
