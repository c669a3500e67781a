import { tasmotaSml } from "../formats/tasmota-sml.ts";
import type { SimulatedDevice } from "./device.ts";
import type { HouseholdLoad } from "./household-load.ts";

/** A modern German meter (mME) read through its optical SML port by a Tasmota IR head. */
export function tasmotaMeter(load: HouseholdLoad): SimulatedDevice {
  return {
    resolutionMs: 1000,
    next(at, random) {
      const reading = load.read(at, random);
      return tasmotaSml({
        time: at,
        totalIn: Math.floor(reading.importWh * 10) / 10_000,
        totalOut: 0,
        powerCurrent: reading.power,
      });
    },
  };
}
