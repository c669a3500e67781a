import { describe, expect, it } from "vitest";
import { senmlPack } from "./senml.ts";

describe("senmlPack", () => {
  const pack = JSON.parse(
    senmlPack("urn:dev:mac:0024befffe804ff1:", new Date("2026-01-14T07:31:00.123Z"), [
      { name: "temperature", unit: "Cel", value: 4.2 },
      { name: "humidity", unit: "%RH", value: 81 },
    ]),
  );

  it("puts base name and base time (epoch seconds) on the first record only", () => {
    expect(pack[0]).toEqual({
      bn: "urn:dev:mac:0024befffe804ff1:",
      bt: 1768375860.123,
      n: "temperature",
      u: "Cel",
      v: 4.2,
    });
    expect(pack[1]).toEqual({ n: "humidity", u: "%RH", v: 81 });
  });

  it("resolves each name as base name + name (RFC 8428 §4.5.1)", () => {
    const resolved = pack.map((record: { n: string }) => `${pack[0].bn}${record.n}`);
    expect(resolved).toEqual(["urn:dev:mac:0024befffe804ff1:temperature", "urn:dev:mac:0024befffe804ff1:humidity"]);
  });
});
