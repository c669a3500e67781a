import { StadtflussError } from "@stadtfluss/errors";

/**
 * Where a record stopped: `decode`, `convert` (units), `policy` (implausible
 * time), `validate` (the observation schema), `identity` (two readings would be
 * one point) or `enrich` (device registry). The stage is what the dead-letter
 * header `__connect.errors.stage` says.
 */
export type NormalizeStage = "decode" | "convert" | "policy" | "validate" | "identity" | "enrich";

/** Why a record failed, and at which stage; `quarantine` sends it to the quarantine topic instead. */
export class NormalizeError extends StadtflussError {
  readonly stage: NormalizeStage;
  /** An unknown device under NORMALIZER_UNKNOWN_DEVICES=quarantine: kept for replay once registered. */
  readonly quarantine: boolean;

  constructor(stage: NormalizeStage, message: string, cause?: unknown, options: { quarantine?: boolean } = {}) {
    super(message, { retriable: false, cause });
    this.stage = stage;
    this.quarantine = options.quarantine ?? false;
  }
}
