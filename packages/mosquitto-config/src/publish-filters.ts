import { parseTopicPattern } from "@stadtfluss/mqtt-bridge/topic-pattern";
import { checkTopicFilter } from "./mqtt-accounts.ts";

/** What the publish filters are derived from: a registered device, with what is known of its topic. */
export interface DeviceTopicHint {
  readonly id: string;
  readonly tenant: string;
  /** The normalizer's payload format id; stadtfluss-json when absent. */
  readonly format?: string | undefined;
  /** The device's exact topic, where its format's default topic does not fit (ttn-v3 names its application). */
  readonly topic?: string | undefined;
}

/**
 * Where each format's devices publish, as the simulator's `mqttSubscriptions`
 * and `pnpm start`'s bridge configuration have them. A format whose topic names
 * the tenant gets the tenant's tree; the others get one line per device, since
 * nothing else in their topic tells one tenant's devices from another's.
 */
export const FORMAT_TOPICS: Readonly<Record<string, string>> = {
  "stadtfluss-json": "stadtfluss/{tenant}/+/up",
  "dsmr-p1": "dsmr/{device}/telegram",
  "tasmota-sml": "tele/{device}/SENSOR",
  "sensor-community": "airrohr/{device}/data",
  // The DevEUI in the topic is unique worldwide; the application id is not declared.
  "chirpstack-v4": "application/+/device/{device}/event/up",
  senml: "senml/{device}",
};

/** Every tenant's publish filters, sorted, from its devices. */
export function tenantPublishFilters(devices: Iterable<DeviceTopicHint>): Map<string, string[]> {
  const byTenant = new Map<string, Set<string>>();
  for (const device of devices) {
    const filter = checkTopicFilter(device.topic ?? deviceFilter(device));
    const filters = byTenant.get(device.tenant) ?? new Set<string>();
    filters.add(filter);
    byTenant.set(device.tenant, filters);
  }
  return new Map([...byTenant].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tenant, set]) => [tenant, [...set].sort()]));
}

/** The tenant's own tree, `stadtfluss/<tenant>/+/up`, where any of its devices may publish stadtfluss-json. */
export function tenantTree(tenant: string): string {
  return checkTopicFilter(deviceFilter({ id: "", tenant, format: "stadtfluss-json" }));
}

function deviceFilter(device: DeviceTopicHint): string {
  const format = device.format ?? "stadtfluss-json";
  const template = FORMAT_TOPICS[format];
  if (!template)
    throw new Error(
      `device ${device.tenant}/${device.id}: format ${format} has no default topic; declare the device's topic`,
    );
  for (const [name, value] of [
    ["tenant", device.tenant],
    ["device", device.id],
  ] as const) {
    // One MQTT level each: a wildcard or separator inside would widen the filter.
    if (template.includes(`{${name}}`) && (value === "" || /[/+#\s]/.test(value)))
      throw new Error(`device ${device.tenant}/${device.id}: its ${name} cannot be an MQTT topic level`);
  }
  return template.replaceAll("{tenant}", device.tenant).replaceAll("{device}", device.id);
}

/** The filters the bridge subscribes for its topic patterns (`stadtfluss/{tenant}/{device}/up` → `stadtfluss/+/+/up`). */
export function bridgeSubscribeFilters(patterns: Iterable<{ readonly topic: string }>): string[] {
  return [...new Set([...patterns].map(({ topic }) => parseTopicPattern(topic).filter))].sort();
}
