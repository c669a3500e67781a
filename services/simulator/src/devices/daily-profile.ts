/**
 * Smooth daily shapes from Gaussian peaks over the hour of day (0-24), so that
 * dashboards show the rhythm of a city rather than noise.
 */
export function peaks(
  hour: number,
  base: number,
  bumps: ReadonlyArray<readonly [centre: number, width: number, height: number]>,
): number {
  let value = base;
  for (const [centre, width, height] of bumps) value += height * Math.exp(-((hour - centre) ** 2) / (2 * width ** 2));
  return value;
}

/** Local hour of day (with fraction) and whether it is a weekend, in Europe/Berlin. */
export function localTime(at: Date): { hour: number; weekend: boolean } {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: "Europe/Berlin",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).formatToParts(at);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "0";
  const weekday = get("weekday");
  return { hour: Number(get("hour")) + Number(get("minute")) / 60, weekend: weekday === "Sat" || weekday === "Sun" };
}
