// Scalar math for the host: JS Math.pow/cos differ between engines, AssemblyScript's
// (a port of musl's, compiled into the module) gives the same bits everywhere. Used for
// Adam's bias corrections (beta^t) and the exponential / cosine learning-rate schedules.

export function math_pow(x: f64, y: f64): f64 { return Math.pow(x, y); }
export function math_cos(x: f64): f64 { return Math.cos(x); }
