// polyhead/plot: a trainer's history as one self-contained SVG string (no DOM, no
// dependencies, any runtime): per task, training and validation loss and a validation
// metric against epoch, then the task weights over time, and the gradient conflicts
// (ConflictMonitor's per-epoch cosines) as a heat map. Imports only types, so this entry
// carries no engine.
/**
 * A training history as one self-contained SVG string (no DOM, no dependencies).
 * @module polyhead/plot
 */
import type { EpochLogs } from "../mtl/trainer.js";

/** Options of plotHistory. */
export interface PlotOptions {
  /** Validation metric drawn for each task: one name for all, or one per task. Default: each task's first metric after "loss". */
  metric?: string | Record<string, string>;
  /** A title above the panels. */
  title?: string;
  /** Panels per row (default: the number of tasks, at most 3). */
  columns?: number;
  /** One panel's size in px (default 300 x 200). */
  panelWidth?: number;
  panelHeight?: number;
}

const KNOWN = ["metric", "title", "columns", "panelWidth", "panelHeight"];
// Okabe-Ito's colour-blind-safe palette (yellow left out: unreadable on white)
const COLORS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#882255", "#444444"];
const PAD = { left: 52, right: 12, top: 28, bottom: 34 };
const GAP = 16;

interface Series { label: string; color: string; dashed?: boolean; values: (number | undefined)[] }
interface Panel { title: string; series: Series[]; legend: "style" | "tasks"; wide?: boolean }

/**
 * Draw a training history (what `trainer.fit` returns, or `trainer.history`) as SVG.
 * @example
 * const history = await trainer.fit(train, { epochs: 10, validation: val });
 * const svg = plotHistory(history, { metric: { digit: "accuracy", score: "r2" } });
 * // polyhead/node: writeHistoryPlot("history.svg", history)
 */
export function plotHistory(history: readonly EpochLogs[], opts: PlotOptions = {}): string {
  for (const k of Object.keys(opts)) if (!KNOWN.includes(k)) throw new Error(`plotHistory: unknown option "${k}" (known: ${KNOWN.join(", ")})`);
  if (!Array.isArray(history) || history.length === 0) {
    throw new Error(`plotHistory: history must be a non-empty array of epoch logs (what trainer.fit returns), got ${Array.isArray(history) ? "[]" : typeof history}`);
  }
  history.forEach((h, i) => {
    if (!h || typeof h.epoch !== "number" || typeof h.loss !== "object" || h.loss === null) {
      throw new Error(`plotHistory: history[${i}] is not an epoch log ({ epoch, loss, weights, validation? })`);
    }
  });
  const pw = positive(opts.panelWidth, "panelWidth", 300, 120);
  const ph = positive(opts.panelHeight, "panelHeight", 200, 80);

  const tasks: string[] = [];
  const see = (o?: object) => { for (const t of Object.keys(o ?? {})) if (!tasks.includes(t)) tasks.push(t); };
  for (const h of history) { see(h.loss); see(h.validation); see(h.weights); }
  const color = (t: string) => COLORS[tasks.indexOf(t) % COLORS.length];
  const columns = positive(opts.columns, "columns", Math.min(Math.max(tasks.length, 1), 3), 1);
  if (!Number.isInteger(columns)) throw new Error(`plotHistory: columns must be a whole number, got ${opts.columns}`);
  const metrics = chooseMetrics(history, tasks, opts.metric);
  const col = (f: (h: EpochLogs) => number | undefined) => history.map(f);

  const lossPanels: Panel[] = tasks.map((t) => ({
    title: `${t} · loss`, legend: "style",
    series: [
      { label: "train", color: color(t), values: col((h) => h.loss[t]) },
      ...(history.some((h) => h.validation?.[t]) ? [{ label: "validation", color: color(t), dashed: true, values: col((h) => h.validation?.[t]?.loss) }] : []),
    ],
  }));
  const metricPanels: Panel[] = tasks.filter((t) => metrics[t]).map((t) => ({
    title: `${t} · ${metrics[t]} (validation)`, legend: "style",
    series: [{ label: "validation", color: color(t), dashed: true, values: col((h) => h.validation?.[t]?.[metrics[t]]) }],
  }));
  const weightTasks = tasks.filter((t) => history.some((h) => h.weights?.[t] !== undefined));
  const weightPanel: Panel[] = weightTasks.length ? [{
    title: "task weights", legend: "tasks", wide: true,
    series: weightTasks.map((t) => ({ label: t, color: color(t), values: col((h) => h.weights[t]) })),
  }] : [];

  // rows: the loss panels, then the metric panels, then the weights across the full width
  const width = columns * pw + (columns - 1) * GAP + 2 * GAP;
  const titleH = opts.title ? 30 : 0;
  const out: string[] = [];
  let y = GAP + titleH;
  for (const group of [lossPanels, metricPanels, weightPanel]) {
    for (let i = 0; i < group.length; i += columns) {
      group.slice(i, i + columns).forEach((p, j) => {
        const w = p.wide ? width - 2 * GAP : pw;
        out.push(panel(p, GAP + j * (pw + GAP), y, w, ph, history.map((h) => h.epoch + 1)));
      });
      y += ph + GAP;
    }
  }
  const heat = conflictHeatmap(history, GAP, y, width - 2 * GAP);
  if (heat) { out.push(heat.svg); y += heat.height + GAP; }
  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    opts.title ? `<text x="${GAP}" y="${GAP + 16}" font-size="15" font-weight="600" fill="#222">${esc(opts.title)}</text>` : "",
    ...out,
    `</svg>`,
  ].join("\n");
}

