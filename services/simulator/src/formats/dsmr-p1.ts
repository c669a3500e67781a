import { type LocalTime, localTime } from "../calendar/local-time.ts";
import { crc16Arc } from "./crc16-arc.ts";

export interface P1Phase {
  readonly voltage: number;
  readonly current: number;
  readonly powerImportKw: number;
  readonly powerExportKw: number;
}

export interface PowerFailure {
  readonly endedAt: Date;
  readonly durationS: number;
}

/** What a DSMR 5.0.2 meter puts in one P1 telegram. */
export interface P1Telegram {
  /** Manufacturer and model after the `/`, e.g. `ISk5\2MT382-1000`. */
  readonly identification: string;
  readonly time: Date;
  /** The meter's serial number; the telegram carries it hex-encoded. */
  readonly equipmentId: string;
  /** kWh delivered to the household on tariff 1 (low) and tariff 2 (normal). */
  readonly importKwh: readonly [number, number];
  readonly exportKwh: readonly [number, number];
  readonly tariff: 1 | 2;
  readonly powerImportKw: number;
  readonly powerExportKw: number;
  readonly powerFailures: number;
  readonly longPowerFailures: number;
  readonly voltageSags: readonly [number, number, number];
  readonly voltageSwells: readonly [number, number, number];
  /** The long power failures the meter logs (1-0:99.97.0): when each ended and how long it lasted. */
  readonly powerFailureLog?: readonly PowerFailure[];
  readonly phases: readonly [P1Phase, P1Phase, P1Phase];
  /** The gas meter on M-Bus channel 1: its reading of the last 5-minute capture. */
  readonly gas?: { readonly equipmentId: string; readonly capturedAt: Date; readonly volumeM3: number };
}

const fixed = (value: number, decimals: number, width: number) => value.toFixed(decimals).padStart(width, "0");
const integer = (value: number, width: number) => String(Math.max(0, Math.round(value))).padStart(width, "0");
const hex = (ascii: string) => Buffer.from(ascii, "ascii").toString("hex").toUpperCase();

/** YYMMDDhhmmssX in the meter's local time, X = S in summer time, W in winter time. */
export function p1Timestamp(at: Date, timeZone?: string): string {
  const local: LocalTime = localTime(at, timeZone);
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(local.year % 100)}${two(local.month)}${two(local.day)}${two(local.hour)}${two(local.minute)}${two(local.second)}${local.summerTime ? "S" : "W"}`;
}

/** `1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)...`: count, format, then end and duration of each. */
function failureLog(log: readonly PowerFailure[], timeZone?: string): string {
  const entries = log.map((f) => `(${p1Timestamp(f.endedAt, timeZone)})(${integer(f.durationS, 10)}*s)`).join("");
  return `1-0:99.97.0(${log.length})(0-0:96.7.19)${entries}`;
}

/** The telegram's text up to and including the `!`, over which the CRC runs. */
function telegramBody(t: P1Telegram, timeZone?: string): string {
  const [l1, l2, l3] = t.phases;
  const lines = [
    `/${t.identification}`,
    "",
    "1-3:0.2.8(50)",
    `0-0:1.0.0(${p1Timestamp(t.time, timeZone)})`,
    `0-0:96.1.1(${hex(t.equipmentId)})`,
    `1-0:1.8.1(${fixed(t.importKwh[0], 3, 10)}*kWh)`,
    `1-0:1.8.2(${fixed(t.importKwh[1], 3, 10)}*kWh)`,
    `1-0:2.8.1(${fixed(t.exportKwh[0], 3, 10)}*kWh)`,
    `1-0:2.8.2(${fixed(t.exportKwh[1], 3, 10)}*kWh)`,
    `0-0:96.14.0(${integer(t.tariff, 4)})`,
    `1-0:1.7.0(${fixed(t.powerImportKw, 3, 6)}*kW)`,
    `1-0:2.7.0(${fixed(t.powerExportKw, 3, 6)}*kW)`,
    `0-0:96.7.21(${integer(t.powerFailures, 5)})`,
    `0-0:96.7.9(${integer(t.longPowerFailures, 5)})`,
    failureLog(t.powerFailureLog ?? [], timeZone),
    `1-0:32.32.0(${integer(t.voltageSags[0], 5)})`,
    `1-0:52.32.0(${integer(t.voltageSags[1], 5)})`,
    `1-0:72.32.0(${integer(t.voltageSags[2], 5)})`,
    `1-0:32.36.0(${integer(t.voltageSwells[0], 5)})`,
    `1-0:52.36.0(${integer(t.voltageSwells[1], 5)})`,
    `1-0:72.36.0(${integer(t.voltageSwells[2], 5)})`,
    "0-0:96.13.0()",
    `1-0:32.7.0(${fixed(l1.voltage, 1, 5)}*V)`,
    `1-0:52.7.0(${fixed(l2.voltage, 1, 5)}*V)`,
    `1-0:72.7.0(${fixed(l3.voltage, 1, 5)}*V)`,
    `1-0:31.7.0(${integer(l1.current, 3)}*A)`,
    `1-0:51.7.0(${integer(l2.current, 3)}*A)`,
    `1-0:71.7.0(${integer(l3.current, 3)}*A)`,
    `1-0:21.7.0(${fixed(l1.powerImportKw, 3, 6)}*kW)`,
    `1-0:41.7.0(${fixed(l2.powerImportKw, 3, 6)}*kW)`,
    `1-0:61.7.0(${fixed(l3.powerImportKw, 3, 6)}*kW)`,
    `1-0:22.7.0(${fixed(l1.powerExportKw, 3, 6)}*kW)`,
    `1-0:42.7.0(${fixed(l2.powerExportKw, 3, 6)}*kW)`,
    `1-0:62.7.0(${fixed(l3.powerExportKw, 3, 6)}*kW)`,
    ...(t.gas
      ? [
          "0-1:24.1.0(003)",
          `0-1:96.1.0(${hex(t.gas.equipmentId)})`,
          `0-1:24.2.1(${p1Timestamp(t.gas.capturedAt, timeZone)})(${fixed(t.gas.volumeM3, 3, 9)}*m3)`,
        ]
      : []),
    "!",
  ];
  return lines.join("\r\n");
}

/**
 * A DSMR 5.0.2 P1 telegram as the meter writes it to its P1 port: CRLF line
 * ends, the objects in the order of the companion standard's example, and
 * after the `!` the CRC-16/ARC of everything from `/` to `!` as four hex digits.
 */
export function p1Telegram(t: P1Telegram, timeZone?: string): string {
  const body = telegramBody(t, timeZone);
  const crc = crc16Arc(Buffer.from(body, "ascii")).toString(16).toUpperCase().padStart(4, "0");
  return `${body}${crc}\r\n`;
}
