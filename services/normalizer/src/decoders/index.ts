import type { Decoder } from "../raw-record.ts";
import { chirpstackV4 } from "./chirpstack-v4.ts";
import { dsmrP1 } from "./dsmr-p1.ts";
import { genericJson } from "./generic-json.ts";
import { senml } from "./senml.ts";
import { sensorCommunity } from "./sensor-community.ts";
import { stadtflussJson } from "./stadtfluss-json.ts";
import { tasmotaSml } from "./tasmota-sml.ts";
import { ttnV3 } from "./ttn-v3.ts";

/** Every payload format the normalizer understands, by format id. */
export const decoders: ReadonlyMap<string, Decoder> = new Map(
  [stadtflussJson, ttnV3, chirpstackV4, senml, dsmrP1, tasmotaSml, sensorCommunity, genericJson].map((d) => [
    d.format,
    d,
  ]),
);
