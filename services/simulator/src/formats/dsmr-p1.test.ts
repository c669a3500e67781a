import { describe, expect, it } from "vitest";
import { crc16Arc } from "./crc16-arc.ts";
import { type P1Telegram, p1Telegram, p1Timestamp } from "./dsmr-p1.ts";

/** Bit-by-bit CRC-16/ARC, independent of the implementation under test. */
function independentCrc(text: string): string {
  let crc = 0;
  for (const byte of Buffer.from(text, "ascii")) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1;
  }
  return crc.toString(16).toUpperCase().padStart(4, "0");
}

/** Splits a telegram into the text the CRC covers (`/` to `!`) and the CRC it states. */
function checksumParts(telegram: string): { covered: string; stated: string } {
  const bang = telegram.indexOf("!");
  return { covered: telegram.slice(0, bang + 1), stated: telegram.slice(bang + 1, bang + 5) };
}

// TELEGRAM_V5 from ndokter/dsmr_parser, test/example_telegrams.py (MIT licence):
// the DSMR 5 example with its published checksum 6EEE.
const PUBLISHED_V5 = [
  "/ISk5\\2MT382-1000",
  "",
  "1-3:0.2.8(50)",
  "0-0:1.0.0(170102192002W)",
  "0-0:96.1.1(4B384547303034303436333935353037)",
  "1-0:1.8.1(000004.426*kWh)",
  "1-0:1.8.2(000002.399*kWh)",
  "1-0:2.8.1(000002.444*kWh)",
  "1-0:2.8.2(000000.000*kWh)",
  "0-0:96.14.0(0002)",
  "1-0:1.7.0(00.244*kW)",
  "1-0:2.7.0(00.000*kW)",
  "0-0:96.7.21(00013)",
  "0-0:96.7.9(00000)",
  "1-0:99.97.0(0)(0-0:96.7.19)",
  "1-0:32.32.0(00000)",
  "1-0:52.32.0(00000)",
  "1-0:72.32.0(00000)",
  "1-0:32.36.0(00000)",
  "1-0:52.36.0(00000)",
  "1-0:72.36.0(00000)",
  "0-0:96.13.0()",
  "1-0:32.7.0(0230.0*V)",
  "1-0:52.7.0(0230.0*V)",
  "1-0:72.7.0(0229.0*V)",
  "1-0:31.7.0(0.48*A)",
  "1-0:51.7.0(0.44*A)",
  "1-0:71.7.0(0.86*A)",
  "1-0:21.7.0(00.070*kW)",
  "1-0:41.7.0(00.032*kW)",
  "1-0:61.7.0(00.142*kW)",
  "1-0:22.7.0(00.000*kW)",
  "1-0:42.7.0(00.000*kW)",
  "1-0:62.7.0(00.000*kW)",
  "0-1:24.1.0(003)",
  "0-1:96.1.0(3232323241424344313233343536373839)",
  "0-1:24.2.1(170102161005W)(00000.107*m3)",
  "0-2:24.1.0(003)",
  "0-2:96.1.0()",
  "!6EEE",
  "",
].join("\r\n");

const phase = (voltage: number, current: number, kw: number) => ({
  voltage,
  current,
  powerImportKw: kw,
  powerExportKw: 0,
});

const telegram: P1Telegram = {
  identification: "ISk5\\2MT382-1000",
  time: new Date("2026-01-14T07:31:00Z"),
  equipmentId: "E0051000040000000",
  importKwh: [4315.769, 8015.007],
  exportKwh: [0, 0],
  tariff: 2,
  powerImportKw: 0.476,
  powerExportKw: 0,
  powerFailures: 3,
  longPowerFailures: 1,
  voltageSags: [0, 0, 0],
  voltageSwells: [0, 0, 0],
  phases: [phase(229.2, 1.0, 0.228), phase(229.8, 0.8, 0.192), phase(230.9, 0.3, 0.064)],
  gas: { equipmentId: "G0017000007000000", capturedAt: new Date("2026-01-14T07:30:00Z"), volumeM3: 2355.77 },
};

