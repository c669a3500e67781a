import { rfc3339Nanos } from "./rfc3339-nanos.ts";

export interface ChirpstackDeviceInfo {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly applicationId: string;
  readonly applicationName: string;
  readonly deviceProfileId: string;
  readonly deviceProfileName: string;
  readonly deviceName: string;
  /** Lower-case hex, as ChirpStack prints EUIs. */
  readonly devEui: string;
}

export interface ChirpstackRxInfo {
  /** The gateway's EUI, lower-case hex. */
  readonly gatewayId: string;
  readonly uplinkId: number;
  readonly gwTime: Date;
  readonly nsTime: Date;
  readonly nsTimeNanos: number;
  readonly rssi: number;
  readonly snr: number;
  readonly channel: number;
  readonly context: string;
}

export interface ChirpstackUplink {
  readonly deduplicationId: string;
  readonly time: Date;
  readonly timeNanos: number;
  readonly deviceInfo: ChirpstackDeviceInfo;
  readonly devAddr: string;
  readonly dr: number;
  readonly fCnt: number;
  readonly fPort: number;
  readonly data: Uint8Array;
  readonly object: Readonly<Record<string, unknown>>;
  readonly rxInfo: readonly ChirpstackRxInfo[];
  readonly frequency: number;
  readonly spreadingFactor: number;
}

/**
 * An `up` event of ChirpStack v4's MQTT integration with the JSON marshaler
 * (`application/{applicationId}/device/{devEui}/event/up`), in the shape of the
 * documentation's "Event types" example and of current servers, which also
 * print `fCnt` 0 and `confirmed` false.
 */
export function chirpstackUplinkEvent(event: ChirpstackUplink): string {
  return JSON.stringify({
    deduplicationId: event.deduplicationId,
    time: rfc3339Nanos(event.time, event.timeNanos, "+00:00"),
    deviceInfo: { ...event.deviceInfo, deviceClassEnabled: "CLASS_A", tags: {} },
    devAddr: event.devAddr,
    adr: true,
    dr: event.dr,
    fCnt: event.fCnt,
    fPort: event.fPort,
    confirmed: false,
    data: Buffer.from(event.data).toString("base64"),
    object: event.object,
    rxInfo: event.rxInfo.map((rx) => ({
      gatewayId: rx.gatewayId,
      uplinkId: rx.uplinkId,
      gwTime: rx.gwTime.toISOString().replace("Z", "+00:00"),
      nsTime: rfc3339Nanos(rx.nsTime, rx.nsTimeNanos, "+00:00"),
      rssi: rx.rssi,
      snr: rx.snr,
      channel: rx.channel,
      context: rx.context,
      metadata: { region_config_id: "eu868", region_common_name: "EU868" },
      crcStatus: "CRC_OK",
    })),
    txInfo: {
      frequency: event.frequency,
      modulation: { lora: { bandwidth: 125_000, spreadingFactor: event.spreadingFactor, codeRate: "CR_4_5" } },
    },
    regionConfigId: "eu868",
  });
}
