/** One SenML record after the base: a name, its unit (SenML units registry) and a value. */
export interface SenmlMeasurement {
  readonly name: string;
  readonly unit: string;
  readonly value: number;
}

/**
 * A SenML pack (RFC 8428, JSON): the first record carries the base name and
 * base time (seconds since the epoch, with milliseconds as the fraction); each
 * record names one measurement, its resolved name being base name + name.
 */
export function senmlPack(baseName: string, time: Date, measurements: readonly SenmlMeasurement[]): string {
  return JSON.stringify(
    measurements.map((m, i) => ({
      ...(i === 0 ? { bn: baseName, bt: time.getTime() / 1000 } : {}),
      n: m.name,
      u: m.unit,
      v: m.value,
    })),
  );
}
