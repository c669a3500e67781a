import { type TtnUplink, ttnUplinkMessage } from "../formats/ttn-v3.ts";
import { randomBytes, randomUlid } from "../random.ts";
import type { Uplink } from "./end-device.ts";

/** How a device is known to The Things Stack. */
export interface ThingsStackDevice {
  readonly deviceId: string;
  readonly applicationId: string;
  readonly devEui: string;
  readonly joinEui: string;
  readonly devAddr: string;
  readonly sessionKeyId: string;
}

/**
 * What The Things Stack adds to an uplink on its way to the Application
 * Server (correlation ids, uplink tokens, concentrator timestamps), as JSON.
 */
export function thingsStackUplink(
  device: ThingsStackDevice,
  uplink: Uplink,
  payload: { readonly fPort: number; readonly bytes: Uint8Array; readonly decoded: Record<string, unknown> },
  at: Date,
  random: () => number,
): string {
  const ulid = () => randomUlid(random, at);
  const message: TtnUplink = {
    ...device,
    correlationIds: [
      `as:up:${ulid()}`,
      `gs:conn:${ulid()}`,
      `gs:up:host:${ulid()}`,
      `gs:uplink:${ulid()}`,
      `ns:uplink:${ulid()}`,
      `rpc:/ttn.lorawan.v3.GsNs/HandleUplink:${ulid()}`,
      `rpc:/ttn.lorawan.v3.NsAs/HandleUplink:${ulid()}`,
    ],
    receivedAt: at,
    receivedAtNanos: random() * 1e6,
    fPort: payload.fPort,
    fCnt: uplink.fCnt,
    frmPayload: payload.bytes,
    decodedPayload: payload.decoded,
    rxMetadata: uplink.receptions.map((reception) => ({
      gatewayId: reception.gateway.id,
      gatewayEui: reception.gateway.eui,
      time: reception.time,
      // Each concentrator counts microseconds from its own start, wrapping at 2^32.
      timestamp:
        (reception.time.getTime() * 1000 + Number.parseInt(reception.gateway.eui.slice(-4), 16) * 1e6) % 2 ** 32,
      rssi: reception.rssi,
      snr: reception.snr,
      uplinkToken: Buffer.from(randomBytes(random, 24)).toString("base64"),
      channelIndex: uplink.channelIndex,
      receivedAt: new Date(reception.time.getTime() + 5),
    })),
    spreadingFactor: uplink.spreadingFactor,
    dataRateIndex: uplink.dataRate,
    frequency: uplink.frequency,
    networkReceivedAt: uplink.networkReceivedAt,
    networkReceivedAtNanos: random() * 1e6,
    consumedAirtimeSeconds: uplink.airtimeSeconds,
  };
  return ttnUplinkMessage(message);
}
