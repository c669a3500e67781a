/**
 * The device id (and, where the format defines one, the tenant) in an MQTT
 * topic, for `pnpm decode --topic`: the bridge's usual subscription for each
 * format. The ttn-v3 `@tenant` is The Things Stack's tenant (`ttn` on the
 * community network), not the municipality, so it is not taken as the tenant.
 */
const FORMAT_TOPICS: Readonly<Record<string, RegExp>> = {
  "ttn-v3": /^v3\/[^/]+@[^/]+\/devices\/(?<device>[^/]+)\/up$/,
  "chirpstack-v4": /^application\/[^/]+\/device\/(?<device>[^/]+)\/event\/up$/,
  "tasmota-sml": /^tele\/(?<device>[^/]+)\/SENSOR$/,
  "dsmr-p1": /^dsmr\/(?<device>[^/]+)\/telegram$/,
  // The first level is the deployment's prefix (`stadtfluss` by default).
  "stadtfluss-json": /^[^/]+\/(?<tenant>[^/]+)\/(?<device>[^/]+)\/up$/,
};

/** Last levels that say what kind of message it is rather than whose. */
const MESSAGE_LEVELS = new Set([
  "up",
  "uplink",
  "data",
  "event",
  "status",
  "telemetry",
  "telegram",
  "SENSOR",
  "STATE",
  "state",
]);

export interface TopicDevice {
  readonly device: string;
  readonly tenant?: string;
}

/**
 * Other formats and other topics: the last level, or the one before it when
 * the last names the kind of message (`sensors/air-0001/data` → `air-0001`).
 */
export function deviceFromTopic(format: string, topic: string): TopicDevice {
  const groups = FORMAT_TOPICS[format]?.exec(topic)?.groups;
  if (groups?.device) return { device: groups.device, ...(groups.tenant ? { tenant: groups.tenant } : {}) };
  const levels = topic.split("/").filter((level) => level !== "");
  const last = levels.at(-1) ?? topic;
  return { device: levels.length >= 2 && MESSAGE_LEVELS.has(last) ? (levels.at(-2) ?? last) : last };
}