function positive(v: number | undefined, name: string, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) throw new Error(`plotHistory: ${name} must be a number >= ${min}, got ${v}`);
  return v;
}

/** Each task's metric to draw, or none when the history has no validation for it. */
function chooseMetrics(history: readonly EpochLogs[], tasks: string[], metric: PlotOptions["metric"]): Record<string, string> {
  if (metric !== undefined && typeof metric !== "string" && (typeof metric !== "object" || metric === null)) {
    throw new Error(`plotHistory: metric must be a metric name or { task: name }, got ${JSON.stringify(metric)}`);
  }
  if (metric && typeof metric === "object") {
    for (const t of Object.keys(metric)) if (!tasks.includes(t)) throw new Error(`plotHistory: metric names task "${t}", which is not in the history (tasks: ${tasks.join(", ")})`);
  }
  const out: Record<string, string> = {};
  for (const t of tasks) {
    const seen = history.map((h) => h.validation?.[t]).find((v) => v);
    if (!seen) {
      if (metric && typeof metric === "object" && metric[t]) throw new Error(`plotHistory: task "${t}" has no validation metrics in the history (fit with { validation })`);
      continue;
    }
    const names = Object.keys(seen);
    const want = typeof metric === "string" ? metric : metric?.[t] ?? names.find((n) => n !== "loss");
    if (want === undefined) continue;
    if (!names.includes(want)) throw new Error(`plotHistory: task "${t}" has no validation metric "${want}" (it has: ${names.join(", ")})`);
    out[t] = want;
  }
  return out;
}

/** One chart: frame, grid, ticks, the series as paths with points, a legend. */
function panel(p: Panel, x0: number, y0: number, w: number, h: number, epochs: number[]): string {
  const iw = w - PAD.left - PAD.right, ih = h - PAD.top - PAD.bottom;
  const vals = p.series.flatMap((s) => s.values.filter((v): v is number => typeof v === "number" && Number.isFinite(v)));
  const parts = [`<g transform="translate(${x0},${y0})">`,
    `<text x="${PAD.left}" y="16" font-size="12" font-weight="600" fill="#222">${esc(p.title)}</text>`,
    `<rect x="${PAD.left}" y="${PAD.top}" width="${iw}" height="${ih}" fill="#fafafa" stroke="#ccc"/>`];
  if (vals.length === 0) {
    parts.push(`<text x="${PAD.left + iw / 2}" y="${PAD.top + ih / 2}" text-anchor="middle" fill="#888">no finite values</text></g>`);
    return parts.join("\n");
  }
  const [ylo, yhi, ystep] = niceRange(Math.min(...vals), Math.max(...vals));
  const xlo = epochs[0], xhi = Math.max(epochs[epochs.length - 1], xlo + 1);
  const sx = (e: number) => PAD.left + ((e - xlo) / (xhi - xlo)) * iw;
  const sy = (v: number) => PAD.top + ih - ((v - ylo) / (yhi - ylo)) * ih;
  const digits = decimals(ystep);
  for (let i = 0, v = ylo; v <= yhi + ystep / 2; i++, v = ylo + i * ystep) {
    const y = fmt(sy(v));
    parts.push(`<line x1="${PAD.left}" x2="${PAD.left + iw}" y1="${y}" y2="${y}" stroke="#e4e4e4"/>`,
      `<text x="${PAD.left - 6}" y="${y}" dy="0.32em" text-anchor="end" fill="#555">${v.toFixed(digits)}</text>`);
  }
  const xstep = epochStep(xhi - xlo, iw);
  for (let e = xlo; e <= xhi; e += xstep) {
    const x = fmt(sx(e));
    parts.push(`<line x1="${x}" x2="${x}" y1="${PAD.top + ih}" y2="${PAD.top + ih + 4}" stroke="#888"/>`,
      `<text x="${x}" y="${PAD.top + ih + 16}" text-anchor="middle" fill="#555">${e}</text>`);
  }
  parts.push(`<text x="${PAD.left + iw / 2}" y="${h - 4}" text-anchor="middle" fill="#555">epoch</text>`);
  const dots = epochs.length <= 40;
  for (const s of p.series) {
    let d = "", pen = false;
    s.values.forEach((v, i) => {
      if (typeof v !== "number" || !Number.isFinite(v)) { pen = false; return; }
      d += `${pen ? "L" : "M"}${fmt(sx(epochs[i]))},${fmt(sy(v))}`;
      pen = true;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dashed ? ` stroke-dasharray="6 4"` : ""}/>`);
    if (dots) s.values.forEach((v, i) => {
      if (typeof v === "number" && Number.isFinite(v)) {
        parts.push(`<circle cx="${fmt(sx(epochs[i]))}" cy="${fmt(sy(v))}" r="2.5" fill="${s.dashed ? "#fff" : s.color}" stroke="${s.color}" stroke-width="1.5"/>`);
      }
    });
  }
  parts.push(legend(p, PAD.left + iw, 16), "</g>");
  return parts.join("\n");
}

