import { describe, expect, it } from "vitest";
import { type ChirpstackUplink, chirpstackUplinkEvent } from "./chirpstack-v4.ts";

const event: ChirpstackUplink = {
  deduplicationId: "6bd1e6cf-c9d7-4205-b5dc-7e6404bb09b4",
  time: new Date("2026-01-14T07:31:00.000Z"),
  timeNanos: 766_377,
  deviceInfo: {
    tenantId: "bd02f656-aca3-4958-9dd9-46e6a058edd5",
    tenantName: "Stadt Musterstadt",
    applicationId: "a3698ce9-45d3-4c3b-a2a9-0b75795210ea",
    applicationName: "Pegelmessnetz",
    deviceProfileId: "dd76d65a-6823-4553-8d04-aa3200024fbe",
    deviceProfileName: "Ultraschall-Pegelsonde EU868",
    deviceName: "pegel-0001",
    devEui: "a840410f4d000000",
  },
  devAddr: "260b9313",
  dr: 5,
  fCnt: 0,
  fPort: 2,
  data: Uint8Array.of(0x00, 0xa0, 0x49),
  object: { waterLevel: 160, battery: 73 },
  rxInfo: [
    {
      gatewayId: "b827ebfffe6c1a04",
      uplinkId: 3468895190,
      gwTime: new Date("2026-01-14T07:30:59.900Z"),
      nsTime: new Date("2026-01-14T07:30:59.976Z"),
      nsTimeNanos: 742_931,
      rssi: -100,
      snr: 9.25,
      channel: 4,
      context: "ak7Z/g==",
    },
  ],
  frequency: 867_300_000,
  spreadingFactor: 7,
};

describe("chirpstackUplinkEvent", () => {
  const json = JSON.parse(chirpstackUplinkEvent(event));

  it("describes the device with tenant, application, profile, name and DevEUI", () => {
    expect(json.deviceInfo).toMatchObject(event.deviceInfo);
  });

  it("stamps time in RFC 3339 with nanoseconds and +00:00, as ChirpStack prints it", () => {
    expect(json.time).toBe("2026-01-14T07:31:00.000766377+00:00");
    expect(json.rxInfo[0].nsTime).toBe("2026-01-14T07:30:59.976742931+00:00");
  });

  it("prints fCnt even when it is 0, with port, base64 data and the codec's object", () => {
    expect(json.fCnt).toBe(0);
    expect(json.fPort).toBe(2);
    expect([...Buffer.from(json.data, "base64")]).toEqual([0x00, 0xa0, 0x49]);
    expect(json.object).toEqual({ waterLevel: 160, battery: 73 });
  });

  it("lists each gateway's reception and the transmission's modulation", () => {
    expect(json.rxInfo[0]).toMatchObject({ gatewayId: "b827ebfffe6c1a04", rssi: -100, snr: 9.25, crcStatus: "CRC_OK" });
    expect(json.txInfo).toEqual({
      frequency: 867300000,
      modulation: { lora: { bandwidth: 125000, spreadingFactor: 7, codeRate: "CR_4_5" } },
    });
  });
});
