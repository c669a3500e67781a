import { p1Telegram } from "../formats/dsmr-p1.ts";
import type { SimulatedDevice } from "./device.ts";
import type { gasMeter } from "./gas-load.ts";
import type { HouseholdLoad } from "./household-load.ts";

export interface DsmrMeterIdentity {
  /** Manufacturer and model as the telegram's first line names them. */
  readonly identification: string;
  readonly equipmentId: string;
  readonly gasEquipmentId: string;
}

/**
 * A DSMR 5.0.2 smart meter whose P1 port a reader publishes raw, one telegram
 * per message (DSMR 5 writes one every second; the reader forwards a few):
 * two-rate import registers, per-phase power, voltage and current, and the gas
 * meter's 5-minute capture. No feed-in: the export registers stay 0.
 */
export function dsmrMeter(
  identity: DsmrMeterIdentity,
  load: HouseholdLoad,
  gas: ReturnType<typeof gasMeter>,
): SimulatedDevice {
  return {
    resolutionMs: 1000,
    next(at, random) {
      const reading = load.read(at, random);
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
        equipmentId: identity.equipmentId,
        importKwh: [Math.floor(reading.importTariffWh[0]) / 1000, Math.floor(reading.importTariffWh[1]) / 1000],
        exportKwh: [0, 0],
        tariff: reading.tariff,
        powerImportKw: reading.power / 1000,
        powerExportKw: 0,
        powerFailures: 3,
        longPowerFailures: 1,
        voltageSags: [0, 0, 0],
        voltageSwells: [0, 0, 0],
        phases: [l1, l2, l3],
        gas: { equipmentId: identity.gasEquipmentId, capturedAt, volumeM3: Math.floor(volumeM3 * 1000) / 1000 },
      });
    },
  };
}
