import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measurements, quoteIdentifier } from "@stadtfluss/influx";
import { mqttSubscriptions } from "@stadtfluss/simulator/device-catalogue";
import { repositoryRoot, startWorker, uniqueName } from "@stadtfluss/testing";
import { describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
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
    const dir = mkdtempSync(join(tmpdir(), "sf-formats-"));
    const registryFile = join(dir, "registry.yaml");
    const registry = execFileSync(
      process.execPath,
      [join(repositoryRoot(), "services/simulator/src/registry-file.ts")],
      {
        env: { PATH: process.env.PATH ?? "", ...fleet },
        encoding: "utf8",
      },
    );
    writeFileSync(registryFile, registry);
    const devices = (parse(registry) as { devices: { id: string; district: string }[] }).devices;
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
});
