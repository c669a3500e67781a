import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { crc16Arc } from "./crc16.ts";

describe("crc16Arc", () => {
  it("gives 0xBB3D for the catalogue check string 123456789", () => {
    expect(crc16Arc(Buffer.from("123456789", "ascii"))).toBe(0xbb3d);
  });

  it("gives 0 for no bytes", () => {
    expect(crc16Arc(new Uint8Array())).toBe(0);
  });

  it("matches the CRC a DSMR 4.2 meter sent after its telegram", () => {
    const telegram = readFileSync(join(import.meta.dirname, "testdata/dsmr-p1/dsmr-4.2-kaifa/input.txt"));
    const end = telegram.indexOf("!");
    const sent = Number.parseInt(telegram.subarray(end + 1, end + 5).toString("latin1"), 16);
    expect(sent).toBe(0x6796);
    expect(crc16Arc(telegram.subarray(0, end + 1))).toBe(sent);
  });

  it("changes when a single byte of the telegram changes", () => {
    const original = Buffer.from("/KFM5KAIFA-METER\r\n\r\n1-0:1.8.1(001581.123*kWh)\r\n!", "latin1");
    const corrupted = Buffer.from("/KFM5KAIFA-METER\r\n\r\n1-0:1.8.1(001581.124*kWh)\r\n!", "latin1");
    expect(crc16Arc(corrupted)).not.toBe(crc16Arc(original));
  });
});
