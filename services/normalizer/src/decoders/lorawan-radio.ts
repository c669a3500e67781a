import type { Reading } from "../raw-record.ts";
import { stampedReading, type UplinkStamp } from "./lorawan-object.ts";

/** What each receiving gateway reports about an uplink (TTN `rx_metadata`, ChirpStack `rxInfo`). */
export interface GatewayReception {
  readonly rssi?: number | undefined;
  readonly snr?: number | undefined;
}

/**
 * Appends `radio.rssi` and `radio.snr` at the best gateway. Each is the best
 * over all gateways on its own (they may come from different ones): what
 * matters for coverage planning is whether any gateway hears the device well.
 */
export function appendRadioReadings(
  receptions: readonly GatewayReception[] | undefined,
  stamp: UplinkStamp,
  readings: Reading[],
): void {
  if (!receptions) return;
  let rssi = Number.NEGATIVE_INFINITY;
  let snr = Number.NEGATIVE_INFINITY;
  for (const reception of receptions) {
    if (reception.rssi !== undefined && reception.rssi > rssi) rssi = reception.rssi;
    if (reception.snr !== undefined && reception.snr > snr) snr = reception.snr;
  }
  if (rssi !== Number.NEGATIVE_INFINITY) readings.push(stampedReading("radio.rssi", rssi, "dBm", stamp));
  if (snr !== Number.NEGATIVE_INFINITY) readings.push(stampedReading("radio.snr", snr, "dB", stamp));
}
