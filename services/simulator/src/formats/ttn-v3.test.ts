import { describe, expect, it } from "vitest";
import { type TtnUplink, ttnUplinkMessage } from "./ttn-v3.ts";

const uplink: TtnUplink = {
  deviceId: "parking-0001",
  applicationId: "parking-sensors",
  devEui: "70B3D57ED0100000",
  joinEui: "70B3D57ED0001A00",
  devAddr: "260BBE97",
  correlationIds: ["as:up:01KEXPMES0F3DXEXZK6MKKXBX1"],
  receivedAt: new Date("2026-01-14T07:31:00.000Z"),
  receivedAtNanos: 220_017,
  sessionKeyId: "ws0w+QSqd4tWCdyS+7oBsg==",
  fPort: 1,
  fCnt: 42,
  frmPayload: Uint8Array.of(1, 0x0e, 0x10),
  decodedPayload: { occupied: true, battery: 3.6 },
  rxMetadata: [
    {
      gatewayId: "musterstadt-rathaus",
      gatewayEui: "B827EBFFFE6C1A01",
      time: new Date("2026-01-14T07:30:59.868Z"),
      timestamp: 2747184032,
      rssi: -88,
      snr: 9.5,
      uplinkToken: "5Gq/IktSsV6BeFa1svsS+UoZY6pih121",
      channelIndex: 2,
      receivedAt: new Date("2026-01-14T07:30:59.873Z"),
    },
  ],
  spreadingFactor: 7,
  dataRateIndex: 5,
  frequency: 868_500_000,
  networkReceivedAt: new Date("2026-01-14T07:30:59.968Z"),
  networkReceivedAtNanos: 404_432,
  consumedAirtimeSeconds: 0.051456,
};

describe("ttnUplinkMessage", () => {
  const message = JSON.parse(ttnUplinkMessage(uplink));

  it("identifies the device as The Things Stack does", () => {
    expect(message.end_device_ids).toEqual({
      device_id: "parking-0001",
      application_ids: { application_id: "parking-sensors" },
      dev_eui: "70B3D57ED0100000",
      join_eui: "70B3D57ED0001A00",
      dev_addr: "260BBE97",
    });
  });

  it("stamps received_at with nanoseconds in UTC", () => {
    expect(message.received_at).toBe("2026-01-14T07:31:00.000220017Z");
    expect(message.uplink_message.received_at).toBe("2026-01-14T07:30:59.968404432Z");
  });

  it("carries port, counter, the raw payload in base64 and the formatter's decoded payload", () => {
    const up = message.uplink_message;
    expect(up.f_port).toBe(1);
    expect(up.f_cnt).toBe(42);
    expect([...Buffer.from(up.frm_payload, "base64")]).toEqual([1, 0x0e, 0x10]);
    expect(up.decoded_payload).toEqual({ occupied: true, battery: 3.6 });
  });

  it("lists each gateway's reception and the transmission settings", () => {
    const up = message.uplink_message;
    expect(up.rx_metadata[0]).toMatchObject({
      gateway_ids: { gateway_id: "musterstadt-rathaus", eui: "B827EBFFFE6C1A01" },
      time: "2026-01-14T07:30:59.868Z",
      rssi: -88,
      snr: 9.5,
      channel_index: 2,
    });
    expect(up.settings).toMatchObject({
      data_rate: { lora: { bandwidth: 125000, spreading_factor: 7 } },
      frequency: "868500000",
    });
    expect(up.consumed_airtime).toBe("0.051456s");
  });

  it("omits a frame counter of 0, as the server omits empty fields", () => {
    const first = JSON.parse(ttnUplinkMessage({ ...uplink, fCnt: 0 }));
    expect(first.uplink_message).not.toHaveProperty("f_cnt");
  });
});
