import { describe, expect, it } from "vitest";
import { stationPressure, townWeather } from "./town-weather.ts";

const mean = (from: string, days: number, pick: (w: ReturnType<typeof townWeather>) => number) => {
  let sum = 0;
  for (let h = 0; h < days * 24; h++) sum += pick(townWeather(new Date(Date.parse(from) + h * 3_600_000)));
  return sum / (days * 24);
};

describe("townWeather", () => {
  it("has a Central European climate: about 0 °C in January and 19 °C in July", () => {
    expect(mean("2026-01-01T00:00:00Z", 31, (w) => w.temperature)).toBeGreaterThan(-4);
    expect(mean("2026-01-01T00:00:00Z", 31, (w) => w.temperature)).toBeLessThan(4);
    expect(mean("2026-07-01T00:00:00Z", 31, (w) => w.temperature)).toBeGreaterThan(15);
    expect(mean("2026-07-01T00:00:00Z", 31, (w) => w.temperature)).toBeLessThan(23);
  });

  it("is warmest in the afternoon and most humid before dawn", () => {
    const afternoon = townWeather(new Date("2026-07-10T13:00:00Z"));
    const dawn = townWeather(new Date("2026-07-10T03:00:00Z"));
    expect(afternoon.temperature).toBeGreaterThan(dawn.temperature + 5);
    expect(dawn.humidity).toBeGreaterThan(afternoon.humidity);
  });

  it("changes smoothly: an hour apart differs by less than two degrees", () => {
    for (let h = 0; h < 24 * 30; h++) {
      const a = townWeather(new Date(Date.parse("2026-03-01T00:00:00Z") + h * 3_600_000));
      const b = townWeather(new Date(Date.parse("2026-03-01T01:00:00Z") + h * 3_600_000));
      expect(Math.abs(a.temperature - b.temperature)).toBeLessThan(2);
    }
  });
});

describe("stationPressure", () => {
  it("is about 13.5 hPa below sea-level pressure at 113 m", () => {
    expect(1013.25 - stationPressure(1013.25, 113)).toBeCloseTo(13.5, 0);
  });
});
