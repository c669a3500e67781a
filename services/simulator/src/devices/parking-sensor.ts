import { dayType } from "../calendar/day-type.ts";
import { hourOfDay, localTime } from "../calendar/local-time.ts";
import type { LorawanEndDevice } from "../lorawan/end-device.ts";
import { type ThingsStackDevice, thingsStackUplink } from "../lorawan/things-stack-uplink.ts";
import type { SimulatedDevice } from "./device.ts";
import { peaks } from "./traffic-rhythm.ts";

/** Where a bay lies decides when it is taken. */
export type ParkingArea = "centre" | "residential";

/** Share of time a bay is occupied, by hour and day type. */
export function occupancy(area: ParkingArea, at: Date): number {
  const local = localTime(at);
  const hour = hourOfDay(local);
  const day = dayType(local);
  if (area === "residential")
    // Full overnight, emptier while people are at work.
    return day === "workday" ? 0.9 - peaks(hour, 0, [[12.5, 3.2, 0.45]]) : 0.85 - peaks(hour, 0, [[15, 3, 0.2]]);
  if (day === "sunday") return peaks(hour, 0.15, [[15, 3, 0.35]]);
  if (day === "saturday") return peaks(hour, 0.12, [[13, 2.6, 0.8]]);
  return peaks(hour, 0.1, [
    [10.5, 2.2, 0.75],
    [15.5, 2.2, 0.65],
  ]);
}

/** A bay is left after 1.5 h on average. */
const DEPARTURE_PER_HOUR = 1 / 1.5;

/**
 * A magnetometer in a parking bay (The Things Stack, decoded by the
 * application's payload formatter): payload byte 0 is 1 when a car stands on
 * it, bytes 1-2 the battery in mV (big-endian), on port 1. The bay is a
 * two-state Markov chain whose stationary share follows `occupancy`; the
 * lithium cell sags slowly from 3.6 V.
 */
export function parkingSensor(
  ids: ThingsStackDevice,
  radio: LorawanEndDevice,
  area: ParkingArea,
  traits: () => number,
): SimulatedDevice {
  let occupied = traits() < 0.5;
  let last: number | undefined;
  const batteryMv = 3600 - Math.floor(traits() * 60);
  return {
    resolutionMs: 1000,
    next(at, random) {
      const t = at.getTime();
      if (last !== undefined) {
        const p = Math.min(0.98, Math.max(0.02, occupancy(area, at)));
        const relax = Math.exp(-((DEPARTURE_PER_HOUR / (1 - p)) * (t - last)) / 3_600_000);
        const pOccupied = p + ((occupied ? 1 : 0) - p) * relax;
        occupied = random() < pOccupied;
      }
      last = t;
      const millivolts = batteryMv - Math.floor(random() * 3) * 10;
      const bytes = Uint8Array.of(occupied ? 1 : 0, millivolts >> 8, millivolts & 0xff);
      return thingsStackUplink(
        ids,
        radio.uplink(at, bytes.length, random),
        { fPort: 1, bytes, decoded: { occupied, battery: millivolts / 1000 } },
        at,
        random,
      );
    },
  };
}
