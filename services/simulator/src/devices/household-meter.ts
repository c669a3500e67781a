import { localTime, peaks } from "./daily-profile.ts";
import type { SimulatedDevice } from "./device.ts";

/**
 * A household smart meter: power follows a morning and a larger evening peak
 * (the shape of a household load profile), and the import register only rises.
 */
export function householdMeter(id: string, annualKWh: number, random: () => number): SimulatedDevice {
  let registerWh = Math.round(random() * annualKWh * 3_000);
  let last: Date | undefined;
  return {
    id,
    next(at, rnd) {
      const { hour, weekend } = localTime(at);
      const shape = peaks(hour, 0.25, [
        [weekend ? 9.5 : 7, 1.2, 0.35],
        [12.5, 1.5, weekend ? 0.45 : 0.25],
        [19, 2, 0.7],
      ]);
      // Scaled so that the day's mean matches the annual consumption.
      const watts = Math.max(40, ((shape * annualKWh * 1000) / (8760 * 0.55)) * (0.85 + 0.3 * rnd()));
      const hours = last ? Math.max(0, (at.getTime() - last.getTime()) / 3_600_000) : 0;
      last = at;
      registerWh += Math.round(watts * hours);
      return [
        { kind: "energy.active_import", value: registerWh, unit: "Wh" },
        { kind: "energy.active_power", value: Math.round(watts), unit: "W" },
      ];
    },
  };
}
