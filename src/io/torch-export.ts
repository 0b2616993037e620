// export-torch: a self-contained PyTorch module (Python source) of a model config's
// architecture, with the same parameter names, so polyhead's safetensors weights load
// with load_state_dict and training can continue under torch.distributed; the weights
// come back to polyhead the same way. SharedBottom, MMoE, CGC, PLE, CrossStitch, SoftSharing
// and DSelectK (MLP experts and columns); the last two also get regularization(), polyhead's
// penalty for the trainer to add to the loss.
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
  let init: string[], forward: string[], helpers: string[] = [], extra: string[] = [];
  const towerCode = (h: number) => `self.towers = nn.ModuleDict({${tasks.map((t, i) => `${py(t)}: ${mlpCode([h, ...towerWidths(o.towers, t), config.tasks[i].outputs], act, false, 0)}`).join(", ")}})`;
  if (name === "SharedBottom") {
    const widths = [o.inputs as number, ...(o.trunk as number[])];
    const h = widths[widths.length - 1];
    init = [
      `self.trunk = ${mlpCode(widths, act, true, dropout)}`,
      towerCode(h),
    ];
    forward = ["h = self.trunk(x)", "return {t: m(h) for t, m in self.towers.items()}"];
  } else if (name === "MMoE") {
    const widths = [o.inputs as number, ...(o.expertWidths as number[])];
    const h = widths[widths.length - 1];
    init = [
      `self.experts = nn.ModuleList([${Array.from({ length: o.experts as number }, () => mlpCode(widths, act, true, dropout)).join(", ")}])`,
      `self.gates = nn.ModuleDict({${tasks.map((t) => `${py(t)}: nn.Linear(${o.inputs}, ${o.experts}, bias=False)`).join(", ")}})`,
      towerCode(h),
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
  } else if (name === "CrossStitch") {
    // a column of one-layer MLPs per task, and after each layer a unit mixing the tasks'
    // activations: one [T, T] x [T, batch * width] matmul, as polyhead computes it
    const widths = o.columns as number[], ins = [o.inputs as number, ...widths];
    const self = (o.stitchInit as number | undefined) ?? 0.9;
    helpers = [
      "class Stitch(nn.Module):",
      "    def __init__(self, tasks, self_weight):",
      "        super().__init__()",
      "        other = (1 - self_weight) / (tasks - 1) if tasks > 1 else 0.0",
      "        self.alpha = nn.Parameter(torch.full((tasks, tasks), other).fill_diagonal_(self_weight if tasks > 1 else 1.0))",
      "",
      "    def forward(self, hs):",
      "        mixed = self.alpha @ torch.stack([h.reshape(-1) for h in hs])",
      "        return [mixed[i].reshape(hs[0].shape) for i in range(len(hs))]",
      "",
      "",
    ];
    init = [
      `self.columns = nn.ModuleDict({${tasks.map((t) => `${py(t)}: nn.ModuleList([${widths.map((w, l) => mlpCode([ins[l], w], act, true, dropout)).join(", ")}])`).join(", ")}})`,
      `self.stitches = nn.ModuleList([${widths.map(() => `Stitch(${tasks.length}, ${self})`).join(", ")}])`,
      towerCode(widths[widths.length - 1]),
    ];
    forward = [
      "hs = [x for _ in TASKS]",
      "for l, stitch in enumerate(self.stitches):",
      "    hs = stitch([self.columns[t][l](h) for t, h in zip(TASKS, hs)])",
      "return {t: self.towers[t](h) for t, h in zip(TASKS, hs)}",
    ];
  } else if (name === "SoftSharing") {
    const widths = [o.inputs as number, ...(o.trunk as number[])];
    init = [
      `self.trunks = nn.ModuleDict({${tasks.map((t) => `${py(t)}: ${mlpCode(widths, act, true, dropout)}`).join(", ")}})`,
      towerCode(widths[widths.length - 1]),
    ];
    forward = ["return {t: self.towers[t](self.trunks[t](x)) for t in TASKS}"];
    extra = [
      "def regularization(self):",
      "    # lambda * sum over task pairs of the squared distance between their trunks' parameters",
      "    if len(TASKS) < 2:",
      "        return None",
      "    vecs = [torch.cat([p.reshape(-1) for p in self.trunks[t].parameters()]) for t in TASKS]",
      "    return sum((vecs[i] - vecs[j]).square().sum() for i in range(len(vecs)) for j in range(i + 1, len(vecs))) * " + String((o.lambda as number | undefined) ?? 1e-3),
    ];
  } else if (name === "DSelectK") {
    // the gate as src/mtl/architectures/dselect-k.ts computes it: smooth-step of the
    // selector logits, the binary codes of the experts (buffers outside the state dict), a
    // softmax over the k selectors
    const widths = [o.inputs as number, ...(o.expertWidths as number[])], h = widths[widths.length - 1];
    const n = o.experts as number, gamma = (o.gamma as number | undefined) ?? 1, entropy = (o.entropyReg as number | undefined) ?? 0;
    const pow2 = (n & (n - 1)) === 0, gateIn = o.gating === "static" ? "None" : String(o.inputs);
    helpers = [
      "def smooth_step(x, gamma):",
      "    c = x.clamp(-gamma / 2, gamma / 2)",
      "    return c * (c.square() * (-2 / (gamma * gamma * gamma)) + 3 / (2 * gamma)) + 0.5",
      "",
      "",
      "class DSelectKGate(nn.Module):",
      "    def __init__(self, experts, k, gamma, inputs):",
      "        super().__init__()",
      "        self.k, self.m, self.gamma = k, (experts - 1).bit_length(), gamma",
      "        codes = [[(i >> (self.m - 1 - j)) & 1 for i in range(experts)] for j in range(self.m)]",
      "        self.register_buffer(\"codes\", torch.tensor(codes, dtype=torch.float32), persistent=False)",
      "        if inputs is None:",
      "            self.z = nn.Parameter(torch.empty(k, self.m).uniform_(-gamma / 100, gamma / 100))",
      "            self.w = nn.Parameter(torch.empty(k).uniform_(-0.05, 0.05))",
      "        else:",
      "            self.z, self.w = nn.Linear(inputs, k * self.m), nn.Linear(inputs, k)",
      "            for p in self.z.parameters():",
      "                nn.init.uniform_(p, -gamma / 100, gamma / 100)",
      "            for p in self.w.parameters():",
      "                nn.init.uniform_(p, -0.05, 0.05)",
      "",
      "    def forward(self, x):",
      "        example = isinstance(self.z, nn.Linear)",
      "        s = smooth_step(self.z(x).reshape(x.shape[0], self.k, self.m) if example else self.z, self.gamma)",
      "        r = None  # the k selectors: [batch, k, experts] or [k, experts]",
      "        for j in range(self.m):",
      "            sj = s[..., j:j + 1]",
      "            f = self.codes[j] * sj + (1 - self.codes[j]) * (1 - sj)",
      "            r = f if r is None else r * f",
      "        a = torch.softmax(self.w(x) if example else self.w, -1)",
      "        return (r * a.unsqueeze(-1)).sum(-2), r",
      "",
      "",
    ];
    init = [
      `self.experts = nn.ModuleList([${Array.from({ length: n }, () => mlpCode(widths, act, true, dropout)).join(", ")}])`,
      `self.gates = nn.ModuleDict({${tasks.map((t) => `${py(t)}: DSelectKGate(${n}, ${o.k}, ${gamma}, ${gateIn})`).join(", ")}})`,
      towerCode(h),
      "self.selectors = []",
    ];
    forward = [
      "e = torch.stack([m(x) for m in self.experts], 1)  # [batch, experts, hidden]",
      "out, self.selectors = {}, []",
      "for t, tower in self.towers.items():",
      "    w, r = self.gates[t](x)",
      "    if self.training:",
      "        self.selectors.append(r)",
      "    out[t] = tower((e * w.reshape(w.shape[0] if w.dim() == 2 else 1, -1, 1)).sum(1))",
      "return out",
    ];
    extra = [
      "def regularization(self):",
      "    # over the selectors of the last training forward: the entropy term (entropyReg) and,",
      "    # the number of experts not being a power of two, the reachability term; None if neither",
      `    entropy, reach = ${entropy}, ${pow2 ? "False" : "True"}`,
      "    terms = [-(r * torch.log(r + 1e-6)).sum() * entropy for r in self.selectors if entropy > 0]",
      "    terms += [(1 / r.sum(-1)).sum() for r in self.selectors if reach]",
      "    return sum(terms) if terms else None",
    ];
  } else {
    throw new ModelConfigError("Unsupported", `exportTorch: architecture "${name}" has no torch export yet (supported: SharedBottom, MMoE, CGC, PLE, CrossStitch, SoftSharing, DSelectK)`);
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
    ...(extra.length ? ["", ...extra.map((l) => `    ${l}`)] : []),
    "",
  ].join("\n");
}
