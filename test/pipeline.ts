import { influxQL } from "@stadtfluss/influx";
import { type LocalServerAddresses, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";

/** The bridge, normalizer and writer as separate processes, isolated by unique names. */
export interface Pipeline {
  readonly topicPrefix: string;
  readonly mqttPrefix: string;
  readonly database: string;
  readonly tenant: string;
  readonly env: Record<"bridge" | "normalizer" | "writer", Record<string, string>>;
  readonly workers: Record<"bridge" | "normalizer" | "writer", WorkerProcess>;
  query(q: string): Promise<Array<Record<string, unknown>>>;
  /** Polls until the column `n` of `q`, summed over its rows, reaches `expected` or the time is up. */
  waitForCount(q: string, expected: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

export async function createInfluxDatabase(influxUrl: string, name: string): Promise<void> {
  const response = await fetch(`${influxUrl}/query`, {
    method: "POST",
    body: new URLSearchParams({ q: `CREATE DATABASE "${name}"` }),
  });
  if (!response.ok) throw new Error(`CREATE DATABASE: ${response.status} ${await response.text()}`);
}

export async function startPipeline(servers: LocalServerAddresses): Promise<Pipeline> {
  const id = uniqueName("e2e");
  const topicPrefix = `${id}.`;
  const mqttPrefix = id;
  const database = id.replaceAll("-", "_");
  const tenant = "musterstadt";
  await createInfluxDatabase(servers.influxUrl, database);

  const kafka = { KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: topicPrefix };
  const env = {
    bridge: {
      ...kafka,
      MQTT_SOURCES: JSON.stringify([
        {
          id: "city",
          url: servers.mqttUrl,
          clientId: `${id}-bridge`,
          subscriptions: [{ topic: `${mqttPrefix}/{tenant}/{device}/up`, format: "stadtfluss-json" }],
        },
      ]),
    },
    normalizer: { ...kafka, KAFKA_GROUP_ID: `${id}-normalizer` },
    writer: {
      ...kafka,
      KAFKA_GROUP_ID: `${id}-writer`,
      INFLUX_URL: servers.influxUrl,
      INFLUX_BUCKET: database,
    },
  };
  const [bridge, normalizer, writer] = await Promise.all([
    startWorker("mqtt-bridge", env.bridge),
    startWorker("normalizer", env.normalizer),
    startWorker("influx-writer", env.writer),
  ]);

  const query = async (q: string) => {
    const [series = []] = await influxQL({ url: servers.influxUrl, database }, q);
    return series.flatMap((s) =>
      s.values.map((row) => ({ ...s.tags, ...Object.fromEntries(s.columns.map((c, i) => [c, row[i]])) })),
    );
  };

  return {
    topicPrefix,
    mqttPrefix,
    database,
    tenant,
    env,
    workers: { bridge, normalizer, writer },
    query,
    async waitForCount(q, expected, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      let count = 0;
      while (Date.now() < deadline) {
        const rows = await query(q);
        count = rows.reduce((sum, row) => sum + Number(row.n ?? 0), 0);
        if (count >= expected) return count;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
      return count;
    },
    async stop() {
      await Promise.all([bridge.stop(), normalizer.stop(), writer.stop()]);
    },
  };
}
