import { hourOfDay, localTime } from "../calendar/local-time.ts";
import { between } from "../random.ts";
import { townWeather } from "../weather/town-weather.ts";
import { peaks } from "./traffic-rhythm.ts";

/** Heating degree days (base 15 °C) of a year in the town's climate. */
const DEGREE_DAYS = 2300;
const HOT_WATER_SHARE = 0.15;
const STEP_MS = 5 * 60_000;

// Heating runs hardest in the morning and evening and is set back at night.
const shape = (hour: number) =>
  peaks(hour, 0.55, [
    [6.5, 1.3, 0.9],
    [19, 2.5, 0.6],
  ]);
const SHAPE_MEAN = Array.from({ length: 96 }, (_, q) => shape(q / 4)).reduce((a, b) => a + b, 0) / 96;

/** m³ per hour at `at` for a household using `annualM3` a year. */
export function gasFlow(at: Date, annualM3: number): number {
  const weather = townWeather(at);
  const hour = hourOfDay(localTime(at));
  const heating = ((1 - HOT_WATER_SHARE) * Math.max(0, 15 - weather.dailyMeanTemperature)) / (DEGREE_DAYS * 24);
  return annualM3 * (HOT_WATER_SHARE / 8760 + heating) * (shape(hour) / SHAPE_MEAN);
}

/**
 * A household's gas meter, read out by the electricity meter every 5 minutes
 * (DSMR 5): heating follows the day's mean temperature, hot water the whole
 * year. The register only rises.
 */
export function gasMeter(annualM3: number, random: () => number) {
  let volume = annualM3 * between(random, 0.5, 8);
  let captured: number | undefined;
  return {
    /** The last 5-minute capture at or before `at`, and the register then. */
    read(at: Date, rnd: () => number): { capturedAt: Date; volumeM3: number } {
      const capture = Math.floor(at.getTime() / STEP_MS) * STEP_MS;
      if (captured === undefined) captured = capture;
      // Long gaps are integrated in at most a day's worth of steps.
      const step = Math.max(STEP_MS, Math.ceil((capture - captured) / 288 / STEP_MS) * STEP_MS);
      while (captured < capture) {
        const next = Math.min(capture, captured + step);
        volume +=
          gasFlow(new Date((captured + next) / 2), annualM3) * ((next - captured) / 3_600_000) * between(rnd, 0.8, 1.2);
        captured = next;
      }
      return { capturedAt: new Date(capture), volumeM3: volume };
    },
  };
}