/** Right-aligned legend on the title line: line styles for train/validation, colours for tasks. */
function legend(p: Panel, right: number, y: number): string {
  const items = p.series.map((s) => ({ label: s.label, color: s.color, dashed: s.dashed }));
  if (p.legend === "style" && items.length < 2) return "";
  const widths = items.map((it) => 26 + it.label.length * 6.2);
  let x = right - widths.reduce((a, b) => a + b, 0);
  return items.map((it, i) => {
    const g = `<line x1="${fmt(x)}" x2="${fmt(x + 18)}" y1="${y - 4}" y2="${y - 4}" stroke="${it.color}" stroke-width="2"${it.dashed ? ` stroke-dasharray="6 4"` : ""}/>` +
      `<text x="${fmt(x + 22)}" y="${y}" fill="#333">${esc(it.label)}</text>`;
    x += widths[i];
    return g;
  }).join("\n");
}

/** An axis range that starts and ends on a round step, about five ticks. */
function niceRange(lo: number, hi: number): [number, number, number] {
  if (hi - lo < 1e-12 * Math.max(Math.abs(lo), Math.abs(hi), 1)) {
    const pad = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : 1;
    lo -= pad; hi += pad;
  }
  const step = niceStep((hi - lo) / 5);
  return [Math.floor(lo / step) * step, Math.ceil(hi / step) * step, step];
}

/** The smallest of 1, 2, 2.5, 5 times a power of ten that is >= raw (no Math.log: see the src/ rules). */
function niceStep(raw: number): number {
  let mag = 1;
  while (mag > raw) mag /= 10;
  while (mag * 10 <= raw) mag *= 10;
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= raw * (1 - 1e-9)) return m * mag;
  return 10 * mag;
}

/** Decimals that show a tick step exactly (0.25 -> 2). */
function decimals(step: number): number {
  let d = 0, s = step;
  while (d < 8 && Math.abs(s - Math.round(s)) > 1e-6 * Math.max(1, s)) { s *= 10; d++; }
  return d;
}

/** A whole-epoch tick step that leaves at least ~40 px between labels. */
function epochStep(span: number, px: number): number {
  for (const s of [1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000]) if ((s / span) * px >= 40) return s;
  return Math.ceil(span / 5);
}

/** One epoch's conflict figures as ConflictMonitor reports them (EpochLogs.diagnostics.conflicts). */
interface Conflicts { tasks: string[]; cosine: number[][]; conflictRate?: number[][] }

function conflictsOf(h: EpochLogs): Conflicts | undefined {
  const c = h.diagnostics?.conflicts as Conflicts | undefined;
  return c && Array.isArray(c.tasks) && Array.isArray(c.cosine) ? c : undefined;
}

// diverging scale for a cosine: -1 red (the gradients conflict), 0 near white, +1 blue
const COLD = [33, 102, 172], MID = [247, 247, 247], HOT = [178, 24, 43];
function cosineColor(v: number): string {
  const t = v < -1 ? -1 : v > 1 ? 1 : v, end = t < 0 ? HOT : COLD, a = t < 0 ? -t : t;
  return "#" + MID.map((m, i) => Math.round(m + (end[i] - m) * a).toString(16).padStart(2, "0")).join("");
}

