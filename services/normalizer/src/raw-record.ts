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
}

export interface Decoder {
  /** The format id used in configuration and in the `stadtfluss.format` header. */
  readonly format: string;
  decode(record: RawRecord): Reading[];
}
