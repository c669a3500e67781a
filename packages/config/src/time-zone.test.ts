import { describe, expect, it } from "vitest";
import { canonicalTimeZone, timeZone } from "./time-zone.ts";

describe("time zones", () => {
  it("gives the canonical spelling of an IANA zone", () => {
    expect(canonicalTimeZone("Europe/Berlin")).toBe("Europe/Berlin");
    expect(canonicalTimeZone("europe/vienna")).toBe("Europe/Vienna");
  });

  it.each(["Europe/Musterstadt", "+01:00", ""])("refuses %j", (name) => {
    expect(canonicalTimeZone(name)).toBeUndefined();
    expect(timeZone().safeParse(name).success).toBe(false);
  });
});
