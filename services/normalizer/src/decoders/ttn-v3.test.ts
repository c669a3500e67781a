import { DecodeError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { defaultDecoderContext } from "../normalize.ts";
import type { DecoderContext, RawRecord } from "../raw-record.ts";
import { ttnV3 } from "./ttn-v3.ts";

function record(payload: unknown): RawRecord {
  return {
    key: "eui-1000000000000001",
    value: Buffer.from(JSON.stringify(payload)),
    source: "ttn",
    format: "ttn-v3",
    tenant: "musterstadt",
    mqttTopic: "v3/app@ttn/devices/eui-1000000000000001/up",
    receivedAt: new Date("2026-11-25T07:30:01.000Z"),
  };
}

const uplink = (message: Record<string, unknown>) => ({
  received_at: "2026-11-25T07:30:00.500Z",
  uplink_message: { received_at: "2026-11-25T07:30:00.000Z", ...message },
});

describe("ttn-v3", () => {
  it("takes each normalized measurement's own time and maps the repository's schema to kinds", () => {
    const result = ttnV3.decode(
      record(
        uplink({
          f_cnt: 3,
          normalized_payload: [
            { time: "2026-11-25T07:20:00Z", air: { temperature: 4.5, relativeHumidity: 80 }, battery: 3.1 },
            { time: "2026-11-25T07:25:00Z", air: { temperature: 4.25, location: "outdoor" }, soil: { moisture: 30 } },
          ],
        }),
      ),
      defaultDecoderContext,
    );
    expect(result.readings.map((r) => [r.kind, r.value, r.unit, r.observedAt.toISOString()])).toEqual([
      ["air.temperature", 4.5, "°C", "2026-11-25T07:20:00.000Z"],
      ["air.humidity", 80, "%", "2026-11-25T07:20:00.000Z"],
      ["device.battery_voltage", 3.1, "V", "2026-11-25T07:20:00.000Z"],
      ["air.temperature", 4.25, "°C", "2026-11-25T07:25:00.000Z"],
    ]);
    expect(result.unmapped.sort()).toEqual(["air.location", "soil.moisture"]);
    expect(result.readings.every((r) => r.seq === 3 && r.deviceId === "eui-1000000000000001")).toBe(true);
  });

  it("counts a missing f_cnt as 0, because The Things Stack leaves zero values out", () => {
    const result = ttnV3.decode(record(uplink({ normalized_payload: [{ battery: 3 }] })), defaultDecoderContext);
    expect(result.readings[0]?.seq).toBe(0);
  });

  it("takes the best rssi and snr over all gateways", () => {
    const result = ttnV3.decode(
      record(
        uplink({
          normalized_payload: [{ battery: 3 }],
          rx_metadata: [
            { rssi: -110, snr: 2.5 },
            { rssi: -95, snr: -4 },
          ],
        }),
      ),
      defaultDecoderContext,
    );
    expect(result.readings.filter((r) => r.kind.startsWith("radio.")).map((r) => [r.kind, r.value])).toEqual([
      ["radio.rssi", -95],
      ["radio.snr", 2.5],
    ]);
  });

  it("falls back to received_at when the first gateway has no clock and gateway time is asked for", () => {
    const result = ttnV3.decode(
      record(uplink({ normalized_payload: [{ battery: 3 }], rx_metadata: [{ rssi: -90 }] })),
      {
        ...defaultDecoderContext,
        useGatewayTime: true,
      },
    );
    expect(result.readings[0]?.observedAt.toISOString()).toBe("2026-11-25T07:30:00.000Z");
  });

  it("needs a codec sandbox for a device type with a codec", () => {
    const context: DecoderContext = {
      ...defaultDecoderContext,
      deviceType: () => ({ id: "milesight-em300-th", codec: "function decodeUplink() {}" }),
    };
    expect(() => ttnV3.decode(record(uplink({ frm_payload: "AXVcA2c0AQRoZQ==" })), context)).toThrow(
      'device type "milesight-em300-th" has a codec, but the normalizer runs no codec sandbox',
    );
  });

  it("hands the codec the frame's bytes, port and reception time", () => {
    let seen: unknown;
    const context: DecoderContext = {
      ...defaultDecoderContext,
      deviceType: () => ({
        id: "counter",
        codec: "source",
        fields: [{ path: "n", kind: "traffic.vehicle_count", unit: "{vehicle}" }],
      }),
      runCodec: (source, input) => {
        seen = { source, ...input };
        return { n: 4 };
      },
    };
    const result = ttnV3.decode(record(uplink({ f_port: 2, frm_payload: "AQID" })), context);
    expect(seen).toEqual({
      source: "source",
      bytes: [1, 2, 3],
      fPort: 2,
      recvTime: new Date("2026-11-25T07:30:00.000Z"),
    });
    expect(result.readings.map((r) => [r.kind, r.value])).toEqual([["traffic.vehicle_count", 4]]);
  });

  it("refuses a frm_payload that is not base64", () => {
    const context: DecoderContext = {
      ...defaultDecoderContext,
      deviceType: () => ({ id: "counter", codec: "source" }),
      runCodec: () => ({}),
    };
    expect(() => ttnV3.decode(record(uplink({ frm_payload: "AX%Vc" })), context)).toThrow("frm_payload is not base64");
  });

  it("refuses a join-accept, which carries no measurements", () => {
    const joinAccept = {
      received_at: "2026-11-25T07:30:00Z",
      join_accept: { session_key_id: "AXBSH1Pk6Z0G166RlH16CQ==" },
    };
    expect(() => ttnV3.decode(record(joinAccept), defaultDecoderContext)).toThrow(
      new DecodeError(
        "payload does not match ttn-v3: uplink_message: expected an uplink message (join-accept and downlink events carry no measurements)",
      ),
    );
  });
});