describe("p1Telegram", () => {
  it("computes the published checksum of the DSMR 5 example telegram", () => {
    const { covered, stated } = checksumParts(PUBLISHED_V5);
    expect(stated).toBe("6EEE");
    expect(independentCrc(covered)).toBe("6EEE");
    expect(crc16Arc(Buffer.from(covered, "ascii")).toString(16).toUpperCase()).toBe(stated);
  });

  it("ends each telegram with a CRC that an independent computation over / … ! confirms", () => {
    const text = p1Telegram(telegram);
    const { covered, stated } = checksumParts(text);
    expect(covered.startsWith("/ISk5\\2MT382-1000\r\n\r\n")).toBe(true);
    expect(stated).toMatch(/^[0-9A-F]{4}$/);
    expect(independentCrc(covered)).toBe(stated);
    expect(text.endsWith(`!${stated}\r\n`)).toBe(true);
  });

  it("fails the CRC check once a single digit of a register changes", () => {
    const text = p1Telegram(telegram);
    const { covered, stated } = checksumParts(text.replace("004315.769", "004315.768"));
    expect(independentCrc(covered)).not.toBe(stated);
  });

  it("writes the DSMR 5.0.2 objects with their units and number formats, one per CRLF line", () => {
    const lines = p1Telegram(telegram).split("\r\n");
    expect(lines).toContain("1-3:0.2.8(50)");
    expect(lines).toContain("0-0:1.0.0(260114083100W)");
    expect(lines).toContain(`0-0:96.1.1(${Buffer.from("E0051000040000000").toString("hex").toUpperCase()})`);
    expect(lines).toContain("1-0:1.8.1(004315.769*kWh)");
    expect(lines).toContain("1-0:1.8.2(008015.007*kWh)");
    expect(lines).toContain("0-0:96.14.0(0002)");
    expect(lines).toContain("1-0:1.7.0(00.476*kW)");
    expect(lines).toContain("1-0:32.7.0(229.2*V)");
    expect(lines).toContain("1-0:31.7.0(001*A)");
    expect(lines).toContain("1-0:21.7.0(00.228*kW)");
    expect(lines).toContain("0-1:24.1.0(003)");
    expect(lines).toContain("0-1:24.2.1(260114083000W)(02355.770*m3)");
    expect(lines.filter((line) => line.includes("\n") || line.includes("\r"))).toEqual([]);
  });

  it("writes the power-quality registers and the failure log as the companion standard's example does", () => {
    const lines = p1Telegram({
      ...telegram,
      voltageSags: [2, 1, 0],
      voltageSwells: [0, 3, 0],
      powerFailureLog: [
        { endedAt: new Date("2010-12-08T14:24:15Z"), durationS: 240 },
        { endedAt: new Date("2010-12-08T14:10:04Z"), durationS: 301 },
      ],
    }).split("\r\n");
    expect(lines).toContain("0-0:96.7.21(00003)");
    expect(lines).toContain("0-0:96.7.9(00001)");
    expect(lines).toContain("1-0:99.97.0(2)(0-0:96.7.19)(101208152415W)(0000000240*s)(101208151004W)(0000000301*s)");
    expect(lines).toContain("1-0:32.32.0(00002)");
    expect(lines).toContain("1-0:52.36.0(00003)");
    expect(p1Telegram(telegram).split("\r\n")).toContain("1-0:99.97.0(0)(0-0:96.7.19)");
  });
});

describe("p1Timestamp", () => {
  it("writes local time with W in winter and S in summer", () => {
    expect(p1Timestamp(new Date("2026-01-14T07:31:05Z"))).toBe("260114083105W");
    expect(p1Timestamp(new Date("2026-07-01T10:00:00Z"))).toBe("260701120000S");
  });

  it("tells the repeated hour of the autumn clock change apart by its suffix", () => {
    // 25 October 2026: 02:30 local happens twice, first in summer time, then in winter time.
    expect(p1Timestamp(new Date("2026-10-25T00:30:00Z"))).toBe("261025023000S");
    expect(p1Timestamp(new Date("2026-10-25T01:30:00Z"))).toBe("261025023000W");
  });
});
