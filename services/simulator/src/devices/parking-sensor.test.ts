import { describe, expect, it } from "vitest";
import { lorawanEndDevice } from "../lorawan/end-device.ts";
import { seededRandom } from "../random.ts";
import { occupancy, parkingSensor } from "./parking-sensor.ts";

const ids = {
  deviceId: "parking-0001",
  applicationId: "parking-sensors",
  devEui: "70B3D57ED0100000",
  joinEui: "70B3D57ED0001A00",
  sessionKeyId: "ws0w+QSqd4tWCdyS+7oBsg==",
};

describe("parking occupancy", () => {
  it("fills the centre on a workday late morning and empties it at night", () => {
    expect(occupancy("centre", new Date("2026-01-14T09:30:00Z"))).toBeGreaterThan(0.7);
    expect(occupancy("centre", new Date("2026-01-14T02:00:00Z"))).toBeLessThan(0.2);
  });

  it("fills residential streets overnight and empties them during working hours", () => {
    expect(occupancy("residential", new Date("2026-01-14T02:00:00Z"))).toBeGreaterThan(0.8);
    expect(occupancy("residential", new Date("2026-01-14T11:30:00Z"))).toBeLessThan(0.5);
  });
});

describe("parkingSensor", () => {
  it("sends a payload whose bytes say what its decoded payload says, counting frames up", () => {
    const random = seededRandom(8);
    const radio = lorawanEndDevice({ lat: 51.05, lon: 13.74, shadowingDb: 10 }, random);
    const sensor = parkingSensor({ ...ids, devAddr: radio.devAddr }, radio, "centre", random);
    const counters: number[] = [];
    for (let i = 0; i < 50; i++) {
      const message = JSON.parse(sensor.next(new Date(Date.parse("2026-01-14T08:00:00Z") + i * 60_000), random));
      const up = message.uplink_message;
      const bytes = [...Buffer.from(up.frm_payload, "base64")];
      expect(bytes[0]).toBe(up.decoded_payload.occupied ? 1 : 0);
      expect((((bytes[1] ?? 0) << 8) | (bytes[2] ?? 0)) / 1000).toBe(up.decoded_payload.battery);
      expect(up.decoded_payload.battery).toBeGreaterThan(3.4);
      counters.push(up.f_cnt ?? 0);
    }
    expect(counters).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it("keeps a bay's state for minutes rather than flipping at every message", () => {
    const random = seededRandom(9);
    const radio = lorawanEndDevice({ lat: 51.05, lon: 13.74, shadowingDb: 10 }, random);
    const sensor = parkingSensor({ ...ids, devAddr: radio.devAddr }, radio, "centre", random);
    let flips = 0;
    let previous: boolean | undefined;
    for (let i = 0; i < 600; i++) {
      const occupied = JSON.parse(sensor.next(new Date(Date.parse("2026-01-14T08:00:00Z") + i * 10_000), random))
        .uplink_message.decoded_payload.occupied;
      if (previous !== undefined && occupied !== previous) flips++;
      previous = occupied;
    }
    // 600 messages over 100 minutes: a car stays 1.5 h on average.
    expect(flips).toBeLessThan(10);
  });
});
