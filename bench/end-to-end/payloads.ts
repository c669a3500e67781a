import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadDeviceName, numberedPayload } from "@stadtfluss/testing";

/**
 * What the load generator publishes: `stadtfluss-json`, the platform's own format
 * (one reading), or `generic-json`, a third-party device's own JSON read through
 * a registered device type: three fields in two measurements (traffic: vehicle
 * count and average speed; air: PM10), as testdata/generic-json/traffic-air-epoch-millis.
 */
export type PayloadName = "stadtfluss-json" | "generic-json";
export const PAYLOADS: readonly PayloadName[] = ["stadtfluss-json", "generic-json"];

/** The payload of a device's message `seq` published at `time` (epoch ms). */
export function payloadOf(name: PayloadName): (seq: number, time: number) => string {
  if (name === "stadtfluss-json") return numberedPayload;
  // The device id in the payload is not read (the topic names the device), only carried, as such devices do.
  return (seq, time) =>
    `{"deviceId":"dev-0042","seq":${seq},"ts":${time},"vehicles":${seq % 50},"speed":${(seq % 90) + 0.5},"pm10":${(seq % 40) + 0.3}}`;
}

/** The device type of the generic-json payload. */
const DEVICE_TYPE = [
  "  - id: traffic-air-counter",
  "    timePath: ts",
  "    seqPath: seq",
  "    fields:",
  '      - { path: vehicles, kind: traffic.vehicle_count, unit: "{vehicle}" }',
  "      - { path: speed, kind: traffic.average_speed, unit: km/h }",
  "      - { path: pm10, kind: air.pm10, unit: ug/m3 }",
];

/**
 * A registry file (NORMALIZER_REGISTRY) declaring each tenant's load devices
 * (`loadDeviceName`) of the generic-json device type, public, without location.
 */
export function registryFile(devicesPerTenant: ReadonlyMap<string, number>): string {
  const file = join(mkdtempSync(join(tmpdir(), "sf-bench-registry-")), "registry.yaml");
  const tenants = [...devicesPerTenant.keys()];
  writeFileSync(
    file,
    [
      "tenants:",
      ...tenants.map((tenant) => `  - { id: ${tenant}, name: ${tenant}, kind: municipality }`),
      "deviceTypes:",
      ...DEVICE_TYPE,
      "devices:",
      ...[...devicesPerTenant].flatMap(([tenant, count]) =>
        Array.from(
          { length: count },
          (_, i) => `  - { id: ${loadDeviceName(i)}, tenant: ${tenant}, type: traffic-air-counter, privacy: public }`,
        ),
      ),
      "",
    ].join("\n"),
  );
  return file;
}

/**
 * The Node-RED function for a payload: the same points as Stadtfluss writes
 * (tags tenant and device; the generic payload as two points, traffic and air).
 */
export function nodeRedFunction(name: PayloadName): string {
  if (name === "stadtfluss-json")
    return `
const [, tenant, device] = msg.topic.split("/");
const p = msg.payload;
const r = p.readings[0];
msg.payload = {
  measurement: "traffic",
  tags: { tenant, device },
  fields: { vehicle_count: r.value, seq: p.seq },
  timestamp: new Date(p.time),
};
return msg;`;
  return `
const [, tenant, device] = msg.topic.split("/");
const p = msg.payload;
const timestamp = new Date(p.ts);
const tags = { tenant, device };
return [[
  { payload: { measurement: "traffic", tags, fields: { vehicle_count: p.vehicles, average_speed: p.speed, seq: p.seq }, timestamp } },
  { payload: { measurement: "air", tags, fields: { pm10: p.pm10, seq: p.seq }, timestamp } },
]];`;
}
