// Weighting methods by name: each method's file registers a factory, so a name in a
// config or a benchmark finds it, and the conformance test (test/weighting.test.ts)
// trains and round-trips every registered method without being edited.
import type { Weighting } from "./base.js";

/** Builds a method for the given task names (in the trainer's order). */
export type WeightingFactory = (taskNames: string[]) => Weighting;

const factories = new Map<string, WeightingFactory>();

/** Register a method under a name (its paper's acronym, as LibMTL names them). */
export function registerWeighting(name: string, factory: WeightingFactory): void {
  if (typeof name !== "string" || name === "") throw new Error("registerWeighting: the name must be a non-empty string");
  if (typeof factory !== "function") throw new Error(`registerWeighting: the factory of "${name}" must be a function`);
  if (factories.has(name)) throw new Error(`registerWeighting: "${name}" is already registered`);
  factories.set(name, factory);
}

/** The registered names, in registration order. */
export function weightingNames(): string[] { return [...factories.keys()]; }

/** A fresh method by name, with its defaults. @example createWeighting("PCGrad", ["a", "b"]) */
export function createWeighting(name: string, taskNames: string[]): Weighting {
  const f = factories.get(name);
  if (!f) throw new Error(`createWeighting: unknown method "${name}" (registered: ${weightingNames().join(", ")})`);
  return f([...taskNames]);
}
