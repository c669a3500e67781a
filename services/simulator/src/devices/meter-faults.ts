import { parseDuration } from "@stadtfluss/config";
import type { CatalogueDevice } from "../device-catalogue.ts";
import { deviceTypes } from "../device-types.ts";
import { between, namedRandom } from "../random.ts";
import type { SimulatedDevice } from "./device.ts";
import type { HouseholdLoad, HouseholdReading } from "./household-load.ts";

/**
 * Faults of household meters, as a utility meets them in real data:
 *
 * - `reset`: the registers start again at 0 (a meter reset, or a firmware
 *   update that clears them);
 * - `exchange`: a new meter behind the same device id, with a serial number of
 *   its own and registers starting low (a few kWh from the factory test);
 * - `gap`: no messages for a while (the reader lost power or network); the
 *   meter counts on, so the first reading after it carries what was used.
 *
 * Each fault happens at an offset from the start of the simulated clock. A
 * fault that names no meter is given one drawn from the run's seed, so that a
 * run with the same `SIM_SEED` and `SIM_METER_FAULTS` repeats it exactly.
 */
export type MeterFaultKind = "reset" | "exchange" | "gap";

export interface MeterFaultSpec {
  readonly kind: MeterFaultKind;
  /** The household meter's device id; unset: drawn from the run's seed. */
  readonly device?: string;
  /** After the simulated clock's start. */
  readonly afterMs: number;
  /** How long a gap lasts (0 for the others). */
  readonly durationMs: number;
}

export interface MeterFault {
  readonly kind: MeterFaultKind;
  readonly device: string;
  /** Epoch milliseconds on the simulated clock. */
  readonly at: number;
  readonly until: number;
}

const SPEC = /^(reset|exchange|gap)(?::([^@\s]+))?@([0-9a-z]+)(?:\/([0-9a-z]+))?$/;

/**
 * `SIM_METER_FAULTS`: faults separated by commas, each `<kind>[:<device>]@<after>[/<duration>]`,
 * for example `reset@1h, exchange:tasmota-0002@2h30m, gap@40m/30m`. A gap needs its
 * duration, the others take none. Throws naming the entry that is wrong.
 */
export function parseMeterFaults(text: string): MeterFaultSpec[] {
  return text
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const match = SPEC.exec(entry);
      const afterMs = match?.[3] === undefined ? undefined : parseDuration(match[3]);
      const durationMs = match?.[4] === undefined ? 0 : parseDuration(match[4]);
      const kind = match?.[1] as MeterFaultKind | undefined;
      if (!match || kind === undefined || afterMs === undefined || durationMs === undefined)
        throw new Error(`"${entry}" is not <reset|exchange|gap>[:<device>]@<after>[/<duration>], e.g. gap@40m/30m`);
      if ((kind === "gap") !== durationMs > 0)
        throw new Error(`"${entry}": ${kind === "gap" ? "a gap needs a duration (gap@40m/30m)" : "only a gap lasts"}`);
      return { kind, ...(match[2] === undefined ? {} : { device: match[2] }), afterMs, durationMs };
    });
}

const METER_TYPES: ReadonlySet<unknown> = new Set([
  deviceTypes.householdMeter,
  deviceTypes.dsmrMeter,
  deviceTypes.tasmotaMeter,
]);

/** The household meters of a fleet (all three formats): the devices that can have meter faults. */
export function householdMeterIds(devices: readonly Pick<CatalogueDevice, "id" | "type">[]): string[] {
  return devices.filter((device) => METER_TYPES.has(device.type)).map((device) => device.id);
}

/**
 * Places the faults on the household meters of the fleet: a fault naming a
 * meter goes to it (an unknown name is an error), the others to meters drawn
 * from `seed`, different meters as long as there are enough.
 */