/**
 * The gradient-conflict heat map, when the history has ConflictMonitor's diagnostics: one
 * row per task pair, one cell per epoch, coloured by the mean cosine of the two tasks'
 * gradients (red: they pull apart), the conflict rate in each cell's tooltip.
 */
function conflictHeatmap(history: readonly EpochLogs[], x0: number, y0: number, w: number): { svg: string; height: number } | null {
  const stats = history.map(conflictsOf);
  const tasks: string[] = [];
  for (const c of stats) for (const t of c?.tasks ?? []) if (!tasks.includes(t)) tasks.push(t);
  const pairs: [string, string][] = [];
  tasks.forEach((a, i) => tasks.slice(i + 1).forEach((b) => pairs.push([a, b])));
  if (pairs.length === 0) return null;
  const labels = pairs.map(([a, b]) => `${a} × ${b}`);
  const left = Math.max(PAD.left, 12 + Math.max(...labels.map((l) => l.length)) * 6.2);
  const cellH = 18, keyW = 120, iw = w - left - PAD.right - keyW - 24, ih = pairs.length * cellH;
  const cw = iw / history.length;
  const parts = [`<g transform="translate(${x0},${y0})">`,
    `<text x="${fmt(left)}" y="16" font-size="12" font-weight="600" fill="#222">gradient conflict · cosine per task pair</text>`];
  pairs.forEach(([a, b], r) => {
    const y = PAD.top + r * cellH;
    parts.push(`<text x="${fmt(left - 6)}" y="${fmt(y + cellH / 2)}" dy="0.32em" text-anchor="end" fill="#333">${esc(labels[r])}</text>`);
    history.forEach((h, e) => {
      const c = stats[e], i = c ? c.tasks.indexOf(a) : -1, j = c ? c.tasks.indexOf(b) : -1;
      const v = i >= 0 && j >= 0 ? c!.cosine[i]?.[j] : undefined, rate = i >= 0 && j >= 0 ? c!.conflictRate?.[i]?.[j] : undefined;
      const ok = typeof v === "number" && Number.isFinite(v);
      const tip = `${labels[r]}, epoch ${h.epoch + 1}: ` + (ok ? `cosine ${v!.toFixed(3)}` : "not measured") +
        (typeof rate === "number" && Number.isFinite(rate) ? `, conflicting in ${Math.round(rate * 100)}% of steps` : "");
      parts.push(`<rect class="conflict" x="${fmt(left + e * cw)}" y="${y}" width="${fmt(cw)}" height="${cellH}" fill="${ok ? cosineColor(v!) : "#dddddd"}" stroke="#fff" stroke-width="0.5"><title>${esc(tip)}</title></rect>`);
    });
  });
  parts.push(`<rect x="${fmt(left)}" y="${PAD.top}" width="${fmt(iw)}" height="${ih}" fill="none" stroke="#ccc"/>`);
  const step = epochStep(history.length, iw);
  for (let e = 0; e < history.length; e += step) {
    parts.push(`<text x="${fmt(left + (e + 0.5) * cw)}" y="${PAD.top + ih + 14}" text-anchor="middle" fill="#555">${history[e].epoch + 1}</text>`);
  }
  parts.push(`<text x="${fmt(left + iw / 2)}" y="${PAD.top + ih + 28}" text-anchor="middle" fill="#555">epoch</text>`);
  // the colour key: -1 .. +1
  const kx = left + iw + 24;
  for (let k = 0; k < 20; k++) parts.push(`<rect x="${fmt(kx + k * 6)}" y="${PAD.top}" width="6" height="12" fill="${cosineColor(-1 + (k + 0.5) / 10)}"/>`);
  parts.push(`<text x="${fmt(kx)}" y="${PAD.top + 26}" fill="#555">-1</text>`, `<text x="${fmt(kx + 60)}" y="${PAD.top + 26}" text-anchor="middle" fill="#555">0</text>`,
    `<text x="${fmt(kx + keyW)}" y="${PAD.top + 26}" text-anchor="end" fill="#555">+1</text>`,
    `<text x="${fmt(kx)}" y="${PAD.top + 40}" fill="#555">red: conflicting</text>`, "</g>");
  return { svg: parts.join("\n"), height: PAD.top + ih + 34 };
}

const fmt = (v: number) => String(Math.round(v * 10) / 10);
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
