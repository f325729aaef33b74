// A derivative an op's rule cannot give (PyTorch's "not implemented"), thrown
// while a transform builds it: the compiler reports it as a diagnostic at the
// op's source location (compiler/index.ts), never a silent zero.
import type { Loc } from "../ir/ir.js";

export class UnsupportedDerivative extends Error {
  constructor(message: string, readonly loc?: Loc) {
    super(message);
  }
}
