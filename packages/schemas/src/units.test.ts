import { describe, expect, it } from "vitest";
import { kinds, toCanonicalUnit } from "./index.ts";

describe("electrical quantities", () => {
  it("declare voltage and current without a phase, frequency and power factor in UCUM", () => {
    expect(kinds["energy.voltage"].unit).toBe("V");
    expect(kinds["energy.current"].unit).toBe("A");
    expect(kinds["energy.frequency"].unit).toBe("Hz");
    expect(kinds["energy.power_factor"].unit).toBe("1");
  });

  it("count the power-quality events of DSMR as registers that only rise", () => {
    for (const phase of ["l1", "l2", "l3"] as const) {
      expect(kinds[`energy.voltage_sags_${phase}`]).toMatchObject({ unit: "{sag}", cumulative: true });
      expect(kinds[`energy.voltage_swells_${phase}`]).toMatchObject({ unit: "{swell}", cumulative: true });
    }
    expect(kinds["energy.power_failures"]).toMatchObject({ unit: "{failure}", cumulative: true });
    expect(kinds["energy.long_power_failures"]).toMatchObject({ unit: "{failure}", cumulative: true });
  });

  it("convert milliamperes, SenML's ratio unit and minutes exactly", () => {
    expect(toCanonicalUnit("energy.current", 1234, "mA")).toEqual({ value: 1.234, unit: "A" });
    expect(toCanonicalUnit("energy.power_factor", 0.97, "/")).toEqual({ value: 0.97, unit: "1" });
    expect(toCanonicalUnit("energy.last_power_failure_duration", 5, "min")).toEqual({ value: 300, unit: "s" });
    expect(() => toCanonicalUnit("energy.frequency", 50, "rpm")).toThrow(/cannot be converted to Hz/);
  });
});
