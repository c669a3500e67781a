import { DecodeError, excerpt } from "@stadtfluss/errors";
import { crc16Arc } from "./crc16.ts";

/**
 * The text of a P1 telegram (DSMR 5.0.2 P1 Companion Standard, section 6; the
 * Belgian e-MUCS H is the same format): a `/` identification line, one COSEM
 * object per line such as `1-0:1.8.1(000004.426*kWh)`, and `!` followed by the
 * CRC. Bytes are read as Latin-1 so that string offsets are byte offsets.
 */

/** One COSEM object: its OBIS reference and the texts between its parentheses. */
export interface CosemObject {
  readonly obis: string;
  readonly values: readonly string[];
}

export interface P1Telegram {
  /** The identification line without its `/`, e.g. `ISk5\2MT382-1000`. */
  readonly identification: string;
  readonly objects: readonly CosemObject[];
}

const OBIS_LINE = /^(\d+-\d+:\d+\.\d+\.\d+)((?:\([^()]*\))+)$/;
const PARENTHESISED = /\(([^()]*)\)/g;

/** Checks the CRC, then splits the telegram into its objects. */
export function readP1Telegram(payload: Buffer): P1Telegram {
  const text = payload.toString("latin1");
  const start = text.indexOf("/");
  if (start === -1 || text.slice(0, start).trim() !== "")
    throw new DecodeError(`a P1 telegram starts with "/", got "${excerpt(text.trimStart(), 20)}"`);
  const end = text.indexOf("!", start);
  if (end === -1) throw new DecodeError('P1 telegram has no end marker "!"');
  checkCrc(payload.subarray(start, end + 1), text.slice(end + 1).trim());

  const lines = text.slice(start + 1, end).split(/\r?\n/);
  const identification = lines.shift() ?? "";
  const objects: { obis: string; values: string[] }[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const match = OBIS_LINE.exec(line);
    const previous = objects.at(-1);
    if (match?.[1] && match[2]) objects.push({ obis: match[1], values: parenthesised(match[2]) });
    // DSMR 3 put an M-Bus value on a line of its own after its object.
    else if (line.startsWith("(") && previous) previous.values.push(...parenthesised(line));
    else throw new DecodeError(`line ${index + 2} of the P1 telegram is not a COSEM object: "${excerpt(line, 40)}"`);
  });
  return { identification, objects };
}

function parenthesised(text: string): string[] {
  return [...text.matchAll(PARENTHESISED)].map((m) => m[1] ?? "");
}

/**
 * A meter that drops the leading zero of its CRC (`!B9F`) is accepted, as the
 * widely used parsers do; DSMR 2.2 and 3 telegrams carry no CRC and are refused.
 */
function checkCrc(covered: Buffer, sent: string): void {
  if (sent === "")
    throw new DecodeError('CRC mismatch: the telegram has no CRC after "!" (DSMR 4 and later always send one)');
  if (!/^[0-9A-Fa-f]{1,4}$/.test(sent))
    throw new DecodeError(`CRC mismatch: expected up to 4 hex digits after "!", got "${excerpt(sent, 10)}"`);
  const computed = crc16Arc(covered);
  if (computed !== Number.parseInt(sent, 16))
    throw new DecodeError(
      `CRC mismatch: the telegram says ${sent.toUpperCase().padStart(4, "0")}, its content gives ${hex4(computed)}`,
    );
}

function hex4(n: number): string {
  return n.toString(16).toUpperCase().padStart(4, "0");
}

/** A number with an optional unit, `000004.426*kWh` or `00003`; undefined for anything else. */
export interface Quantity {
  readonly value: number;
  readonly unit: string | undefined;
  /** Digits after the decimal point, so that sums keep the meter's resolution. */
  readonly decimals: number;
}

const QUANTITY = /^(-?\d+)(?:\.(\d+))?(?:\*(.+))?$/;

export function parseQuantity(text: string): Quantity | undefined {
  const match = QUANTITY.exec(text);
  if (!match) return undefined;
  const decimals = match[2]?.length ?? 0;
  return { value: Number(`${match[1]}.${match[2] ?? "0"}`), unit: match[3], decimals };
}

const TIMESTAMP = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})([SW])$/;

/**
 * `YYMMDDhhmmssX`: local Dutch or Belgian time, X = S (summer, UTC+2) or W
 * (winter, UTC+1). The letter makes the repeated autumn hour unambiguous, so no
 * time zone database is needed.
 */
export function parseP1Timestamp(text: string, obis: string): Date {
  const match = TIMESTAMP.exec(text);
  if (!match) throw new DecodeError(`${obis} has no valid time stamp (YYMMDDhhmmssS/W): "${excerpt(text, 20)}"`);
  const [, yy, mo, dd, hh, mi, ss, season] = match;
  const offsetHours = season === "S" ? 2 : 1;
  const utc = Date.UTC(2000 + Number(yy), Number(mo) - 1, Number(dd), Number(hh) - offsetHours, Number(mi), Number(ss));
  const date = new Date(utc);
  // Date.UTC rolls 31 February over into March; read back, such a stamp no longer matches.
  const local = new Date(utc + offsetHours * 3_600_000).toISOString();
  if (local.slice(2, 19) !== `${yy}-${mo}-${dd}T${hh}:${mi}:${ss}`)
    throw new DecodeError(`${obis} has an impossible time stamp: "${text}"`);
  return date;
}
