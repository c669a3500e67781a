import { DecodeError } from "@stadtfluss/errors";
import { z } from "zod";
import type { Decoder, ReadingDraft } from "../raw-record.ts";
import { parseJson, parseTime, zodReason } from "./payload.ts";

/**
 * Stadtfluss's own JSON, spoken by the simulator and by devices built for the
 * platform: `{"seq": 17, "time": "2026-11-25T07:30:00.000Z", "readings":
 * [{"kind": "traffic.vehicle_count", "value": 12, "unit": "{vehicle}"}]}`.
 * `time` may also be epoch milliseconds; the device id comes from the topic.
 * A device with several sensors of one kind (a counter's lanes) names each in
 * the reading's `channel` (`"lane-1"`, or a number); without one, two readings
 * of one kind are refused as one point.
 */
const payloadSchema = z.object({
  seq: z.number().int().nonnegative().optional(),
  time: z.union([z.string(), z.number()]),
  readings: z
    .array(
      z.object({
        kind: z.string().min(1),
        value: z.number(),
        unit: z.string().min(1),
        // Checked as the observation's channel (validate stage), like every other field of it.
        channel: z.union([z.string(), z.number().int().nonnegative().transform(String)]).optional(),
      }),
    )
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
      readings: readings.map(({ kind, value, unit, channel }) => {
        const reading: ReadingDraft = { kind, value, unit, observedAt };
        if (seq !== undefined) reading.seq = seq;
        if (channel !== undefined) reading.channel = channel;
        return reading;
      }),
      unmapped: [],
    };
  },
};
