import { between, normal, randomHex } from "../random.ts";
import { loraAirtimeSeconds } from "./airtime.ts";
import { EU868_CHANNELS, type Gateway, TOWN_GATEWAYS } from "./town-gateways.ts";

/** One gateway's reception of an uplink. */
export interface Reception {
  readonly gateway: Gateway;
  readonly rssi: number;
  readonly snr: number;
  /** When the gateway received the end of the frame. */
  readonly time: Date;
}

/** One uplink as the network saw it. */
export interface Uplink {
  readonly fCnt: number;
  readonly spreadingFactor: number;
  /** EU868 data rate index: DR5 = SF7 … DR0 = SF12. */
  readonly dataRate: number;
  readonly frequency: number;
  readonly channelIndex: number;
  readonly airtimeSeconds: number;
  /** Best gateway first. */
  readonly receptions: readonly Reception[];
  /** When the network server took the frame from the gateways. */
  readonly networkReceivedAt: Date;
}

// Demodulation floor of each spreading factor (SNR, dB).
const REQUIRED_SNR: Record<number, number> = { 7: -7.5, 8: -10, 9: -12.5, 10: -15, 11: -17.5, 12: -20 };
const NOISE_FLOOR_DBM = -117;
const ADR_MARGIN_DB = 10;

function distanceKm(a: { lat: number; lon: number }, b: { lat: number; lon: number }): number {
  const dLat = (a.lat - b.lat) * 111.2;
  const dLon = (a.lon - b.lon) * 111.2 * Math.cos((a.lat * Math.PI) / 180);
  return Math.max(0.05, Math.hypot(dLat, dLon));
}

/**
 * A LoRaWAN end device's radio side: mean signal strength at each gateway from
 * distance (rooftop gateways, urban path loss) and the device's own shadowing
 * (a parking sensor under a car hears far less than a gauge on a bridge), a
 * spreading factor chosen as ADR would, and its uplink frame counter.
 */
export function lorawanEndDevice(
  place: { readonly lat: number; readonly lon: number; readonly shadowingDb: number },
  traits: () => number,
) {
  const links = TOWN_GATEWAYS.map((gateway) => ({
    gateway,
    rssi: 14 - (110 + 30 * Math.log10(distanceKm(place, gateway))) - place.shadowingDb + 4 * normal(traits),
  })).sort((a, b) => b.rssi - a.rssi);
  const bestSnr = Math.min(10, (links[0]?.rssi ?? NOISE_FLOOR_DBM) - NOISE_FLOOR_DBM);
  const spreadingFactor = [7, 8, 9, 10, 11].find((sf) => bestSnr - (REQUIRED_SNR[sf] ?? 0) >= ADR_MARGIN_DB) ?? 12;
  const devAddr = `260B${randomHex(traits, 2).toUpperCase()}`;
  let fCnt = 0;

  return {
    devAddr,
    spreadingFactor,
    uplink(at: Date, applicationBytes: number, random: () => number): Uplink {
      const channelIndex = Math.floor(random() * EU868_CHANNELS.length);
      const networkReceivedAt = new Date(at.getTime() - Math.round(between(random, 5, 40)));
      const gatewayTime = networkReceivedAt.getTime() - Math.round(between(random, 20, 150));
      const heard = links
        .map((link) => {
          const rssi = Math.round(link.rssi + 3 * normal(random));
          const snr = Math.round(Math.min(12, rssi - NOISE_FLOOR_DBM + 1.5 * normal(random)) * 4) / 4;
          return { gateway: link.gateway, rssi, snr, time: new Date(gatewayTime + Math.round(between(random, 0, 3))) };
        })
        .filter((reception, i) => i === 0 || reception.snr >= (REQUIRED_SNR[spreadingFactor] ?? -20));
      return {
        fCnt: fCnt++,
        spreadingFactor,
        dataRate: 12 - spreadingFactor,
        frequency: EU868_CHANNELS[channelIndex] ?? 868_100_000,
        channelIndex,
        airtimeSeconds: loraAirtimeSeconds(applicationBytes, spreadingFactor),
        receptions: heard.sort((a, b) => b.snr - a.snr),
        networkReceivedAt,
      };
    },
  };
}

export type LorawanEndDevice = ReturnType<typeof lorawanEndDevice>;
