import type { ChirpstackDeviceInfo } from "../formats/chirpstack-v4.ts";
import { chirpstackUplink } from "../lorawan/chirpstack-uplink.ts";
import type { LorawanEndDevice } from "../lorawan/end-device.ts";
import { normal } from "../random.ts";
import type { SimulatedDevice } from "./device.ts";

export interface GaugeSite {
  /** cm above the gauge zero in an average month. */
  readonly meanLevel: number;
  /** How strongly the level swings with the seasons and with rain, cm. */
  readonly range: number;
  /** Days since the battery was changed. */
  readonly batteryAgeDays: number;
}

const DAY_MS = 86_400_000;
const wave = (days: number, period: number, phase: number) => Math.sin((2 * Math.PI * days) / period + phase);

/** The level at a site: high water after snowmelt in March/April, low in late summer, rain events in between. */
export function waterLevel(site: GaugeSite, at: Date): number {
  const days = at.getTime() / DAY_MS;
  const yearStart = Date.UTC(at.getUTCFullYear(), 0, 1);
  const dayOfYear = (at.getTime() - yearStart) / DAY_MS;
  const seasonal = Math.cos((2 * Math.PI * (dayOfYear - 90)) / 365.25);
  const rain = Math.max(0, wave(days, 9.3, 0.8)) ** 3 + 0.6 * Math.max(0, wave(days, 4.1, 2.2)) ** 4;
  return Math.max(5, site.meanLevel + site.range * (0.35 * seasonal + 0.6 * rain - 0.2));
}

/**
 * An ultrasonic river gauge on a bridge, on ChirpStack: payload on port 2 is
 * the level in cm (uint16) and the battery in % (uint8), big-endian. Waves
 * move the reading by a centimetre or so; the battery lasts about five years.
 */
export function waterGauge(
  info: ChirpstackDeviceInfo,
  radio: LorawanEndDevice,
  site: GaugeSite,
  startedAt: Date,
): SimulatedDevice {
  return {
    resolutionMs: 1000,
    next(at, random) {
      const level = Math.round(waterLevel(site, at) + normal(random));
      const ageDays = site.batteryAgeDays + (at.getTime() - startedAt.getTime()) / DAY_MS;
      const battery = Math.max(1, Math.round(100 - ageDays / 18));
      const bytes = Uint8Array.of(level >> 8, level & 0xff, battery);
      return chirpstackUplink(
        { info, devAddr: radio.devAddr },
        radio.uplink(at, bytes.length, random),
        { fPort: 2, bytes, decoded: { waterLevel: level, battery } },
        at,
        random,
      );
    },
  };
}
