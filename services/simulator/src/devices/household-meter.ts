import { stadtflussJson } from "../formats/stadtfluss-json.ts";
import type { SimulatedDevice } from "./device.ts";
import type { HouseholdLoad } from "./household-load.ts";

/** A household smart meter built for the platform (stadtfluss-json): import register in Wh and power in W. */
export function householdMeter(load: HouseholdLoad): SimulatedDevice {
  let seq = 0;
  return {
    resolutionMs: 1,
    next(at, random) {
      const reading = load.read(at, random);
      return stadtflussJson({
        seq: seq++,
        time: at,
        readings: [
          { kind: "energy.active_import", value: Math.floor(reading.importWh), unit: "Wh" },
          { kind: "energy.active_power", value: Math.round(reading.power), unit: "W" },
        ],
      });
    },
  };
}
