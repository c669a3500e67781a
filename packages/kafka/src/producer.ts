import { errorMessage } from "@stadtfluss/errors";
import type { Kafka, Producer, ProducerBatch, ProducerRecord, RecordMetadata } from "kafkajs";
import type { Logger } from "pino";
import { hasBrokerError } from "./broker-error.ts";
import { javaCompatiblePartitioner } from "./partitioner.ts";

/**
 * Kafka no longer knows this producer's id or epoch (it expired the producer's
 * state, or another producer fenced it). Every later send of the same producer
 * gets the same answer, and kafkajs assigns a new id only to a new producer.
 */
const PRODUCER_STATE_ERRORS = new Set([
  "UNKNOWN_PRODUCER_ID",
  "INVALID_PRODUCER_EPOCH",
  "OUT_OF_ORDER_SEQUENCE_NUMBER",
]);

/** Kafka refuses this client: until an operator grants access, no send is stored. */
const ACCESS_ERRORS = new Set([
  "TOPIC_AUTHORIZATION_FAILED",
  "CLUSTER_AUTHORIZATION_FAILED",
  "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
  "SASL_AUTHENTICATION_FAILED",
  "ILLEGAL_SASL_STATE",
  "UNSUPPORTED_SASL_MECHANISM",
]);

export function needsNewProducer(error: unknown): boolean {
  return hasBrokerError(error, PRODUCER_STATE_ERRORS);
}

export function refusesAccess(error: unknown): boolean {
  if (hasBrokerError(error, ACCESS_ERRORS)) return true;
  // kafkajs reports a failed SASL handshake by its own error name, without a broker code.
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e.name === "KafkaJSSASLAuthenticationError") return true;
  }
  return false;
}

/**
 * A kafkajs producer that replaces itself when Kafka no longer knows its producer
 * id, and tells when Kafka refuses it access. The failed send still fails: the
 * caller's retry (sendUntilStored) goes through the new producer.
 */
export class RenewingProducer implements Producer {
  readonly #create: () => Producer;
  readonly #logger: Logger;
  #current: Producer;
  /** Sends under way per producer: a replaced one is disconnected once its last has settled. */
  readonly #sending = new Map<Producer, number>();
  /** Between connect() and disconnect(). */
  #connected = false;
  /** The current producer's connect, made once (again after a failure or a replacement). */
  #connecting: Promise<void> | undefined;
  #refusal: string | undefined;

  constructor(create: () => Producer, logger: Logger) {
    this.#create = create;
    this.#logger = logger;
    this.#current = create();
  }

  /** Why Kafka refuses this producer access (authorisation, SASL), until a send is stored again. */
  get refusal(): string | undefined {
    return this.#refusal;
  }

  get events(): Producer["events"] {
    return this.#current.events;
  }

  async connect(): Promise<void> {
    this.#connected = true;
    await this.#through(() => Promise.resolve());
  }

  async disconnect(): Promise<void> {
    this.#connected = false;
    this.#connecting = undefined;
    await this.#current.disconnect();
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    return this.#through((producer) => producer.send(record));
  }

  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]> {
    return this.#through((producer) => producer.sendBatch(batch));
  }

  isIdempotent(): boolean {
    return this.#current.isIdempotent();
  }

  /** Listens on the producer of the moment; a replacement does not inherit listeners. */
  on: Producer["on"] = ((eventName: Parameters<Producer["on"]>[0], listener: Parameters<Producer["on"]>[1]) =>
    this.#current.on(eventName, listener)) as Producer["on"];

  transaction(): ReturnType<Producer["transaction"]> {
    return this.#current.transaction();
  }

  logger(): ReturnType<Producer["logger"]> {
    return this.#current.logger();
  }

  async #through<T>(call: (producer: Producer) => Promise<T>): Promise<T> {
    const producer = this.#current;
    this.#sending.set(producer, (this.#sending.get(producer) ?? 0) + 1);
    try {
      if (this.#connected && producer === this.#current) {
        this.#connecting ??= producer.connect().catch((error: unknown) => {
          this.#connecting = undefined; // the next send tries again
          throw error;
        });
        await this.#connecting;
      }
      const result = await call(producer);
      if (this.#refusal !== undefined) {
        this.#logger.info({ reason: this.#refusal }, "Kafka grants access again");
        this.#refusal = undefined;
      }
      return result;
    } catch (error) {
      if (needsNewProducer(error) && producer === this.#current) this.#renew(error);
      if (refusesAccess(error)) {
        if (this.#refusal === undefined)
          this.#logger.error({ reason: errorMessage(error) }, "Kafka refuses access, not ready until it grants it");
        this.#refusal = errorMessage(error);
      }
      throw error;
    } finally {
      const left = (this.#sending.get(producer) ?? 1) - 1;
      if (left > 0) this.#sending.set(producer, left);
      else {
        this.#sending.delete(producer);
        if (producer !== this.#current) this.#retire(producer);
      }
    }
  }

  #renew(error: unknown): void {
    this.#logger.warn({ reason: errorMessage(error) }, "Kafka no longer knows this producer, replacing it");
    // The old one is retired in #through's finally, once its sends (this one included) settled.
    this.#current = this.#create();
    this.#connecting = undefined;
  }

  #retire(producer: Producer): void {
    producer.disconnect().catch((error: unknown) => {
      this.#logger.debug({ reason: errorMessage(error) }, "replaced producer did not disconnect cleanly");
    });
  }
}

/**
 * An idempotent producer (acks from all in-sync replicas) that retries without a
 * limit: kafkajs's default gives up after 5 attempts even when idempotent, and a
 * send that gives up loses its messages. Waits stay short (maxRetryTime) so that a
 * broker coming back is noticed within a second. It replaces itself when Kafka no
 * longer knows its producer id (see RenewingProducer).
 */
export function createProducer(kafka: Kafka, logger: Logger): RenewingProducer {
  return new RenewingProducer(
    () =>
      kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: true,
        // Java's murmur2 partitioner: a device lands on the same partition as with
        // any other Kafka client, which keeps its readings in order.
        createPartitioner: javaCompatiblePartitioner,
        retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1_000 },
      }),
    logger,
  );
}
