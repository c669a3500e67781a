import { localIsoWithoutOffset, localTime } from "../calendar/local-time.ts";

/** What Tasmota's SML driver reports for a meter read with an IR head. */
export interface TasmotaSmlReading {
  readonly time: Date;
  /** kWh, OBIS 1.8.0 */
  readonly totalIn: number;
  /** kWh, OBIS 2.8.0 */
  readonly totalOut: number;
  /** W, OBIS 16.7.0 */
  readonly powerCurrent: number;
}

/**
 * Tasmota's `tele/<topic>/SENSOR` JSON with the SML descriptor evcc documents:
 * `{"Time":"2026-11-25T08:30:00","SML":{"Total_in":3878.8224,"Total_out":0.0000,"Power_curr":290}}`.
 * `Time` is the device's local time without an offset; Tasmota prints each
 * value with the decimals its script line names (4, 4 and 0), so the JSON
 * is written by hand to keep `0.0000`.
 */
export function tasmotaSml(reading: TasmotaSmlReading, timeZone?: string): string {
  const time = localIsoWithoutOffset(localTime(reading.time, timeZone));
  return `{"Time":"${time}","SML":{"Total_in":${reading.totalIn.toFixed(4)},"Total_out":${reading.totalOut.toFixed(4)},"Power_curr":${Math.round(reading.powerCurrent)}}}`;
}