export function planMeterFaults(
  specs: readonly MeterFaultSpec[],
  householdMeters: readonly string[],
  seed: number,
  clockStart: number,
): MeterFault[] {
  const random = namedRandom(`meter-faults/${seed}`);
  const unused = [...householdMeters];
  return specs.map((spec) => {
    let device = spec.device;
    if (device !== undefined && !householdMeters.includes(device))
      throw new Error(`meter fault ${spec.kind}: "${device}" is not a household meter of the fleet`);
    if (device === undefined) {
      const from = unused.length > 0 ? unused : householdMeters;
      if (from.length === 0) throw new Error(`meter fault ${spec.kind}: the fleet has no household meters`);
      device = from[Math.floor(random() * from.length)] as string;
    }
    const i = unused.indexOf(device);
    if (i >= 0) unused.splice(i, 1);
    const at = clockStart + spec.afterMs;
    return { kind: spec.kind, device, at, until: at + spec.durationMs };
  });
}

/** What one meter's faults do to what it sends. */
export interface MeterFaults {
  /** The registers as the meter shows them, after the resets and exchanges so far. */
  readonly load: HouseholdLoad;
  /** The serial number the meter sends at `at`: another one after each exchange. */
  serialAt(at: Date, original: string): string;
  /** The device as it publishes: silent during a gap. */
  publishing(device: SimulatedDevice): SimulatedDevice;
}

/** The faults of one meter, `faults` filtered to it; the fault times are fixed, the rest of the run is not. */
export function meterFaults(load: HouseholdLoad, faults: readonly MeterFault[]): MeterFaults {
  if (faults.length === 0) return { load, serialAt: (_when, original) => original, publishing: (device) => device };
  const registerFaults = faults.filter((f) => f.kind !== "gap").sort((a, b) => a.at - b.at);
  const gaps = faults.filter((f) => f.kind === "gap");
  // The true registers at the last fault, and where the shown registers started from then.
  let base: readonly [number, number] = [0, 0];
  let start: readonly [number, number] = [0, 0];
  let applied = 0;

  const shown = (at: number, reading: HouseholdReading): HouseholdReading => {
    const [low, normal] = reading.importTariffWh;
    while (applied < registerFaults.length && (registerFaults[applied] as MeterFault).at <= at) {
      const fault = registerFaults[applied] as MeterFault;
      base = [low, normal];
      // A new meter left the factory with a few kWh on it; its draw is the same for every run.
      const factory = namedRandom(`${fault.device}/exchange/${fault.at}`);
      start = fault.kind === "reset" ? [0, 0] : [between(factory, 500, 3_000), between(factory, 1_000, 6_000)];
      applied++;
    }
    const tariffWh: [number, number] = [low - base[0] + start[0], normal - base[1] + start[1]];
    return { ...reading, importTariffWh: tariffWh, importWh: tariffWh[0] + tariffWh[1] };
  };
  return {
    load: {
      traits: load.traits,
      read: (when, random) => shown(when.getTime(), load.read(when, random)),
    },
    serialAt(when, original) {
      const exchanges = registerFaults.filter((f) => f.kind === "exchange" && f.at <= when.getTime()).length;
      return exchanges === 0 ? original : exchangedSerial(original, exchanges);
    },
    publishing(device) {
      if (gaps.length === 0) return device;
      return {
        resolutionMs: device.resolutionMs,
        next: (when, random) => device.next(when, random),
        silent: (when) => gaps.some((gap) => gap.at <= when.getTime() && when.getTime() < gap.until),
      };
    },
  };
}

/** Another serial of the same shape: the last six digits replaced, never the same as before. */
export function exchangedSerial(original: string, exchange: number): string {
  const random = namedRandom(`${original}/serial/${exchange}`);
  for (;;) {
    const digits = String(Math.floor(random() * 1_000_000)).padStart(6, "0");
    const serial = original.length > 6 ? `${original.slice(0, -6)}${digits}` : digits;
    if (serial !== original) return serial;
  }
}
