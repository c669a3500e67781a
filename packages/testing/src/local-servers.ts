import { type InfluxServer, startInfluxDB } from "./influxdb.ts";
import { type KafkaBroker, startKafkaBroker } from "./kafka-broker.ts";
import { type MosquittoServer, startMosquitto } from "./mosquitto.ts";
import { startTogether } from "./start-together.ts";

export interface LocalServers {
  readonly mosquitto: MosquittoServer;
  readonly kafka: KafkaBroker;
  readonly influx: InfluxServer;
  readonly addresses: LocalServerAddresses;
  stop(): Promise<void>;
}

/** What tests receive from the global set-up: plain connection settings. */
export interface LocalServerAddresses {
  readonly mqttUrl: string;
  readonly kafkaBrokers: string[];
  readonly influxUrl: string;
}

/** Mosquitto, the Kafka-protocol broker and InfluxDB, each on free loopback ports. */
export async function startLocalServers(
  options: {
    mqttPort?: number;
    influxPort?: number;
    queues?: "default" | "stadtfluss";
    /** Password and ACL files for Mosquitto: anonymous clients are refused. */
    mqttAuth?: { passwordFile: string; aclFile: string };
  } = {},
): Promise<LocalServers> {
  const [mosquitto, kafka, influx] = await startTogether([
    startMosquitto({
      ...(options.mqttPort === undefined ? {} : { port: options.mqttPort }),
      ...(options.queues ? { queues: options.queues } : {}),
      ...(options.mqttAuth ? { auth: options.mqttAuth } : {}),
    }),
    startKafkaBroker(),
    startInfluxDB(options.influxPort === undefined ? {} : { port: options.influxPort }),
  ]);
  return {
    mosquitto,
    kafka,
    influx,
    addresses: { mqttUrl: mosquitto.url, kafkaBrokers: kafka.brokers, influxUrl: influx.url },
    async stop() {
      await Promise.allSettled([mosquitto.stop(), kafka.stop(), influx.stop()]);
    },
  };
}
