import { describe, expect, it } from "vitest";
import { meterProfile } from "./meter-profile.ts";
import { intervalBoundaries } from "./period.ts";

const start = Date.UTC(2026, 5, 9, 22); // 2026-06-10T00:00+02:00
const QUARTER = 900_000;
const boundaries = intervalBoundaries(start, start + 2 * QUARTER, "15m");
const settings = { toleranceMs: 300_000, maxPowerKw: 100 };
const at = (n: number) => start + n * QUARTER;

describe("a meter's load profile", () => {
  it("shows import and export apart, and totals every register the meter has", () => {
    const profile = meterProfile(
      new Map([
        ["active_import", [0, 1, 2].map((n) => ({ at: at(n), value: 100 + n * 0.25 }))],
        ["active_export", [0, 1, 2].map((n) => ({ at: at(n), value: 50 + n * 0.5 }))],
        ["active_import_t1", [0, 1, 2].map((n) => ({ at: at(n), value: 60 + n * 0.25 }))],
      ]),
      boundaries,
      settings,
    );
    expect(profile.rows).toEqual([
      { start: at(0), end: at(1), import: 0.25, importStatus: "ok", export: 0.5, exportStatus: "ok" },
      { start: at(1), end: at(2), import: 0.25, importStatus: "ok", export: 0.5, exportStatus: "ok" },
    ]);
    expect(Object.keys(profile.totals).sort()).toEqual(["active_export", "active_import", "active_import_t1"]);
    expect(profile.totals.active_import_t1).toEqual({ consumption: 0.5, intervals: 2, missing: 0 });
  });

  it("a meter without an export register shows export as gaps and still totals it as missing", () => {
    const profile = meterProfile(
      new Map([["active_import", [0, 1, 2].map((n) => ({ at: at(n), value: n }))]]),
      boundaries,
      { ...settings, maxPowerKw: 10 },
    );
    expect(profile.rows.map((r) => [r.importStatus, r.exportStatus])).toEqual([
      ["ok", "gap"],
      ["ok", "gap"],
    ]);
    expect(profile.totals.active_export).toEqual({ consumption: 0, intervals: 2, missing: 2 });
  });

  it("names the register of each event, in time order", () => {
    const profile = meterProfile(
      new Map([
        [
          "active_import",
          [
            { at: at(0), value: 10 },
            { at: at(1), value: 0 },
            { at: at(2), value: 1 },
          ],
        ],
        [
          "active_export",
          [
            { at: at(0), value: 5 },
            { at: at(1), value: 5 },
            { at: at(2), value: 0 },
          ],
        ],
      ]),
      boundaries,
      settings,
    );
    expect(profile.events.map((e) => [e.register, e.at, e.kind])).toEqual([
      ["active_import", at(1), "reset"],
      ["active_export", at(2), "reset"],
    ]);
    expect(profile.rows.map((r) => [r.importStatus, r.exportStatus])).toEqual([
      ["reset", "ok"],
      ["ok", "reset"],
    ]);
  });
});
