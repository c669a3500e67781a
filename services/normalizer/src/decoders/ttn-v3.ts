import { DecodeError } from "@stadtfluss/errors";
import { z } from "zod";
import { decodeWithDeviceCodec } from "../codecs/device-codec.ts";
import type { Decoder, Reading } from "../raw-record.ts";
import { fieldTable, fieldTableOf, mapLorawanObject, type UplinkStamp } from "./lorawan-object.ts";
import { appendRadioReadings } from "./lorawan-radio.ts";
import { parseJson, parseTime, zodReason } from "./payload.ts";

/**
 * The Things Stack v3 uplink message as its MQTT server publishes it on
 * `v3/{application}@{tenant}/devices/{device}/up` (documented under
 * "Integrations → Data Formats"). The Things Stack leaves out fields whose
 * value is 0, "" or false, so a missing `f_cnt` or `f_port` is 0.
 *
 * Measurements come from, in this order: `normalized_payload` (the Device
 * Repository's normalized schema), `decoded_payload` through the device
 * type's `fields`, or the device type's codec run on `frm_payload`.
 */
const receptionSchema = z.object({
  rssi: z.number().optional(),
  snr: z.number().optional(),
  time: z.string().optional(),
  gps_time: z.string().optional(),
});

const uplinkSchema = z.object({
  end_device_ids: z.object({ device_id: z.string().min(1).optional() }).optional(),
  received_at: z.string().optional(),
  uplink_message: z.object(
    {
      f_cnt: z.number().int().nonnegative().optional(),
      f_port: z.number().int().min(0).max(255).optional(),
      frm_payload: z.string().optional(),
      decoded_payload: z.unknown().optional(),
      normalized_payload: z.array(z.unknown()).optional(),
      rx_metadata: z.array(receptionSchema).optional(),
      received_at: z.string().optional(),
    },
    // Join-accepts and downlink events share the topic tree but carry no measurements.
    "expected an uplink message (join-accept and downlink events carry no measurements)",
  ),
});

/**
 * The Device Repository's normalized payload schema (`lib/payload.json` in
 * TheThingsNetwork/lorawan-devices) in Stadtfluss's kinds, with the units the
 * schema fixes. Fields with no kind here (soil, wind, position, ...) are unmapped.
 */
const NORMALIZED = fieldTable(
  [
    { path: "air.temperature", kind: "air.temperature", unit: "°C" },
    { path: "air.relativeHumidity", kind: "air.humidity", unit: "%" },
    { path: "air.pressure", kind: "air.pressure", unit: "hPa" },
    { path: "air.co2", kind: "air.co2", unit: "ppm" },
    { path: "battery", kind: "device.battery_voltage", unit: "V" },
    { path: "metering.water.total", kind: "water.volume", unit: "L" },
  ],
  ["time"],
);

export const ttnV3: Decoder = {
  format: "ttn-v3",
  decode(record, context) {
    const result = uplinkSchema.safeParse(parseJson(record.value));
    if (!result.success) throw new DecodeError(`payload does not match ttn-v3: ${zodReason(result.error)}`);
    const { end_device_ids, uplink_message: uplink } = result.data;

    const deviceId = end_device_ids?.device_id ?? record.key;
    // The network server's reception time; the application server's (top level) comes a moment later.
    const receivedText = uplink.received_at ?? result.data.received_at;
    if (receivedText === undefined) throw new DecodeError("uplink has no received_at");
    const receivedAt = parseTime(receivedText, "received_at");
    const gateway = uplink.rx_metadata?.[0];
    const gatewayText = context.useGatewayTime ? (gateway?.gps_time ?? gateway?.time) : undefined;
    const stamp: UplinkStamp = {
      deviceId,
      observedAt: gatewayText === undefined ? receivedAt : parseTime(gatewayText, "rx_metadata.0.time"),
      seq: uplink.f_cnt ?? 0,
    };

    const readings: Reading[] = [];
    const unmapped: string[] = [];
    if (uplink.normalized_payload !== undefined && uplink.normalized_payload.length > 0) {
      for (const measurement of uplink.normalized_payload) {
        const time = (measurement as { time?: unknown } | null)?.time;
        const measured =
          typeof time === "string" ? { ...stamp, observedAt: parseTime(time, "normalized_payload.time") } : stamp;
        mapLorawanObject(measurement, NORMALIZED, measured, "normalized_payload", readings, unmapped);
      }
    } else {
      const deviceType = deviceId === undefined ? undefined : context.deviceType(deviceId);
      const table = fieldTableOf(deviceType?.fields);
      if (uplink.decoded_payload !== undefined) {
        mapLorawanObject(uplink.decoded_payload, table, stamp, "decoded_payload", readings, unmapped);
      } else if (deviceType?.codec !== undefined) {
        const frame = uplink.frm_payload;
        const fPort = uplink.f_port ?? 0;
        const data = decodeWithDeviceCodec(
          deviceType,
          deviceType.codec,
          frame,
          fPort,
          receivedAt,
          "frm_payload",
          context,
        );
        mapLorawanObject(data, table, stamp, "codec data", readings, unmapped);
      } else {
        throw new DecodeError(
          `uplink has neither decoded_payload nor normalized_payload, and ${
            deviceType ? `device type "${deviceType.id}"` : `device "${deviceId ?? "(no id)"}"`
          } has no codec to decode frm_payload`,
        );
      }
    }
    appendRadioReadings(uplink.rx_metadata, stamp, readings);
    return { readings, unmapped };
  },
};
