import { type ChirpstackDeviceInfo, chirpstackUplinkEvent } from "../formats/chirpstack-v4.ts";
import { randomBytes, randomUuid } from "../random.ts";
import type { Uplink } from "./end-device.ts";

/** What ChirpStack adds to an uplink (deduplication id, uplink ids, gateway context), as an `up` event. */
export function chirpstackUplink(
  device: { readonly info: ChirpstackDeviceInfo; readonly devAddr: string },
  uplink: Uplink,
  payload: { readonly fPort: number; readonly bytes: Uint8Array; readonly decoded: Record<string, unknown> },
  at: Date,
  random: () => number,
): string {
  return chirpstackUplinkEvent({
    deduplicationId: randomUuid(random),
    // ChirpStack stamps the event when deduplication ends.
    time: at,
    timeNanos: random() * 1e6,
    deviceInfo: device.info,
    devAddr: device.devAddr.toLowerCase(),
    dr: uplink.dataRate,
    fCnt: uplink.fCnt,
    fPort: payload.fPort,
    data: payload.bytes,
    object: payload.decoded,
    rxInfo: uplink.receptions.map((reception) => ({
      gatewayId: reception.gateway.eui.toLowerCase(),
      uplinkId: Math.floor(random() * 2 ** 32),
      gwTime: reception.time,
      nsTime: uplink.networkReceivedAt,
      nsTimeNanos: random() * 1e6,
      rssi: reception.rssi,
      snr: reception.snr,
      channel: uplink.channelIndex,
      context: Buffer.from(randomBytes(random, 4)).toString("base64"),
    })),
    frequency: uplink.frequency,
    spreadingFactor: uplink.spreadingFactor,
  });
}
