import { describe, expect, it } from "vitest";
import { crc16Arc } from "./crc16-arc.ts";

/** The textbook bit-by-bit CRC, written apart from the table-driven one under test. */
function bitwiseCrc16Arc(data: Uint8Array): number {
  let crc = 0x0000;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 0x0001 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc & 0xffff;
}

describe("crc16Arc", () => {
  it("gives the catalogued check value 0xBB3D for the ASCII digits 123456789", () => {
    expect(crc16Arc(Buffer.from("123456789", "ascii"))).toBe(0xbb3d);
  });

  it("agrees with a bit-by-bit computation on arbitrary bytes", () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => (i * 151 + 17) % 256);
    expect(crc16Arc(data)).toBe(bitwiseCrc16Arc(data));
  });

  it("is 0 for no data", () => {
    expect(crc16Arc(new Uint8Array())).toBe(0);
  });
});
