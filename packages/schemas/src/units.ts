import { DecodeError, excerpt } from "@stadtfluss/errors";
import { kindInfo } from "@stadtfluss/schemas";

/**
 * Spellings devices use → [UCUM unit, factor to it]. Only conversions that are
 * exact by definition; anything else is refused rather than guessed.
 */
const CONVERSIONS: Record<string, Record<string, number>> = {
  "kW.h": { "kW.h": 1, kWh: 1, "W.h": 0.001, Wh: 0.001, "MW.h": 1000, MWh: 1000 },
  kW: { kW: 1, W: 0.001, MW: 1000 },
  V: { V: 1, mV: 0.001 },
  A: { A: 1, mA: 0.001 },
  m3: { m3: 1, "m³": 1, L: 0.001, l: 0.001 },
  Cel: { Cel: 1, "°C": 1 },
  hPa: { hPa: 1, Pa: 0.01, mbar: 1, kPa: 10 },
  "ug/m3": { "ug/m3": 1, "µg/m³": 1, "ug/m³": 1, "μg/m³": 1, "µg/m3": 1 },
  "[ppm]": { "[ppm]": 1, ppm: 1 },
  "%": { "%": 1, "%RH": 1, "%EL": 1 },
  "km/h": { "km/h": 1, "m/s": 3.6 },
  cm: { cm: 1, m: 100, mm: 0.1 },
  dB: { dB: 1, dBA: 1, "dB(A)": 1 },
  "dB[mW]": { "dB[mW]": 1, dBm: 1 },
  Hz: { Hz: 1 },
  s: { s: 1, ms: 0.001, min: 60, h: 3600 },
  // SenML's unit of a ratio (RFC 8428, section 12.1).
  "1": { "1": 1, "/": 1 },
};

/** The value in its kind's canonical unit; an unknown or incompatible unit is a DecodeError. */
export function toCanonicalUnit(kind: string, value: number, unit: string): { value: number; unit: string } {
  const info = kindInfo(kind);
  if (!info) throw new DecodeError(`unknown kind "${excerpt(kind)}"`);
  if (unit === info.unit) return { value, unit };
  const factor = CONVERSIONS[info.unit]?.[unit];
  if (factor === undefined)
    throw new DecodeError(`unit "${excerpt(unit)}" cannot be converted to ${info.unit} for ${kind}`);
  // Dividing by 1000 keeps 1234 Wh at 1.234 kWh; multiplying by 0.001 would not.
  return { value: factor >= 1 ? value * factor : value / Math.round(1 / factor), unit: info.unit };
}
