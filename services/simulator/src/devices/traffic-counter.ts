import { localTime } from "../calendar/local-time.ts";
import { stadtflussJson } from "../formats/stadtfluss-json.ts";
import type { SimulatedDevice } from "./device.ts";
import { trafficIntensity } from "./traffic-rhythm.ts";

/**
 * An induction-loop counter (stadtfluss-json): vehicles per interval following
 * the town's traffic rhythm, scaled by the road's `lanes`; speed drops as
 * traffic rises.
 */
export function trafficCounter(lanes: number): SimulatedDevice {
  let seq = 0;
  return {
    resolutionMs: 1,
    next(at, random) {
      const rate = trafficIntensity(localTime(at));
      const vehicles = Math.max(0, Math.round(rate * lanes * (0.8 + 0.4 * random())));
      const speed = Math.max(8, 52 - vehicles / (2 * lanes) + 6 * (random() - 0.5));
      return stadtflussJson({
        seq: seq++,
        time: at,
        readings: [
          { kind: "traffic.vehicle_count", value: vehicles, unit: "{vehicle}" },
          { kind: "traffic.average_speed", value: Math.round(speed * 10) / 10, unit: "km/h" },
        ],
      });
    },
  };
}
