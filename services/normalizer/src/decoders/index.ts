import type { Decoder } from "../raw-record.ts";
import { stadtflussJson } from "./stadtfluss-json.ts";

/** Every payload format the normalizer understands, by format id. */
export const decoders: ReadonlyMap<string, Decoder> = new Map([stadtflussJson].map((d) => [d.format, d]));
