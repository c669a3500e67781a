import { p1Telegram } from "../formats/dsmr-p1.ts";
import { between } from "../random.ts";
import type { SimulatedDevice } from "./device.ts";
import type { gasMeter } from "./gas-load.ts";
import type { HouseholdLoad } from "./household-load.ts";

export interface DsmrMeterIdentity {
  /** Manufacturer and model as the telegram's first line names them. */
  readonly identification: string;
  readonly equipmentId: string;
  readonly gasEquipmentId: string;
}

/** What the meter counted before the run: its power-quality registers and its log of long failures. */
export interface DsmrPowerQuality {
  readonly shortFailures: number;
  /** Logged long failures, oldest first: ended this many days before the first telegram, lasting this long. */
  readonly longFailures: readonly { readonly daysBefore: number; readonly durationS: number }[];
  readonly voltageSags: readonly [number, number, number];
  readonly voltageSwells: readonly [number, number, number];
}

/** A meter's history, from its own generator so that it is the same in every run. */
export function dsmrPowerQuality(random: () => number): DsmrPowerQuality {
  const count = (max: number) => Math.floor(random() * (max + 1));
  const longFailures = Array.from({ length: count(3) }, () => ({
    daysBefore: between(random, 1, 400),
    durationS: Math.round(between(random, 180, 14_400)),
  })).sort((a, b) => b.daysBefore - a.daysBefore);
  return {
    shortFailures: count(12),
    longFailures,
    voltageSags: [count(6), count(6), count(6)],
    voltageSwells: [count(3), count(3), count(3)],
  };
}

/** Per telegram: a sag on some phase now and then, a swell more rarely (a few a day per meter at the default rate). */
const SAG_CHANCE = 1 / 2_000;
const SWELL_CHANCE = 1 / 5_000;

/**
 * A DSMR 5.0.2 smart meter whose P1 port a reader publishes raw, one telegram
 * per message (DSMR 5 writes one every second; the reader forwards a few):
 * two-rate import registers, per-phase power, voltage and current, the gas
 * meter's 5-minute capture, and the power-quality registers: failure counters,
 * the failure log, and sag and swell counters that rise now and then. No
 * feed-in: the export registers stay 0.
 */
export function dsmrMeter(
  identity: DsmrMeterIdentity,
  load: HouseholdLoad,
  gas: ReturnType<typeof gasMeter>,
  history: DsmrPowerQuality,
  /** The equipment id it sends at `at`: another after an exchange (meter-faults.ts). */
  equipmentIdAt: (at: Date) => string = () => identity.equipmentId,
): SimulatedDevice {
  const sags = [...history.voltageSags] as [number, number, number];
  const swells = [...history.voltageSwells] as [number, number, number];
  let powerFailureLog: { endedAt: Date; durationS: number }[] | undefined;
  return {
    resolutionMs: 1000,
    next(at, random) {
      const reading = load.read(at, random);
      // Relative to the first telegram, so that the log lies before the run whenever it starts.
      powerFailureLog ??= history.longFailures.map(({ daysBefore, durationS }) => ({
        endedAt: new Date(Math.floor((at.getTime() - daysBefore * 86_400_000) / 1000) * 1000),
        durationS,
      }));
      const event = random();
      const phase = Math.floor(random() * 3);
      if (event < SAG_CHANCE) sags[phase] = (sags[phase] ?? 0) + 1;
      else if (event < SAG_CHANCE + SWELL_CHANCE) swells[phase] = (swells[phase] ?? 0) + 1;
      const [l1, l2, l3] = [0, 1, 2].map((i) => ({
        voltage: reading.voltage[i] ?? 230,
        current: reading.current[i] ?? 0,
        powerImportKw: (reading.phasePower[i] ?? 0) / 1000,
        powerExportKw: 0,
      })) as [
        { voltage: number; current: number; powerImportKw: number; powerExportKw: number },
        { voltage: number; current: number; powerImportKw: number; powerExportKw: number },
        { voltage: number; current: number; powerImportKw: number; powerExportKw: number },
      ];
      const { capturedAt, volumeM3 } = gas.read(at, random);
      return p1Telegram({
        identification: identity.identification,
        // The meter's clock has whole seconds.
        time: new Date(Math.floor(at.getTime() / 1000) * 1000),
        equipmentId: equipmentIdAt(at),
        importKwh: [Math.floor(reading.importTariffWh[0]) / 1000, Math.floor(reading.importTariffWh[1]) / 1000],
        exportKwh: [0, 0],
        tariff: reading.tariff,
        powerImportKw: reading.power / 1000,
        powerExportKw: 0,
        powerFailures: history.shortFailures + history.longFailures.length,
        longPowerFailures: history.longFailures.length,
        powerFailureLog,
        voltageSags: [...sags],
        voltageSwells: [...swells],
        phases: [l1, l2, l3],
        gas: { equipmentId: identity.gasEquipmentId, capturedAt, volumeM3: Math.floor(volumeM3 * 1000) / 1000 },
      });
    },
  };
}
