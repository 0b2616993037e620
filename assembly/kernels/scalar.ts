// Scalar math for the host: JS Math.cos differs between engines; AssemblyScript's (a
// port of musl's, compiled into the module, and already linked for rng_normal) gives the
// same bits everywhere. Used by the cosine learning-rate schedule. (Integer powers, for
// Adam's bias corrections and the step / exponential schedules, are repeated
// multiplication on the host: src/optim/optimizer.ts powInt; a Wasm pow would add 5 KB.)

export function math_cos(x: f64): f64 { return Math.cos(x); }
