import { describe, expect, it } from "vitest";
import { namedRandom, seededRandom } from "../random.ts";
import { dsmrMeter, dsmrPowerQuality } from "./dsmr-meter.ts";
import { gasMeter } from "./gas-load.ts";
import { householdLoad, householdTraits } from "./household-load.ts";

function meter(seed: number) {
  const random = seededRandom(seed);
  const identity = { identification: "ISk5\\2MT382-1000", equipmentId: "E0051000040000000", gasEquipmentId: "G1" };
  const load = householdLoad(householdTraits(namedRandom("dsmr-test/household")), random);
  const history = dsmrPowerQuality(namedRandom("dsmr-test/power-quality"));
  return { device: dsmrMeter(identity, load, gasMeter(1_200, random), history), random, history };
}

/** The counters a telegram states, by OBIS reference. */
function counters(telegram: string): Record<string, number> {
  return Object.fromEntries(
    [...telegram.matchAll(/^(\d-\d:\d+\.\d+\.\d+)\((\d{5})\)\r$/gm)].map((m) => [m[1], Number(m[2])]),
  );
}

describe("dsmrMeter's power quality", () => {
  const start = Date.parse("2026-01-14T07:00:00Z");
  const run = (seed: number, telegrams: number) => {
    const { device, random, history } = meter(seed);
    return {
      history,
      telegrams: Array.from({ length: telegrams }, (_, i) => device.next(new Date(start + i * 10_000), random)),
    };
  };

  it("logs its long failures before the first telegram and counts them among all failures", () => {
    const { history, telegrams } = run(7, 1);
    const [first = ""] = telegrams;
    const log = /^1-0:99\.97\.0\((\d+)\)\(0-0:96\.7\.19\)(.*)\r$/m.exec(first);
    expect(Number(log?.[1])).toBe(history.longFailures.length);
    const ends = [...(log?.[2] ?? "").matchAll(/\((\d{12})[SW]\)/g)].map((m) => m[1]);
    expect(ends).toHaveLength(history.longFailures.length);
    for (const end of ends) expect(`20${end}` < "20260114080000").toBe(true);
    expect(counters(first)["0-0:96.7.9"]).toBe(history.longFailures.length);
    expect(counters(first)["0-0:96.7.21"]).toBe(history.shortFailures + history.longFailures.length);
  });

  it("lets sags and swells rise now and then, never fall, and repeats a run of the same seed exactly", () => {
    const { telegrams } = run(11, 20_000);
    const sags = telegrams.map((t) => counters(t)["1-0:32.32.0"] ?? 0);
    const total = (t: string) =>
      ["32.32.0", "52.32.0", "72.32.0", "32.36.0", "52.36.0", "72.36.0"].reduce(
        (sum, c) => sum + (counters(t)[`1-0:${c}`] ?? 0),
        0,
      );
    for (let i = 1; i < sags.length; i++) expect(sags[i]).toBeGreaterThanOrEqual(sags[i - 1] ?? 0);
    expect(total(telegrams.at(-1) ?? "")).toBeGreaterThan(total(telegrams[0] ?? ""));
    expect(run(11, 200).telegrams).toEqual(telegrams.slice(0, 200));
  });
});
