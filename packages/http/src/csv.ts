/**
 * CSV for spreadsheets and utility tools. RFC 4180 by default; German tools
 * expect a semicolon between fields and a decimal comma (`12,5`), which is why
 * both come together as the `de` dialect.
 */
export interface CsvFormat {
  readonly separator: "," | ";";
  readonly decimalComma: boolean;
}

export const RFC4180: CsvFormat = { separator: ",", decimalComma: false };
export const GERMAN_CSV: CsvFormat = { separator: ";", decimalComma: true };

export function csvFormat(dialect: "rfc4180" | "de"): CsvFormat {
  return dialect === "de" ? GERMAN_CSV : RFC4180;
}

export type CsvValue = string | number | boolean | null | undefined;

/** One line, ending in CRLF as RFC 4180 asks. */
export function csvLine(values: readonly CsvValue[], format: CsvFormat): string {
  return `${values.map((value) => csvField(value, format)).join(format.separator)}\r\n`;
}

function csvField(value: CsvValue, format: CsvFormat): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return "";
    const text = String(value);
    return format.decimalComma ? text.replace(".", ",") : text;
  }
  const text = String(value);
  // Quote where a reader would split or where a spreadsheet would run a formula.
  return /[",;\r\n]/.test(text) || /^[=+\-@]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The lines of `rows` under `header`, generated one at a time so a large table is never held. */
export async function* csvLines<T>(
  header: readonly string[],
  rows: AsyncIterable<T> | Iterable<T>,
  toValues: (row: T) => readonly CsvValue[],
  format: CsvFormat,
): AsyncGenerator<string> {
  yield csvLine(header, format);
  for await (const row of rows) yield csvLine(toValues(row), format);
}
