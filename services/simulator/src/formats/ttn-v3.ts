import { rfc3339Nanos } from "./rfc3339-nanos.ts";

/** One gateway's metadata of an uplink. */
export interface TtnRxMetadata {
  readonly gatewayId: string;
  readonly gatewayEui: string;
  readonly time: Date;
  /** The concentrator's free-running microsecond counter. */
  readonly timestamp: number;
  readonly rssi: number;
  readonly snr: number;
  readonly uplinkToken: string;
  readonly channelIndex: number;
  readonly receivedAt: Date;
}

export interface TtnUplink {
  readonly deviceId: string;
  readonly applicationId: string;
  /** Upper-case hex, as The Things Stack prints EUIs. */
  readonly devEui: string;
  readonly joinEui: string;
  readonly devAddr: string;
  readonly correlationIds: readonly string[];
  /** When the Application Server received it, with nanoseconds below the millisecond. */
  readonly receivedAt: Date;
  readonly receivedAtNanos: number;
  readonly sessionKeyId: string;
  readonly fPort: number;
  readonly fCnt: number;
  readonly frmPayload: Uint8Array;
  readonly decodedPayload: Readonly<Record<string, unknown>>;
  readonly rxMetadata: readonly TtnRxMetadata[];
  readonly spreadingFactor: number;
  readonly dataRateIndex: number;
  readonly frequency: number;
  readonly networkReceivedAt: Date;
  readonly networkReceivedAtNanos: number;
  readonly consumedAirtimeSeconds: number;
}

/**
 * An uplink message as The Things Stack v3 publishes it on its MQTT server
 * (`v3/{application}@{tenant}/devices/{device}/up`), in the shape of the
 * "Data Formats" documentation's uplink example. Empty fields are omitted as
 * the server omits them, so `f_cnt` 0 is absent.
 */
export function ttnUplinkMessage(uplink: TtnUplink): string {
  const first = uplink.rxMetadata[0];
  return JSON.stringify({
    end_device_ids: {
      device_id: uplink.deviceId,
      application_ids: { application_id: uplink.applicationId },
      dev_eui: uplink.devEui,
      join_eui: uplink.joinEui,
      dev_addr: uplink.devAddr,
    },
    correlation_ids: uplink.correlationIds,
    received_at: rfc3339Nanos(uplink.receivedAt, uplink.receivedAtNanos),
    uplink_message: {
      session_key_id: uplink.sessionKeyId,
      f_port: uplink.fPort,
      ...(uplink.fCnt === 0 ? {} : { f_cnt: uplink.fCnt }),
      frm_payload: Buffer.from(uplink.frmPayload).toString("base64"),
      decoded_payload: uplink.decodedPayload,
      rx_metadata: uplink.rxMetadata.map((rx) => ({
        gateway_ids: { gateway_id: rx.gatewayId, eui: rx.gatewayEui },
        time: rx.time.toISOString(),
        timestamp: rx.timestamp,
        rssi: rx.rssi,
        channel_rssi: rx.rssi,
        snr: rx.snr,
        uplink_token: rx.uplinkToken,
        ...(rx.channelIndex === 0 ? {} : { channel_index: rx.channelIndex }),
        received_at: rx.receivedAt.toISOString(),
      })),
      settings: {
        data_rate: { lora: { bandwidth: 125_000, spreading_factor: uplink.spreadingFactor, coding_rate: "4/5" } },
        ...(uplink.dataRateIndex === 0 ? {} : { data_rate_index: uplink.dataRateIndex }),
        frequency: String(uplink.frequency),
        ...(first ? { timestamp: first.timestamp, time: first.time.toISOString() } : {}),
      },
      received_at: rfc3339Nanos(uplink.networkReceivedAt, uplink.networkReceivedAtNanos),
      consumed_airtime: `${uplink.consumedAirtimeSeconds.toFixed(6)}s`,
    },
  });
}
