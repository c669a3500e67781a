import { DecodeError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { parseDeviceTime, parseLocalTime } from "./local-time.ts";

const BERLIN = "Europe/Berlin";

describe("parseLocalTime", () => {
  it("reads a winter time in Berlin as UTC+1", () => {
    expect(parseLocalTime("2026-01-21T11:07:31", "Time", BERLIN).toISOString()).toBe("2026-01-21T10:07:31.000Z");
  });

  it("reads a summer time in Berlin as UTC+2", () => {
    expect(parseLocalTime("2022-07-07T13:01:11", "Time", BERLIN).toISOString()).toBe("2022-07-07T11:01:11.000Z");
  });

  it("reads the time in the zone it is given", () => {
    expect(parseLocalTime("2026-01-21T11:07:31", "Time", "America/New_York").toISOString()).toBe(
      "2026-01-21T16:07:31.000Z",
    );
  });

  it("accepts a time without seconds and with fractions of a second", () => {
    expect(parseLocalTime("2026-01-21T11:07", "Time", BERLIN).toISOString()).toBe("2026-01-21T10:07:00.000Z");
    expect(parseLocalTime("2026-01-21T11:07:31.250", "Time", BERLIN).toISOString()).toBe("2026-01-21T10:07:31.250Z");
  });

  it("refuses a time skipped when summer time begins", () => {
    expect(() => parseLocalTime("2026-03-29T02:30:00", "Time", BERLIN)).toThrow(
      /Time 2026-03-29T02:30:00 does not exist in Europe\/Berlin/,
    );
  });

  it("takes the earlier of a repeated autumn time when nothing tells them apart", () => {
    expect(parseLocalTime("2026-10-25T02:30:00", "Time", BERLIN).toISOString()).toBe("2026-10-25T00:30:00.000Z");
  });

  it("takes the repeated autumn time nearest to when the message arrived", () => {
    const first = parseLocalTime("2026-10-25T02:30:00", "Time", BERLIN, new Date("2026-10-25T00:30:02Z"));
    const second = parseLocalTime("2026-10-25T02:30:00", "Time", BERLIN, new Date("2026-10-25T01:30:02Z"));
    expect(first.toISOString()).toBe("2026-10-25T00:30:00.000Z");
    expect(second.toISOString()).toBe("2026-10-25T01:30:00.000Z");
  });

  it("reads every time of a wall-clock second alike, whichever of them came first", () => {
    // The second is looked up once per zone and second; its fractions, zones and refusals stay apart.
    for (const round of [1, 2]) {
      expect(parseLocalTime("2026-10-25T02:30:05.125", "Time", BERLIN).toISOString(), `round ${round}`).toBe(
        "2026-10-25T00:30:05.125Z",
      );
      expect(
        parseLocalTime("2026-10-25T02:30:05.9", "Time", BERLIN, new Date("2026-10-25T01:30:06Z")).toISOString(),
      ).toBe("2026-10-25T01:30:05.900Z");
      expect(parseLocalTime("2026-10-25T02:30:05", "Time", "America/New_York").toISOString()).toBe(
        "2026-10-25T06:30:05.000Z",
      );
      expect(() => parseLocalTime("2026-03-29T02:30:05.5", "Time", BERLIN)).toThrow(
        /Time 2026-03-29T02:30:05.5 does not exist in Europe\/Berlin/,
      );
    }
  });

  it("refuses an impossible date and a time with an offset", () => {
    expect(() => parseLocalTime("2026-02-30T10:00:00", "Time", BERLIN)).toThrow(DecodeError);
    expect(() => parseLocalTime("2026-01-21T11:07:31+01:00", "Time", BERLIN)).toThrow(DecodeError);
  });

  it("reports an unknown zone as a setting problem, not a payload problem", () => {
    let caught: unknown;
    try {
      parseLocalTime("2026-01-21T11:07:31", "Time", "Europe/Atlantis");
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(Error);
    expect(caught).not.toBeInstanceOf(DecodeError);
  });
});

describe("parseDeviceTime", () => {
  it("keeps an explicit offset instead of the zone", () => {
    expect(parseDeviceTime("2026-01-21T11:07:31+02:00", "time", BERLIN).toISOString()).toBe("2026-01-21T09:07:31.000Z");
  });

  it("reads epoch seconds and milliseconds", () => {
    expect(parseDeviceTime(1_768_990_051, "time", BERLIN).toISOString()).toBe("2026-01-21T10:07:31.000Z");
    expect(parseDeviceTime(1_768_990_051_000, "time", BERLIN).toISOString()).toBe("2026-01-21T10:07:31.000Z");
  });

  it("reads a time without offset in the zone", () => {
    expect(parseDeviceTime("2026-01-21T11:07:31", "time", BERLIN).toISOString()).toBe("2026-01-21T10:07:31.000Z");
  });
});
