// The architectures model configs can name: builders by registered name. Apart from
// config.ts (which registers the built-in ones) so that a family registering its own
// plug-in on import (polyhead/unsupervised, polyhead/transfer) loads this map alone, not
// every built-in architecture.
import type { Rng } from "../random.js";
import type { Task } from "../mtl/tasks.js";
import type { MultiTaskModel } from "../mtl/architectures/base.js";

/** Builds an architecture from its options (tasks and rng included). */
export type ArchitectureBuilder = (options: { tasks: Task[]; rng: Rng } & { [k: string]: unknown }) => MultiTaskModel;

const ARCHITECTURES = new Map<string, ArchitectureBuilder>();

/** Make an architecture plug-in buildable from configs under `name`. */
export function registerArchitecture(name: string, build: ArchitectureBuilder): void {
  if (typeof name !== "string" || !name) throw new Error("registerArchitecture: name must be a non-empty string");
  if (ARCHITECTURES.has(name)) throw new Error(`registerArchitecture: "${name}" is already registered`);
  if (typeof build !== "function") throw new Error(`registerArchitecture: "${name}" needs a builder function`);
  ARCHITECTURES.set(name, build);
}

/** Names of the architectures configs can name. */
export function architectureNames(): string[] { return [...ARCHITECTURES.keys()]; }

/** @internal The builder registered under `name`, if any. */
export function architectureBuilder(name: string): ArchitectureBuilder | undefined { return ARCHITECTURES.get(name); }
