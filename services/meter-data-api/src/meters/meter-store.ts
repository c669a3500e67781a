import { type InfluxReadSettings, influxQL, quoteIdentifier, quoteString, seriesRows } from "@stadtfluss/influx";
import { appendThinned, type RegisterReading } from "../load-profile/register-profile.ts";
import { ENERGY_MEASUREMENT, PHASE_FIELDS, REGISTER_FIELDS, SERIAL_COLUMN } from "./registers.ts";

const DAY_MS = 86_400_000;
const measurement = quoteIdentifier(ENERGY_MEASUREMENT);
const device = quoteIdentifier("device");

/**
 * The meters and readings of one utility's `<tenant>_personal` database. Every
 * query names that database and nothing else: which database a request reaches
 * is decided by its token before it gets here.
 */
export class MeterStore {
  readonly #settings: InfluxReadSettings;

  constructor(connection: Omit<InfluxReadSettings, "database">, database: string) {
    this.#settings = { ...connection, database };
  }

  get database(): string {
    return this.#settings.database;
  }

  /** Which of `ids` have readings in this database. */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    const known = new Set<string>();
    // A few dozen ids per statement keeps the query short.
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const where = chunk.map((id) => `${device} = ${quoteString(id)}`).join(" OR ");
      for (const value of await this.#tagValues(`WHERE ${where}`)) known.add(value);
    }
    return known;
  }

  /** The meters of a district (the registry's district, kept as a tag with every reading). */
  async ofDistrict(district: string): Promise<string[]> {
    return (await this.#tagValues(`WHERE ${quoteIdentifier("district")} = ${quoteString(district)}`)).sort();
  }

  /**
   * The register readings of each of `meters` with `at` in (from, to], oldest
   * first, per register. Read a day at a time for all of them at once (few
   * queries for a group), and each day's readings thinned by `thin` to those the
   * computation needs: what is held grows with the intervals and the meters, not
   * with how often a meter sends.
   */
  async registerReadings(
    meters: readonly string[],
    from: number,
    to: number,
    thin: (readings: RegisterReading[]) => RegisterReading[],
  ): Promise<Map<string, Map<string, RegisterReading[]>>> {
    const byMeter = new Map(
      meters.map((meter) => [meter, new Map<string, RegisterReading[]>(REGISTER_FIELDS.map((f) => [f, []]))]),
    );
    if (meters.length === 0) return byMeter;
    const columns = [...REGISTER_FIELDS, SERIAL_COLUMN].map(quoteIdentifier).join(", ");
    const which = meters.map((meter) => `${device} = ${quoteString(meter)}`).join(" OR ");
    for (let start = from; start < to; start += DAY_MS) {
      const end = Math.min(start + DAY_MS, to);
      const [series = []] = await influxQL(
        this.#settings,
        `SELECT ${columns} FROM ${measurement} WHERE (${which}) AND time > ${start}ms AND time <= ${end}ms GROUP BY ${device} ORDER BY time ASC`,
      );
      for (const one of series) {
        const meter = one.tags?.device;
        const kept = meter === undefined ? undefined : byMeter.get(meter);
        if (!kept) continue;
        // By column index: a day of a batch is tens of thousands of rows, too many for an object each.
        const timeColumn = one.columns.indexOf("time");
        const serialColumn = one.columns.indexOf(SERIAL_COLUMN);
        const day = new Map<string, RegisterReading[]>();
        for (const field of REGISTER_FIELDS) {
          const column = one.columns.indexOf(field);
          const readings: RegisterReading[] = [];
          day.set(field, readings);
          if (column < 0) continue;
          for (const row of one.values) {
            const value = row[column];
            if (typeof value !== "number") continue;
            const serial = serialColumn < 0 ? undefined : row[serialColumn];
            readings.push({
              at: row[timeColumn] as number,
              value,
              ...(typeof serial === "string" || typeof serial === "number" ? { serial: String(serial) } : {}),
            });
          }
        }
        for (const [field, readings] of day) appendThinned(kept.get(field) as RegisterReading[], readings, thin);
      }
    }
    return byMeter;
  }

  /** The last reading of each register and phase quantity, with its time. */
  async latest(meter: string): Promise<Array<{ field: string; at: number; value: number }>> {
    const fields = [...REGISTER_FIELDS, ...PHASE_FIELDS];
    const statements = fields.map(
      (field) =>
        `SELECT last(${quoteIdentifier(field)}) AS "value" FROM ${measurement} WHERE ${device} = ${quoteString(meter)}`,
    );
    const results = await influxQL(this.#settings, statements.join("; "));
    return fields.flatMap((field, i) => {
      const row = seriesRows(results[i] ?? [])[0];
      return row && typeof row.value === "number" ? [{ field, at: row.time as number, value: row.value }] : [];
    });
  }

  /**
   * Mean, minimum and maximum of each phase's voltage and current per interval
   * in [from, to). InfluxQL's time buckets start at multiples of the interval
   * since the epoch, which in whole-hour time zones are the local grid.
   */
  async phases(
    meter: string,
    from: number,
    to: number,
    intervalMs: number,
  ): Promise<Array<{ start: number; values: Record<string, number | null> }>> {
    const aggregates = PHASE_FIELDS.flatMap((field) =>
      (["mean", "min", "max"] as const).map(
        (fn) => `${fn}(${quoteIdentifier(field)}) AS ${quoteIdentifier(`${field}_${fn}`)}`,
      ),
    ).join(", ");
    const rows: Array<{ start: number; values: Record<string, number | null> }> = [];
    for (let start = from; start < to; start += DAY_MS) {
      const end = Math.min(start + DAY_MS, to);
      const [series = []] = await influxQL(
        this.#settings,
        `SELECT ${aggregates} FROM ${measurement} WHERE ${device} = ${quoteString(meter)} AND time >= ${start}ms AND time < ${end}ms GROUP BY time(${intervalMs}ms) fill(none)`,
      );
      for (const row of seriesRows(series)) {
        const { time, ...values } = row;
        rows.push({ start: time as number, values: values as Record<string, number | null> });
      }
    }
    return rows;
  }

  async #tagValues(where: string): Promise<string[]> {
    const [series = []] = await influxQL(
      this.#settings,
      `SHOW TAG VALUES FROM ${measurement} WITH KEY = ${device} ${where}`,
    );
    return seriesRows(series).map((row) => String(row.value));
  }
}
