import { DecodeError } from "@stadtfluss/errors";
import { z } from "zod";
import { decodeWithDeviceCodec } from "../codecs/device-codec.ts";
import type { Decoder, Reading } from "../raw-record.ts";
import { fieldTableOf, mapLorawanObject, type UplinkStamp } from "./lorawan-object.ts";
import { appendRadioReadings } from "./lorawan-radio.ts";
import { parseJson, parseTime, zodReason } from "./payload.ts";

/**
 * ChirpStack v4 `up` event with the JSON marshaler, published on
 * `application/{applicationId}/device/{devEui}/event/up` (documented under
 * "Integrations → Event types"). It is the Protobuf JSON mapping, which leaves
 * out fields at their default, so a missing `fCnt` or `fPort` is 0.
 *
 * Measurements come from `object` (what the device profile's codec decoded)
 * through the device type's `fields`, or from the device type's own codec run
 * on `data` when ChirpStack decoded nothing.
 */
const upEventSchema = z.object({
  time: z.string().optional(),
  deviceInfo: z.object({ devEui: z.string().min(1).optional() }).optional(),
  fCnt: z.number().int().nonnegative().optional(),
  fPort: z.number().int().min(0).max(255).optional(),
  data: z.string().optional(),
  object: z.unknown().optional(),
  rxInfo: z.array(z.object({ rssi: z.number().optional(), snr: z.number().optional() })).optional(),
});

export const chirpstackV4: Decoder = {
  format: "chirpstack-v4",
  decode(record, context) {
    const result = upEventSchema.safeParse(parseJson(record.value));
    if (!result.success) throw new DecodeError(`payload does not match chirpstack-v4: ${zodReason(result.error)}`);
    const event = result.data;

    // ChirpStack names devices by DevEUI; the topic's spelling is the one the registry and the bridge use.
    const devEui = event.deviceInfo?.devEui;
    const deviceId =
      devEui === undefined || (record.key !== undefined && record.key.toLowerCase() === devEui.toLowerCase())
        ? record.key
        : devEui;
    // An unset Protobuf Timestamp is left out of the JSON; the bridge's reception is the nearest clock then.
    const observedAt = event.time === undefined ? record.receivedAt : parseTime(event.time, "time");
    const stamp: UplinkStamp = { deviceId, observedAt, seq: event.fCnt ?? 0 };

    const readings: Reading[] = [];
    const unmapped: string[] = [];
    const deviceType = deviceId === undefined ? undefined : context.deviceType(deviceId);
    const table = fieldTableOf(deviceType?.fields);
    if (event.object !== undefined) {
      mapLorawanObject(event.object, table, stamp, "object", readings, unmapped);
    } else if (deviceType?.codec !== undefined) {
      const data = decodeWithDeviceCodec(
        deviceType,
        deviceType.codec,
        event.data,
        event.fPort ?? 0,
        observedAt,
        "data",
        context,
      );
      mapLorawanObject(data, table, stamp, "codec data", readings, unmapped);
    } else {
      throw new DecodeError(
        `up event has no object, and ${
          deviceType ? `device type "${deviceType.id}"` : `device "${deviceId ?? "(no DevEUI)"}"`
        } has no codec to decode data`,
      );
    }
    appendRadioReadings(event.rxInfo, stamp, readings);
    return { readings, unmapped };
  },
};
