import { measurements, quoteIdentifier } from "@stadtfluss/influx";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { startWorker, uniqueName } from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";
import { fleetRegistry } from "./fleet.ts";
import { startPipeline } from "./pipeline.ts";

const servers = inject("servers");
const families = [
  "SIM_TRAFFIC_COUNTERS",
  "SIM_HOUSEHOLD_METERS",
  "SIM_DSMR_METERS",
  "SIM_TASMOTA_METERS",
  "SIM_AIR_SENSORS",
  "SIM_PARKING_SENSORS",
  "SIM_ENVIRONMENT_SENSORS",
  "SIM_WATER_GAUGES",
  "SIM_WEATHER_STATIONS",
];

describe("every payload format through the whole pipeline", () => {
  it("one device of each format, published over MQTT, arrives in InfluxDB enriched from the registry", async () => {
    const prefix = uniqueName("formats");
    const tenant = uniqueName("t");
    const fleet = {
      SIM_TENANT: tenant,
      SIM_TOPIC_PREFIX: prefix,
      ...Object.fromEntries(families.map((f) => [f, "1"])),
    };
    const { registryFile, devices } = fleetRegistry(fleet);
    expect(devices).toHaveLength(families.length);

    const pipeline = await startPipeline(
      servers,
      {
        bridge: {
          MQTT_SOURCES: JSON.stringify([
            {
              id: "city",
              url: servers.mqttUrl,
              clientId: `${prefix}-bridge`,
              subscriptions: mqttSubscriptions({ tenant, topicPrefix: prefix }),
            },
          ]),
        },
        normalizer: { NORMALIZER_REGISTRY: registryFile },
      },
      { tenant },
    );
    try {
      const messages = families.length * 4;
      const simulator = await startWorker(
        "simulator",
        { MQTT_URL: servers.mqttUrl, SIM_RATE: "20", SIM_COUNT: String(messages), SIM_SEED: "3", ...fleet },
        { waitForStart: false },
      );
      expect((await simulator.exited).code).toBe(0);

      const seen = new Map<string, string>();
      const deadline = Date.now() + 60_000;
      while (seen.size < devices.length && Date.now() < deadline) {
        const rows = await pipeline.query(
          `SELECT count(*) FROM ${measurements.map(quoteIdentifier).join(",")} GROUP BY "device", "district"`,
        );
        for (const row of rows) seen.set(String(row.device), String(row.district));
        if (seen.size < devices.length) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(devices.map((d) => [d.id, d.district])));

      const metrics = await (await fetch(`${pipeline.workers.normalizer.opsUrl}/metrics`)).text();
      expect(metrics).not.toMatch(/stadtfluss_dead_letters_total\{[^}]*\} [1-9]/);
    } finally {
      await pipeline.stop();
    }
  });

  it("the household meters' voltage, frequency, power quality and meter serials arrive under observation v2", async () => {
    const prefix = uniqueName("meters");
    const tenant = uniqueName("t");
    const fleet = {
      SIM_TENANT: tenant,
      SIM_TOPIC_PREFIX: prefix,
      ...Object.fromEntries(
        families.map((f) => [f, f === "SIM_DSMR_METERS" || f === "SIM_TASMOTA_METERS" ? "1" : "0"]),
      ),
    };
    const { registryFile, devices } = fleetRegistry(fleet);
    const idOf = (prefix: string) => devices.find((d) => d.id.startsWith(prefix))?.id ?? "";
    const [dsmr, tasmota] = [idOf("dsmr-"), idOf("tasmota-")];
    const pipeline = await startPipeline(
      servers,
      {
        bridge: {
          MQTT_SOURCES: JSON.stringify([
            {
              id: "city",
              url: servers.mqttUrl,
              clientId: `${prefix}-bridge`,
              subscriptions: mqttSubscriptions({ tenant, topicPrefix: prefix }),
            },
          ]),
        },
        normalizer: { NORMALIZER_REGISTRY: registryFile, NORMALIZER_OBSERVATION_VERSION: "4" },
      },
      { tenant },
    );
    try {
      const simulator = await startWorker(
        "simulator",
        { MQTT_URL: servers.mqttUrl, SIM_RATE: "20", SIM_COUNT: "6", SIM_SEED: "5", ...fleet },
        { waitForStart: false },
      );
      expect((await simulator.exited).code).toBe(0);
      // Every simulated message holds active power: 6 points once all are stored.
      expect(await pipeline.waitForCount('SELECT count("active_power") AS n FROM "energy"', 6)).toBe(6);

      const rows = await pipeline.query('SELECT * FROM "energy" GROUP BY "device"');
      const of = (device: string) => rows.filter((row) => row.device === device);
      // The devices take turns, each at most once a second: both have sent, together all six.
      expect(of(dsmr).length).toBeGreaterThan(0);
      expect(of(tasmota).length).toBeGreaterThan(0);
      expect(of(dsmr).length + of(tasmota).length).toBe(6);
      for (const row of of(dsmr)) {
        expect(row.meter_serial).toMatch(/^E\d+$/);
        for (const counter of ["power_failures", "long_power_failures", "voltage_sags_l1", "voltage_swells_l3"])
          expect(Number.isInteger(row[counter]), counter).toBe(true);
        expect(row.power_failure_log_entries).toBe(row.long_power_failures);
        expect(row.voltage_l1).toBeGreaterThan(200);
      }
      for (const row of of(tasmota)) {
        expect(row.meter_serial).toMatch(/^0a01[0-9a-f]{16}$/);
        expect(row.frequency).toBeGreaterThan(49.9);
        expect(row.frequency).toBeLessThan(50.1);
        expect(row.voltage_l2).toBeGreaterThan(200);
      }
      // One meter behind each device id during the run: a second serial would be an exchange.
      expect(new Set(of(dsmr).map((row) => row.meter_serial)).size).toBe(1);
      expect(new Set(of(tasmota).map((row) => row.meter_serial)).size).toBe(1);
      const gas = await pipeline.query(`SELECT "volume", "meter_serial" FROM "gas" WHERE "device" = '${dsmr}'`);
      expect(gas.length).toBeGreaterThan(0);
      for (const row of gas) expect(row.meter_serial).toMatch(/^G\d+$/);

      const metrics = await (await fetch(`${pipeline.workers.normalizer.opsUrl}/metrics`)).text();
      expect(metrics).not.toMatch(/stadtfluss_dead_letters_total\{[^}]*\} [1-9]/);
    } finally {
      await pipeline.stop();
    }
  });
});
