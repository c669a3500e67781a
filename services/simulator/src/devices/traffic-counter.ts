import { localTime, peaks } from "./daily-profile.ts";
import type { SimulatedDevice } from "./device.ts";

/**
 * An induction-loop counter: vehicles per interval with weekday peaks around
 * 07:30 and 17:00 and a flatter, later weekend curve; speed drops as traffic rises.
 */
export function trafficCounter(id: string, size: number): SimulatedDevice {
  return {
    id,
    next(at, random) {
      const { hour, weekend } = localTime(at);
      const rate = weekend
        ? peaks(hour, 2, [[13, 3.5, 18]])
        : peaks(hour, 2, [
            [7.5, 1.2, 40],
            [17, 1.8, 35],
            [12.5, 2.5, 12],
          ]);
      const vehicles = Math.max(0, Math.round(rate * size * (0.8 + 0.4 * random())));
      const speed = Math.max(8, 52 - vehicles / (2 * size) + 6 * (random() - 0.5));
      return [
        { kind: "traffic.vehicle_count", value: vehicles, unit: "{vehicle}" },
        { kind: "traffic.average_speed", value: Math.round(speed * 10) / 10, unit: "km/h" },
      ];
    },
  };
}
