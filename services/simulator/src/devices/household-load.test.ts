import { describe, expect, it } from "vitest";
import { h0Energy } from "../load-profiles/h0-profile.ts";
import { seededRandom } from "../random.ts";
import { householdLoad, tariffAt } from "./household-load.ts";

const traits = {
  annualKWh: 3_000,
  shiftQuarters: 0,
  phaseShares: [0.5, 0.3, 0.2] as const,
  voltage: 230,
};

describe("householdLoad", () => {
  it("only ever raises its registers, and tariff 1 plus tariff 2 is the total", () => {
    const random = seededRandom(3);
    const load = householdLoad(traits, random);
    let t = Date.parse("2026-03-28T12:00:00Z");
    let previous = load.read(new Date(t), random);
    for (let i = 0; i < 2_000; i++) {
      t += Math.floor(random() * 600_000);
      const reading = load.read(new Date(t), random);
      expect(reading.importWh).toBeGreaterThanOrEqual(previous.importWh);
      expect(reading.importTariffWh[0]).toBeGreaterThanOrEqual(previous.importTariffWh[0]);
      expect(reading.importTariffWh[1]).toBeGreaterThanOrEqual(previous.importTariffWh[1]);
      expect(reading.importTariffWh[0] + reading.importTariffWh[1]).toBeCloseTo(reading.importWh, 6);
      previous = reading;
    }
  });

  it("counts on tariff 1 between 22:00 and 06:00 only", () => {
    expect([21, 22, 23, 0, 5, 6].map(tariffAt)).toEqual([2, 1, 1, 1, 1, 2]);
    const random = seededRandom(4);
    const load = householdLoad(traits, random);
    // 23:00 to 05:00 Berlin time in winter.
    const night = load.read(new Date("2026-01-14T22:00:00Z"), random);
    const morning = load.read(new Date("2026-01-15T04:00:00Z"), random);
    expect(morning.importTariffWh[1]).toBe(night.importTariffWh[1]);
    expect(morning.importTariffWh[0]).toBeGreaterThan(night.importTariffWh[0]);
  });

  it("draws over a week about what the H0 profile gives for its annual consumption", () => {
    const random = seededRandom(5);
    const load = householdLoad(traits, random);
    const from = Date.parse("2026-02-02T00:00:00Z");
    const to = from + 7 * 86_400_000;
    const first = load.read(new Date(from), random);
    let last = first;
    for (let t = from; t <= to; t += 60_000) last = load.read(new Date(t), random);
    const expected = h0Energy(new Date(from), new Date(to), traits.annualKWh);
    expect(Math.abs(last.importWh - first.importWh - expected) / expected).toBeLessThan(0.03);
  });

  it("reports power split over three phases with plausible voltage and current", () => {
    const random = seededRandom(6);
    const reading = householdLoad(traits, random).read(new Date("2026-01-14T18:00:00Z"), random);
    const sum = reading.phasePower.reduce((a, b) => a + b, 0);
    expect(sum / reading.power).toBeGreaterThan(0.85);
    expect(sum / reading.power).toBeLessThan(1.15);
    for (const v of reading.voltage) expect(v).toBeGreaterThan(220);
    for (const v of reading.voltage) expect(v).toBeLessThan(240);
    reading.current.forEach((a, i) => {
      expect(a).toBeCloseTo((reading.phasePower[i] ?? 0) / (reading.voltage[i] ?? 230), 6);
    });
  });
});
