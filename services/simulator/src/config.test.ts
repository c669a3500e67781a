import { describe, expect, it } from "vitest";
import { loadConfig, loadFleetConfig } from "./config.ts";

const ALL_ZERO = {
  SIM_TRAFFIC_COUNTERS: "0",
  SIM_HOUSEHOLD_METERS: "0",
  SIM_DSMR_METERS: "0",
  SIM_TASMOTA_METERS: "0",
  SIM_AIR_SENSORS: "0",
  SIM_PARKING_SENSORS: "0",
  SIM_ENVIRONMENT_SENSORS: "0",
  SIM_WATER_GAUGES: "0",
  SIM_WEATHER_STATIONS: "0",
};

describe("loadConfig", () => {
  it("refuses credentials inside MQTT_URL and points to MQTT_USERNAME and MQTT_PASSWORD_FILE", () => {
    expect(() => loadConfig({ MQTT_URL: "mqtt://sim:pw-in-url-7@localhost:1883" })).toThrow(
      "MQTT_URL: must not hold credentials (user:password@); give them in MQTT_USERNAME and MQTT_PASSWORD or MQTT_PASSWORD_FILE",
    );
  });

  it("simulates some devices of every family by default", () => {
    const config = loadConfig({ MQTT_URL: "mqtt://localhost:1883" });
    for (const [family, count] of Object.entries(config.devices)) expect(count, family).toBeGreaterThan(0);
    expect(config.rate).toBe(20);
    expect(config.tenant).toBe("musterstadt");
  });

  it("takes each family's count from its variable", () => {
    const config = loadConfig({ MQTT_URL: "mqtt://localhost:1883", ...ALL_ZERO, SIM_WATER_GAUGES: "7" });
    expect(config.devices).toMatchObject({ waterGauges: 7, trafficCounters: 0, dsmrMeters: 0 });
  });

  it("refuses a fleet without any device", () => {
    expect(() => loadConfig({ MQTT_URL: "mqtt://localhost:1883", ...ALL_ZERO })).toThrow(/no devices/);
  });
});

describe("loadFleetConfig", () => {
  it("needs no broker settings, only the fleet's", () => {
    expect(loadFleetConfig({ SIM_TENANT: "beispielstadt", SIM_PARKING_SENSORS: "3" })).toMatchObject({
      tenant: "beispielstadt",
      topicPrefix: "stadtfluss",
      devices: { parkingSensors: 3 },
    });
  });

  it("refuses a tenant the registry could not declare", () => {
    expect(() => loadFleetConfig({ SIM_TENANT: "muster_stadt" })).toThrow(/SIM_TENANT: must be lowercase letters/);
  });

  it("names a bad count", () => {
    expect(() => loadFleetConfig({ SIM_AIR_SENSORS: "many" })).toThrow(/SIM_AIR_SENSORS: must be a whole number/);
  });
});
