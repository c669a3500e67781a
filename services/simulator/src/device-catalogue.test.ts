import { kindInfo } from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import type { DeviceCounts, FleetConfig } from "./config.ts";
import { mqttSubscriptions, simulatedDevices } from "./device-catalogue.ts";
import { PARKING_SITES } from "./parking-sites.ts";

const counts = (n: number): DeviceCounts => ({
  trafficCounters: n,
  householdMeters: n,
  dsmrMeters: n,
  tasmotaMeters: n,
  airSensors: n,
  parkingSensors: n,
  environmentSensors: n,
  waterGauges: n,
  weatherStations: n,
});
const fleet = (n: number): FleetConfig => ({ tenant: "musterstadt", topicPrefix: "stadtfluss", devices: counts(n) });

/** The bridge's reading of a topic pattern: `{name}` fills (part of) a level. */
function match(pattern: string, topic: string): Record<string, string> | undefined {
  const regex = pattern
    .split("/")
    .map((level) => level.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([a-zA-Z]+)\}/g, "(?<$1>[^/]+?)"))
    .join("/");
  return new RegExp(`^${regex}$`).exec(topic)?.groups;
}

describe("simulatedDevices", () => {
  const devices = simulatedDevices(fleet(3));

  it("builds every family in every payload format", () => {
    expect(devices).toHaveLength(27);
    expect(new Set(devices.map((d) => d.format))).toEqual(
      new Set(["stadtfluss-json", "dsmr-p1", "tasmota-sml", "sensor-community", "ttn-v3", "chirpstack-v4", "senml"]),
    );
  });

  it("gives each device a unique id and topic, which its format's subscription reads back", () => {
    expect(new Set(devices.map((d) => d.id)).size).toBe(devices.length);
    expect(new Set(devices.map((d) => d.topic)).size).toBe(devices.length);
    const subscriptions = mqttSubscriptions(fleet(3));
    for (const device of devices) {
      const subscription = subscriptions.find((s) => s.format === device.format);
      const parts = subscription && match(subscription.topic, device.topic);
      expect(parts?.device, device.topic).toBe(device.id);
      expect(parts?.tenant ?? subscription?.tenant).toBe("musterstadt");
    }
  });

  it("maps every payload field to a known kind", () => {
    for (const device of devices)
      for (const field of device.type.fields ?? []) expect(kindInfo(field.kind), field.kind).toBeDefined();
  });

  it("marks household meters personal and everything else public", () => {
    const personal = devices.filter((d) => d.privacy === "personal").map((d) => d.type.id);
    expect(new Set(personal)).toEqual(new Set(["household-meter", "dsmr-meter", "tasmota-sml-meter"]));
    expect(devices.filter((d) => d.privacy === "public")).toHaveLength(18);
  });

  it("places every device in Musterstadt, in a district, with an owning department", () => {
    for (const device of devices) {
      expect(Math.abs(device.location.lat - 51.05)).toBeLessThan(0.05);
      expect(Math.abs(device.location.lon - 13.74)).toBeLessThan(0.08);
      expect(device.district.length).toBeGreaterThan(0);
      expect(device.department.length).toBeGreaterThan(0);
    }
  });

  it("puts parking bays into a few car parks, several bays each, every car park inside one district", () => {
    const bays = simulatedDevices(fleet(6)).filter((d) => d.type.id === "parking-sensor");
    const bySite = Map.groupBy(bays, (d) => d.site);
    expect([...bySite.keys()].sort()).toEqual(PARKING_SITES.map((s) => s.id).sort());
    for (const [site, inSite] of bySite) {
      expect(inSite.length, site).toBeGreaterThanOrEqual(2);
      expect(new Set(inSite.map((d) => d.district)).size, site).toBe(1);
    }
    // A district with more than one car park: per site is not per district under another name.
    const sitesPerDistrict = Map.groupBy(PARKING_SITES, (s) => bays.find((d) => d.site === s.id)?.district);
    expect(Math.max(...[...sitesPerDistrict.values()].map((s) => s.length))).toBeGreaterThan(1);
    expect(simulatedDevices(fleet(6)).filter((d) => d.type.id !== "parking-sensor" && d.site !== undefined)).toEqual(
      [],
    );
  });

  it("keeps each device's id and place when the fleet grows, so a registry stays valid", () => {
    const larger = simulatedDevices(fleet(5));
    for (const device of devices) {
      const same = larger.find((d) => d.id === device.id);
      expect(same?.location).toEqual(device.location);
      expect(same?.topic).toEqual(device.topic);
    }
  });
});

describe("mqttSubscriptions", () => {
  it("subscribes to each format once, every topic naming the device and the tenant coming from topic or subscription", () => {
    const subscriptions = mqttSubscriptions({ tenant: "musterstadt", topicPrefix: "city" });
    expect(subscriptions.map((s) => s.format)).toHaveLength(7);
    expect(new Set(subscriptions.map((s) => s.format)).size).toBe(7);
    for (const s of subscriptions) {
      expect(s.topic).toContain("{device}");
      expect(s.topic.includes("{tenant}") || s.tenant === "musterstadt").toBe(true);
    }
    expect(subscriptions[0]).toEqual({ topic: "city/{tenant}/{device}/up", format: "stadtfluss-json" });
  });
});
