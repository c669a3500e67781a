/**
 * The town's weather as a smooth function of time, so that every station sees
 * the same days: a Dresden-like climate (January ≈ 0 °C, July ≈ 19 °C), weather
 * systems passing every few days (sums of slow sines), and a daily cycle on
 * solar time, which does not jump when the clocks change.
 */
export interface Weather {
  /** °C, 2 m above ground. */
  readonly temperature: number;
  /** °C, mean of the day: what heating follows. */
  readonly dailyMeanTemperature: number;
  /** % relative humidity. */
  readonly humidity: number;
  /** hPa, reduced to sea level. */
  readonly seaLevelPressure: number;
  /** m/s, 10 m above ground. */
  readonly windSpeed: number;
  /** 0 by day … 1 deep in the night: when cold air pools under an inversion. */
  readonly night: number;
}

const DAY_MS = 86_400_000;
// Musterstadt's longitude (13.74° E) puts solar noon 55 minutes after 12:00 UTC.
const SOLAR_OFFSET_HOURS = 13.74 / 15;

const wave = (days: number, period: number, phase: number) => Math.sin((2 * Math.PI * days) / period + phase);

export function townWeather(at: Date): Weather {
  const days = at.getTime() / DAY_MS;
  const solarHour = (((at.getTime() / 3_600_000 + SOLAR_OFFSET_HOURS) % 24) + 24) % 24;
  const yearStart = Date.UTC(at.getUTCFullYear(), 0, 1);
  const dayOfYear = (at.getTime() - yearStart) / DAY_MS;
  // -1 in mid-January, +1 in mid-July.
  const summer = -Math.cos((2 * Math.PI * (dayOfYear - 15)) / 365.25);

  const synoptic = 2.8 * wave(days, 6.3, 1.1) + 1.9 * wave(days, 10.7, 2.3) + 1.2 * wave(days, 3.9, 0.4);
  const dailyMeanTemperature = 10 + 9.5 * summer + synoptic;
  const amplitude = 3.75 + 1.25 * summer;
  // Warmest at 15:00 solar time, coldest before sunrise.
  const temperature = dailyMeanTemperature + amplitude * Math.cos((2 * Math.PI * (solarHour - 15)) / 24);

  const pressureAnomaly = 9 * wave(days, 5.1, 0.7) + 4 * wave(days, 8.9, 2.9);
  const humidity = Math.min(
    100,
    Math.max(25, 76.5 - 8.5 * summer - 2.2 * (temperature - dailyMeanTemperature) - 0.4 * pressureAnomaly),
  );
  // Low pressure brings wind; the afternoon mixes it down to the ground.
  const windSpeed = Math.max(
    0.3,
    3.2 - 0.15 * pressureAnomaly + 0.9 * Math.cos((2 * Math.PI * (solarHour - 14)) / 24) + 0.6 * wave(days, 2.3, 1.7),
  );
  const night = Math.max(0, Math.cos((2 * Math.PI * (solarHour - 2)) / 24));

  return {
    temperature,
    dailyMeanTemperature,
    humidity,
    seaLevelPressure: 1013.25 + pressureAnomaly,
    windSpeed,
    night,
  };
}

/** Station pressure at `altitude` metres: about 0.12 hPa less per metre near the ground. */
export function stationPressure(seaLevelPressure: number, altitude: number): number {
  return seaLevelPressure * (1 - 2.25577e-5 * altitude) ** 5.25588;
}
