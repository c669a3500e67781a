import { DecodeError } from "@stadtfluss/errors";
import { z } from "zod";
import type { Decoder } from "../raw-record.ts";
import { parseJson, parseTime, zodReason } from "./payload.ts";

/**
 * Stadtfluss's own JSON, spoken by the simulator and by devices built for the
 * platform: `{"seq": 17, "time": "2026-11-25T07:30:00.000Z", "readings":
 * [{"kind": "traffic.vehicle_count", "value": 12, "unit": "{vehicle}"}]}`.
 * `time` may also be epoch milliseconds; the device id comes from the topic.
 */
const payloadSchema = z.object({
  seq: z.number().int().nonnegative().optional(),
  time: z.union([z.string(), z.number()]),
  readings: z
    .array(z.object({ kind: z.string().min(1), value: z.number(), unit: z.string().min(1) }))
    .min(1, "must hold at least one reading"),
});

export const stadtflussJson: Decoder = {
  format: "stadtfluss-json",
  decode(record) {
    const result = payloadSchema.safeParse(parseJson(record.value));
    if (!result.success) throw new DecodeError(`payload does not match stadtfluss-json: ${zodReason(result.error)}`);
    const { seq, time, readings } = result.data;
    const observedAt = parseTime(time, "time");
    return {
      readings: readings.map((reading) => ({ ...reading, observedAt, ...(seq === undefined ? {} : { seq }) })),
      unmapped: [],
    };
  },
};
