/**
 * The settings of an mqtt-bridge reading one test's topics: one source `city`
 * with a client id and topic prefix of the test's own, stadtfluss-json unless the
 * subscriptions say otherwise. `source` overrides or adds fields of the source.
 */
export function bridgeEnvironment(options: {
  readonly id: string;
  readonly kafkaBrokers: readonly string[];
  readonly mqttUrl: string;
  readonly subscriptions?: ReadonlyArray<{ readonly topic: string; readonly format: string }>;
  readonly source?: Readonly<Record<string, unknown>>;
}): Record<string, string> {
  const { id } = options;
  return {
    KAFKA_BROKERS: options.kafkaBrokers.join(","),
    KAFKA_TOPIC_PREFIX: `${id}.`,
    MQTT_SOURCES: JSON.stringify([
      {
        id: "city",
        url: options.mqttUrl,
        clientId: `${id}-bridge`,
        subscriptions: options.subscriptions ?? [{ topic: `${id}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
        ...options.source,
      },
    ]),
  };
}
