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
  /** The meter's SML server id (OBIS 96.1.0) as Tasmota prints it under `@#`: hex. */
  readonly meterId?: string;
  /** Per phase L1, L2, L3: V (32.7.0 ...), A (31.7.0 ...) and W (36.7.0 ...), as an mME shows them after its PIN. */
  readonly phases?: readonly { readonly voltage: number; readonly current: number; readonly power: number }[];
  /** Hz, OBIS 14.7.0 */
  readonly frequency?: number;
}

/**
 * Tasmota's `tele/<topic>/SENSOR` JSON with the SML descriptor evcc documents:
 * `{"Time":"2026-11-25T08:30:00","SML":{"Total_in":3878.8224,"Total_out":0.0000,"Power_curr":290}}`,
 * and where given the names of the Tasmota documentation's scripts for
 * three-phase meters: `Meter_id`, `Voltage_L1` ..., `Current_L1` ...,
 * `Power_L1` ..., `Frequency`. `Time` is the device's local time without an
 * offset; Tasmota prints each value with the decimals its script line names
 * (4, 4 and 0; 1, 2, 0 and 2 per phase), so the JSON is written by hand to keep `0.0000`.
 */
export function tasmotaSml(reading: TasmotaSmlReading, timeZone?: string): string {
  const time = localIsoWithoutOffset(localTime(reading.time, timeZone));
  const fields = [
    `"Total_in":${reading.totalIn.toFixed(4)}`,
    `"Total_out":${reading.totalOut.toFixed(4)}`,
    `"Power_curr":${Math.round(reading.powerCurrent)}`,
    ...(reading.meterId === undefined ? [] : [`"Meter_id":${JSON.stringify(reading.meterId)}`]),
    ...(reading.phases ?? []).flatMap((p, i) => [
      `"Voltage_L${i + 1}":${p.voltage.toFixed(1)}`,
      `"Current_L${i + 1}":${p.current.toFixed(2)}`,
      `"Power_L${i + 1}":${Math.round(p.power)}`,
    ]),
    ...(reading.frequency === undefined ? [] : [`"Frequency":${reading.frequency.toFixed(2)}`]),
  ];
  return `{"Time":"${time}","SML":{${fields.join(",")}}}`;
}
