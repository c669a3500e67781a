import type { DeviceType } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import { sensorCommunity } from "./sensor-community.ts";

const RECEIVED = new Date("2026-11-25T07:30:00.000Z");

function decode(values: [string, string][], types: Record<string, DeviceType> = {}, id: string | null = "42") {
  const payload = {
    ...(id === null ? {} : { esp8266id: id }),
    software_version: "NRZ-2024-135",
    sensordatavalues: values.map(([value_type, value]) => ({ value_type, value })),
  };
  return sensorCommunity.decode(
    {
      key: "relay-1",
      value: Buffer.from(JSON.stringify(payload)),
      source: "test",
      format: "sensor-community",
      tenant: "musterstadt",
      mqttTopic: "sensor-community/push",
      receivedAt: RECEIVED,
    },
    { ...defaultDecoderContext, deviceType: (deviceId) => types[deviceId] },
  );
}

describe("sensor-community decoder", () => {
  it("maps the particulate matter of every sensor the firmware knows, PM1 to PM10", () => {
    const { readings } = decode([
      ["SPS30_P0", "1.1"],
      ["SPS30_P2", "2.2"],
      ["SPS30_P4", "3.3"],
      ["SPS30_P1", "4.4"],
    ]);
    expect(readings.map((r) => [r.kind, r.value, r.unit])).toEqual([
      ["air.pm1", 1.1, "µg/m³"],
      ["air.pm2_5", 2.2, "µg/m³"],
      ["air.pm4", 3.3, "µg/m³"],
      ["air.pm10", 4.4, "µg/m³"],
    ]);
  });

  it("reads the Honeywell's HPM_P1 as PM10, as the firmware computes it", () => {
    expect(decode([["HPM_P1", "9.0"]]).readings[0]?.kind).toBe("air.pm10");
  });

  it("leaves the PPD42NS's bare P1 and P2 unmapped: they count particles", () => {
    const { readings, unmapped } = decode([
      ["P1", "174.21"],
      ["durP1", "100367"],
      ["SDS_P1", "3.2"],
    ]);
    expect(readings.map((r) => r.kind)).toEqual(["air.pm10"]);
    expect(unmapped).toEqual(["P1", "durP1"]);
  });

  it("keeps the first of two sensors of one quantity and lists the other as unmapped", () => {
    const { readings, unmapped } = decode([
      ["temperature", "43.30"],
      ["BME280_temperature", "33.87"],
    ]);
    expect(readings.map((r) => [r.kind, r.value])).toEqual([["air.temperature", 43.3]]);
    expect(unmapped).toEqual(["BME280_temperature"]);
  });

  it("lets the device type choose the sensor, and then maps only its fields", () => {
    const type: DeviceType = {
      id: "airrohr",
      fields: [{ path: "BME280_temperature", kind: "air.temperature", unit: "°C" }],
    };
    const { readings, unmapped } = decode(
      [
        ["temperature", "43.30"],
        ["BME280_temperature", "33.87"],
        ["SDS_P1", "3.2"],
      ],
      { "esp8266-42": type },
    );
    expect(readings.map((r) => [r.kind, r.value])).toEqual([["air.temperature", 33.87]]);
    expect(unmapped).toEqual(["temperature", "SDS_P1"]);
  });

  it("names the station esp8266-<id>, or leaves the device to the record key without an id", () => {
    expect(decode([["SDS_P1", "1"]]).readings[0]?.deviceId).toBe("esp8266-42");
    expect(decode([["SDS_P1", "1"]], {}, null).readings[0]?.deviceId).toBeUndefined();
  });

  it("reads the signal of early firmware, which appended dBm", () => {
    expect(decode([["signal", "-59 dBm"]]).readings[0]).toMatchObject({ kind: "radio.rssi", value: -59, unit: "dBm" });
  });

  it("stamps every reading with the time the bridge received the message", () => {
    expect(decode([["SDS_P1", "1"]]).readings[0]?.observedAt).toEqual(RECEIVED);
  });
});
