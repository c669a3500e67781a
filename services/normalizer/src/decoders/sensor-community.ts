import { DecodeError, excerpt } from "@stadtfluss/errors";
import type { FieldMapping } from "@stadtfluss/registry";
import { z } from "zod";
import type { Decoder, Reading } from "../raw-record.ts";
import { parseJson, zodReason } from "./payload.ts";

/**
 * The sensor.community (airRohr) firmware's "Send data to custom API" JSON:
 * `{"esp8266id": "12331981", "software_version": "NRZ-2020-129", "sensordatavalues":
 * [{"value_type": "SDS_P1", "value": "0.40"}, ...]}`, values as strings.
 *
 * - Value types and units as `airrohr-firmware.ino` (opendata-stuttgart/sensors-software)
 *   writes them: `<SENSOR>_P1` is PM10, `_P2` PM2.5, `_P0` PM1, `SPS30_P4` PM4,
 *   in µg/m³; pressures in Pa. The bare `P1`/`P2` come from the PPD42NS and are
 *   particle counts, not masses: unmapped, like `samples`, `min_micro`,
 *   `max_micro`, `interval`, particle numbers (`_N…`) and GPS.
 * - `signal` is the station's WiFi RSSI (dBm): radio.rssi.
 * - A station with several sensors of one quantity (DHT22 and BME280 both
 *   measure temperature) keeps the first in the payload, which is the
 *   firmware's reading order; the others are unmapped. A device type's `fields`
 *   (`path` = value type) choose instead, and then only they count; fields of
 *   one kind with different `channel`s keep both sensors.
 * - Device id: `esp8266-<esp8266id>`, sensor.community's own name for the
 *   station (ESP32 stations send their id in the same field), else the record key.
 * - Time: when the bridge received the message; the firmware sends none.
 */

const PM_UNIT = "µg/m³";

const VALUE_TYPES: Readonly<Record<string, Omit<FieldMapping, "path">>> = {
  ...each(["SDS_P1", "PMS_P1", "HPM_P1", "NPM_P1", "IPS_P1", "SPS30_P1"], { kind: "air.pm10", unit: PM_UNIT }),
  ...each(["SDS_P2", "PMS_P2", "HPM_P2", "NPM_P2", "IPS_P2", "SPS30_P2"], { kind: "air.pm2_5", unit: PM_UNIT }),
  ...each(["PMS_P0", "NPM_P0", "IPS_P0", "SPS30_P0"], { kind: "air.pm1", unit: PM_UNIT }),
  SPS30_P4: { kind: "air.pm4", unit: PM_UNIT },
  ...each(
    [
      "temperature",
      "HTU21D_temperature",
      "BMP_temperature",
      "SHT3X_temperature",
      "SCD30_temperature",
      "BME280_temperature",
      "BMP280_temperature",
      "DS18B20_temperature",
    ],
    { kind: "air.temperature", unit: "°C" },
  ),
  ...each(["humidity", "HTU21D_humidity", "SHT3X_humidity", "SCD30_humidity", "BME280_humidity"], {
    kind: "air.humidity",
    unit: "%",
  }),
  ...each(["BMP_pressure", "BME280_pressure", "BMP280_pressure"], { kind: "air.pressure", unit: "Pa" }),
  SCD30_co2_ppm: { kind: "air.co2", unit: "ppm" },
  DNMS_noise_LAeq: { kind: "air.noise", unit: "dB(A)" },
  signal: { kind: "radio.rssi", unit: "dBm" },
};

function each(types: readonly string[], mapping: Omit<FieldMapping, "path">) {
  return Object.fromEntries(types.map((type) => [type, mapping]));
}

const payloadSchema = z.object({
  esp8266id: z.union([z.string().min(1), z.number().int().nonnegative()]).optional(),
  software_version: z.string().optional(),
  sensordatavalues: z.array(z.object({ value_type: z.string().min(1), value: z.union([z.string(), z.number()]) })),
});

/** The firmware prints floats with two decimals; early versions appended " dBm" to the signal. */
const NUMBER = /^\s*(-?\d+(?:\.\d+)?)(?:\s*dBm)?\s*$/;

export const sensorCommunity: Decoder = {
  format: "sensor-community",
  decode(record, context) {
    const result = payloadSchema.safeParse(parseJson(record.value));
    if (!result.success)
      throw new DecodeError(`payload does not match sensor.community JSON: ${zodReason(result.error)}`);
    const { esp8266id, sensordatavalues } = result.data;
    const station = esp8266id === undefined ? undefined : `esp8266-${esp8266id}`;
    const deviceId = station ?? record.key;
    const fields = (deviceId === undefined ? undefined : context.deviceType(deviceId)?.fields) ?? [];
    const mappingOf = (type: string) =>
      fields.length > 0 ? fields.find((f) => f.path === type) : Object.hasOwn(VALUE_TYPES, type) && VALUE_TYPES[type];

    const readings: Reading[] = [];
    const unmapped: string[] = [];
    const sensors = new Set<string>();
    for (const { value_type: type, value } of sensordatavalues) {
      const mapping = mappingOf(type);
      const sensor = mapping ? `${mapping.kind}/${mapping.channel ?? ""}` : "";
      if (!mapping || sensors.has(sensor)) {
        unmapped.push(type);
        continue;
      }
      sensors.add(sensor);
      readings.push({
        ...(station === undefined ? {} : { deviceId: station }),
        kind: mapping.kind,
        value: numberOf(type, value) * (mapping.scale ?? 1),
        unit: mapping.unit,
        observedAt: record.receivedAt,
        ...(mapping.channel === undefined ? {} : { channel: mapping.channel }),
      });
    }
    return { readings, unmapped };
  },
};

function numberOf(type: string, value: string | number): number {
  if (typeof value === "number") return value;
  const match = NUMBER.exec(value);
  if (!match) throw new DecodeError(`${type} is not a number: "${excerpt(value, 20)}"`);
  return Number(match[1]);
}
