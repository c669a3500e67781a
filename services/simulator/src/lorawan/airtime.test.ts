import { describe, expect, it } from "vitest";
import { loraAirtimeSeconds } from "./airtime.ts";

describe("loraAirtimeSeconds", () => {
  it("gives 51.5 ms for 3 bytes at SF7 and 1.32 s at SF12 (13 bytes of LoRaWAN overhead added)", () => {
    expect(loraAirtimeSeconds(3, 7)).toBeCloseTo(0.051456, 6);
    expect(loraAirtimeSeconds(3, 12)).toBeCloseTo(1.318912, 6);
  });

  it("grows with the spreading factor", () => {
    const times = [7, 8, 9, 10, 11, 12].map((sf) => loraAirtimeSeconds(10, sf));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
  });
});
