/** One reading as stadtfluss-json carries it: the kind, and the value in the unit the device uses. */
export interface StadtflussReading {
  readonly kind: string;
  readonly value: number;
  readonly unit: string;
}

/**
 * Stadtfluss's own JSON: `{"seq":17,"time":"2026-11-25T07:30:00.000Z",
 * "readings":[{"kind":"traffic.vehicle_count","value":12,"unit":"{vehicle}"}]}`.
 */
export function stadtflussJson(message: {
  readonly seq: number;
  readonly time: Date;
  readonly readings: readonly StadtflussReading[];
}): string {
  return JSON.stringify({ seq: message.seq, time: message.time.toISOString(), readings: message.readings });
}
