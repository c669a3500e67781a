import { describe, expect, it } from "vitest";
import { localTime } from "../calendar/local-time.ts";
import { PEAK_TRAFFIC_INTENSITY, trafficIntensity } from "./traffic-rhythm.ts";

const at = (iso: string) => trafficIntensity(localTime(new Date(iso)));

describe("trafficIntensity", () => {
  it("peaks at 07:30 on a workday, as PEAK_TRAFFIC_INTENSITY says", () => {
    // Wednesday 14 January 2026, 07:30 in Berlin.
    expect(at("2026-01-14T06:30:00Z")).toBeCloseTo(PEAK_TRAFFIC_INTENSITY, 0);
    expect(at("2026-01-14T06:30:00Z")).toBeGreaterThan(at("2026-01-14T09:30:00Z"));
    expect(at("2026-01-14T15:30:00Z")).toBeGreaterThan(at("2026-01-14T12:30:00Z"));
  });

  it("is quiet at night and on Sunday mornings", () => {
    expect(at("2026-01-14T02:00:00Z")).toBeLessThan(5);
    expect(at("2026-01-18T06:30:00Z")).toBeLessThan(at("2026-01-14T06:30:00Z") / 5);
  });

  it("treats a public holiday like a Sunday", () => {
    // Friday 25 December 2026 and Sunday 27 December 2026, both 10:00 in Berlin.
    expect(at("2026-12-25T09:00:00Z")).toBeCloseTo(at("2026-12-27T09:00:00Z"), 6);
  });
});
