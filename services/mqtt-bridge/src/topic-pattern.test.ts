import { describe, expect, it } from "vitest";
import { parseTopicPattern } from "./topic-pattern.ts";

describe("topic patterns", () => {
  it("turns placeholders into single-level wildcards and reads them back", () => {
    const pattern = parseTopicPattern("v3/{application}@{tenant}/devices/{device}/up");
    expect(pattern.filter).toBe("v3/+/devices/+/up");
    expect(pattern.match("v3/parking@musterstadt/devices/eui-70b3d57ed005a1b2/up")).toEqual({
      application: "parking",
      tenant: "musterstadt",
      device: "eui-70b3d57ed005a1b2",
    });
  });

  it("does not match topics of another shape", () => {
    const pattern = parseTopicPattern("application/{application}/device/{device}/event/up");
    expect(pattern.match("application/7/device/0102030405060708/event/join")).toBeUndefined();
    expect(pattern.match("application/7/device/0102030405060708/event/up")).toEqual({
      application: "7",
      device: "0102030405060708",
    });
  });

  it("keeps + and a trailing # as wildcards", () => {
    const pattern = parseTopicPattern("tele/{device}/+/#");
    expect(pattern.filter).toBe("tele/+/+/#");
    expect(pattern.match("tele/meter-7/SENSOR/x/y")).toEqual({ device: "meter-7" });
  });

  it("rejects a # that is not the last level and a placeholder used twice", () => {
    expect(() => parseTopicPattern("a/#/b")).toThrow(/last level/);
    expect(() => parseTopicPattern("{device}/{device}")).toThrow(/twice/);
  });
});
