// The errors of polyhead/io: one class per family with a stable `code`, so callers (and
// the fuzzer) can tell a refused file from a bug. Safetensors codes are the reference
// Rust reader's variant names (HeaderTooLarge, InvalidOffset ...).

/** An input polyhead/io refused; `code` names the rule it broke. */
export class IoError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = "IoError";
  }
}

/** A safetensors file (or a model's fit to one) that breaks the format's rules. */
export class SafetensorsError extends IoError {
  constructor(code: string, message: string) {
    super(code, `safetensors: ${code}: ${message}`);
    this.name = "SafetensorsError";
  }
}

/** A model config or archive that cannot rebuild a model. */
export class ModelConfigError extends IoError {
  constructor(code: string, message: string) {
    super(code, `model config: ${message}`);
    this.name = "ModelConfigError";
  }
}
