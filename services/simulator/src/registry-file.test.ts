import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistry } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { FleetConfig } from "./config.ts";
import { simulatedDevices } from "./device-catalogue.ts";
import { registryYaml } from "./registry-file.ts";

const fleet: FleetConfig = {
  tenant: "musterstadt",
  topicPrefix: "stadtfluss",
  devices: {
    trafficCounters: 2,
    householdMeters: 2,
    dsmrMeters: 1,
    tasmotaMeters: 1,
    airSensors: 1,
    parkingSensors: 2,
    environmentSensors: 1,
    waterGauges: 1,
    weatherStations: 1,
  },
};

describe("registryYaml", () => {
  const devices = simulatedDevices(fleet);
  const text = registryYaml(devices);
  const registry = parse(text) as {
    tenants: Array<Record<string, unknown>>;
    deviceTypes: Array<{ id: string; fields?: Array<{ path: string; kind: string; unit: string }> }>;
    devices: Array<Record<string, unknown>>;
  };

  it("registers every simulated device with tenant, type, place, district, site (parking bays), department and privacy", () => {
    expect(registry.devices).toHaveLength(devices.length);
    registry.devices.forEach((entry, i) => {
      const device = devices[i];
      expect(entry).toEqual({
        id: device?.id,
        tenant: "musterstadt",
        type: device?.type.id,
        location: device?.location,
        district: device?.district,
        ...(device?.site === undefined ? {} : { site: device.site }),
        department: device?.department,
        privacy: device?.privacy,
      });
    });
  });

  it("declares the fleet's tenant, which every device names", () => {
    expect(registry.tenants).toEqual([{ id: "musterstadt", name: "musterstadt (simulated)", kind: "municipality" }]);
  });

  it("declares each device type once, with the field mappings the LoRaWAN decoders need", () => {
    const ids = registry.deviceTypes.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const entry of registry.devices) expect(ids).toContain(entry.type);
    expect(registry.deviceTypes.find((t) => t.id === "parking-sensor")?.fields).toEqual([
      { path: "occupied", kind: "parking.occupied", unit: "1" },
      { path: "battery", kind: "device.battery_voltage", unit: "V" },
    ]);
    expect(registry.deviceTypes.find((t) => t.id === "water-gauge")?.fields?.map((f) => f.path)).toEqual([
      "waterLevel",
      "battery",
    ]);
  });

  it("prints a registry the registry's own loader accepts, with every device's type and privacy", () => {
    const file = join(mkdtempSync(join(tmpdir(), "sf-sim-registry-")), "registry.yaml");
    writeFileSync(file, text);
    const { registry: loaded, tenants } = loadRegistry(file);
    expect(tenants.map((tenant) => tenant.id)).toEqual(["musterstadt"]);
    expect(loaded.size).toBe(devices.length);
    for (const device of devices) {
      const registered = loaded.device(device.tenant, device.id);
      expect(registered?.type?.id).toBe(device.type.id);
      expect(registered?.privacy).toBe(device.privacy);
      expect(registered?.district).toBe(device.district);
      expect(registered?.site).toBe(device.site);
    }
  });

  it("writes one line per device and per field, as registries are written by hand", () => {
    expect(text).toContain("tenants:\n  - { id: musterstadt, name: musterstadt (simulated), kind: municipality }\n");
    expect(text).toContain('  - { path: occupied, kind: parking.occupied, unit: "1" }\n');
    expect(text).toMatch(
      /\n {2}- \{ id: parking-0001, tenant: musterstadt, type: parking-sensor, location: \{ lat: [\d.]+, lon: [\d.]+ \}, district: \w+, site: parkhaus-markt, department: Tiefbauamt, privacy: public \}\n/,
    );
  });
});
