import type { MqttClient, Packet } from "mqtt";
import { FifoQueue } from "./fifo-queue.ts";

type SendPacket = (packet: Packet, callback?: (error?: Error) => void, ...rest: unknown[]) => void;
type WithSendPacket = { _sendPacket: SendPacket };

/**
 * PUBACKs sent in one go before the rest wait for the next turn of the event
 * loop: a message Kafka took long to store releases every one held behind it
 * (up to the broker's whole window), and the bridge answers /metrics meanwhile.
 */
const RELEASE_CHUNK = 5_000;

interface PendingAck {
  readonly messageId: number;
  stored: boolean;
  send?: () => void;
}

/**
 * Holds each QoS 1 PUBACK until its message is stored in Kafka, then releases
 * them in arrival order (MQTT 3.1.1 §4.6 asks for that order).
 *
 * mqtt.js handles incoming packets one at a time and sends the PUBACK when
 * `handleMessage` calls back; waiting there for Kafka would allow one message per
 * Kafka round trip. Instead `handleMessage` calls back at once and the PUBACK is
 * held here, at mqtt.js's single packet-sending method, so that many messages are
 * in flight (bounded by the broker's per-client inflight window) while none is
 * acknowledged before Kafka has it. The integration tests fail if a new mqtt.js
 * release routes PUBACKs differently.
 */
export class OrderedAcks {
  #queue = new FifoQueue<PendingAck>();
  /** Messages whose PUBACK mqtt.js has not tried to send yet, by id: the broker never reuses an id in flight. */
  #awaitingPuback = new Map<number, PendingAck>();
  #releaseLater: NodeJS.Immediate | undefined;

  constructor(client: MqttClient) {
    const target = client as unknown as WithSendPacket;
    if (typeof target._sendPacket !== "function")
      throw new Error("mqtt.js no longer has _sendPacket: review ordered-acks.ts");
    const send = target._sendPacket.bind(client);
    target._sendPacket = (packet, callback, ...rest) => {
      if (packet.cmd !== "puback") return send(packet, callback, ...rest);
      const pending = packet.messageId === undefined ? undefined : this.#awaitingPuback.get(packet.messageId);
      if (!pending) return send(packet, callback, ...rest);
      this.#awaitingPuback.delete(pending.messageId);
      pending.send = () => send(packet, undefined, ...rest);
      // Let mqtt.js read the next packet; the PUBACK itself waits for Kafka.
      callback?.();
      this.#release();
    };
  }

  /** Registers an incoming QoS 1 message; call the result once Kafka has it. */
  expect(messageId: number): () => void {
    const pending: PendingAck = { messageId, stored: false };
    this.#queue.push(pending);
    this.#awaitingPuback.set(messageId, pending);
    return () => {
      pending.stored = true;
      this.#release();
    };
  }

  /**
   * The connection is gone: its unacknowledged messages come again from the
   * broker's persistent session, so acknowledgements for the old connection are dropped.
   */
  reset(): void {
    clearImmediate(this.#releaseLater);
    this.#releaseLater = undefined;
    this.#queue.clear();
    this.#awaitingPuback.clear();
  }

  get pending(): number {
    return this.#queue.length;
  }

  #release(): void {
    if (this.#releaseLater) return;
    let sent = 0;
    for (let head = this.#queue.peek(); head?.stored && head.send; head = this.#queue.peek()) {
      if (sent++ === RELEASE_CHUNK) {
        this.#releaseLater = setImmediate(() => {
          this.#releaseLater = undefined;
          this.#release();
        });
        return;
      }
      this.#queue.shift();
      head.send();
    }
  }
}
