// Per-task vector state of the stateful gradient methods (DB-MTL's EMAs, MoCo's tracked
// gradients, ExcessMTL's accumulators): float64 arrays in JS, saved as plain number
// arrays (JSON keeps doubles exactly, so a resumed run continues bit-identically).

export function saveBuffers(bufs: (Float64Array | null)[]): (number[] | null)[] {
  return bufs.map((b) => (b ? Array.from(b) : null));
}

/** Validates everything before returning the restored buffers. */
export function loadBuffers(who: string, v: unknown, n: number): (Float64Array | null)[] {
  if (!Array.isArray(v) || v.length !== n) throw new Error(`${who}.loadStateDict: expected ${n} buffers (one per task, null where unused)`);
  v.forEach((b, i) => {
    if (b !== null && (!Array.isArray(b) || b.some((x) => typeof x !== "number" || !Number.isFinite(x)))) throw new Error(`${who}.loadStateDict: buffer ${i} must be null or finite numbers`);
  });
  return v.map((b) => (b === null ? null : Float64Array.from(b as number[])));
}
