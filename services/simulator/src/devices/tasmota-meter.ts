import { tasmotaSml } from "../formats/tasmota-sml.ts";
import type { SimulatedDevice } from "./device.ts";
import { gridFrequency } from "./grid-frequency.ts";
import type { HouseholdLoad } from "./household-load.ts";

/**
 * A modern German meter (mME) read through its optical SML port by a Tasmota IR
 * head, its PIN entered so that it shows per-phase values: registers, power,
 * voltage, current and power per phase, the grid frequency and its server id.
 */
export function tasmotaMeter(load: HouseholdLoad, meterId: string | ((at: Date) => string)): SimulatedDevice {
  const meterIdAt = typeof meterId === "string" ? () => meterId : meterId;
  return {
    resolutionMs: 1000,
    next(at, random) {
      const reading = load.read(at, random);
      return tasmotaSml({
        time: at,
        totalIn: Math.floor(reading.importWh * 10) / 10_000,
        totalOut: 0,
        powerCurrent: reading.power,
        meterId: meterIdAt(at),
        phases: [0, 1, 2].map((i) => ({
          voltage: reading.voltage[i] ?? 230,
          current: reading.current[i] ?? 0,
          power: reading.phasePower[i] ?? 0,
        })),
        frequency: gridFrequency(at),
      });
    },
  };
}
