import type { KafkaMessage } from "@stadtfluss/kafka";
import { headerString, rawHeaders, repeatedHeaderString } from "@stadtfluss/kafka";
import type { DeviceType } from "@stadtfluss/registry";
import { instantMs } from "@stadtfluss/schemas";

/** A message from the raw topic with the bridge's headers read out. */
export interface RawRecord {
  /** The device id the bridge read from the MQTT topic, if any. */
  readonly key: string | undefined;
  readonly value: Buffer;
  readonly source: string;
  readonly format: string;
  readonly tenant: string;
  readonly mqttTopic: string;
  readonly receivedAt: Date;
  /** The broker sent a retained message because the bridge subscribed: when it was measured is unknown. */
  readonly retain?: boolean;
  /** The broker sent the message again (MQTT DUP): an earlier copy may be in Kafka already. */
  readonly duplicate?: boolean;
  /** The MQTT packet identifier of a QoS 1 message, the same in every copy of it. */
  readonly packetId?: number;
}

/** Reads the bridge's headers of a raw-topic message. */
export function rawRecordOf(message: KafkaMessage): RawRecord {
  const receivedAt = headerString(message.headers, rawHeaders.receivedAt);
  const packetId = headerString(message.headers, rawHeaders.mqttPacketId);
  const record: { -readonly [K in keyof RawRecord]: RawRecord[K] } = {
    key: message.key?.toString(),
    value: message.value ?? Buffer.alloc(0),
    source: repeatedHeaderString(message.headers, rawHeaders.source) ?? "unknown",
    format: repeatedHeaderString(message.headers, rawHeaders.format) ?? "unknown",
    tenant: repeatedHeaderString(message.headers, rawHeaders.tenant) ?? "",
    mqttTopic: headerString(message.headers, rawHeaders.mqttTopic) ?? "",
    receivedAt: new Date(receivedAt ? instantMs(receivedAt) : Number(message.timestamp)),
    retain: headerString(message.headers, rawHeaders.mqttRetain) === "1",
    duplicate: headerString(message.headers, rawHeaders.mqttDup) === "1",
  };
  // Assigned, not spread: this runs for every message.
  if (packetId && /^\d{1,5}$/.test(packetId)) record.packetId = Number(packetId);
  return record;
}

/** What a decoder finds in a payload, before units, registry and validation. */
export interface Reading {
  /** Overrides the device id from the MQTT topic (some formats carry their own). */
  readonly deviceId?: string;
  readonly kind: string;
  readonly value: number;
  readonly unit: string;
  readonly observedAt: Date;
  readonly seq?: number;
  /**
   * Tells this reading apart from the device's other readings of its kind (a
   * counter's lanes), as the payload or the device type declares it: always kept.
   */
  readonly channel?: string;
  /**
   * The sensor where the format itself numbers them (an M-Bus channel, a SenML
   * sensor index): the channel only where one message holds readings of one kind
   * from several sensors, so that a device with one sensor of a kind keeps its
   * series untagged (normalize, `channelsOf`).
   */
  readonly sensor?: string;
  /**
   * The serial number the meter itself sends (DSMR 0-0:96.1.1, an SML server id),
   * where the device id comes from the topic: stored beside the reading, so that
   * a meter exchanged behind the same device id shows (observation v2 only).
   */
  readonly meterSerial?: string;
}

/** A reading a decoder is still building: optional keys are added one by one, not spread, since this runs per reading. */
export type ReadingDraft = { -readonly [K in keyof Reading]: Reading[K] };

export interface DecodeResult {
  readonly readings: Reading[];
  /**
   * Fields the payload held that map to no kind: never dropped silently, but
   * counted (a metric) and shown by `pnpm decode`, without failing the message.
   */
  readonly unmapped: string[];
}

/** What a codec's `decodeUplink(input)` receives (TTN Device Repository and ChirpStack alike). */
export interface CodecInput {
  readonly bytes: number[];
  readonly fPort: number;
  readonly recvTime?: Date;
}

export interface DecoderContext {
  /** The type of a device the registry knows; undefined without a registry or for unknown devices. */
  deviceType(deviceId: string): DeviceType | undefined;
  /** Local times without an offset are read in this IANA zone (Europe/Berlin by default). */
  readonly timeZone: string;
  /** ttn-v3: take the first gateway's time instead of the network server's `received_at`. */
  readonly useGatewayTime: boolean;
  /**
   * Runs a device type's codec in the sandbox (src/codecs/) and returns its `data`;
   * absent where none was set up (creating one loads WebAssembly, which only works asynchronously).
   */
  readonly runCodec?: (source: string, input: CodecInput) => unknown;
}

export interface Decoder {
  /** The format id used in configuration and in the `stadtfluss.format` header. */
  readonly format: string;
  /** Throws a DecodeError with the reason when the payload cannot be decoded. */
  decode(record: RawRecord, context: DecoderContext): DecodeResult;
}
