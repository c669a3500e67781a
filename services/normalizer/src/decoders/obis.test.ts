import { describe, expect, it } from "vitest";
import { crc16Arc } from "./crc16.ts";
import { parseP1Timestamp, parseQuantity, readP1Telegram } from "./obis.ts";

function withCrc(body: string): Buffer {
  const crc = crc16Arc(Buffer.from(body, "latin1")).toString(16).toUpperCase().padStart(4, "0");
  return Buffer.from(`${body}${crc}\r\n`, "latin1");
}

describe("parseP1Timestamp", () => {
  it("reads W as winter time, UTC+1", () => {
    expect(parseP1Timestamp("170102192002W", "0-0:1.0.0").toISOString()).toBe("2017-01-02T18:20:02.000Z");
  });

  it("reads S as summer time, UTC+2", () => {
    expect(parseP1Timestamp("200426223325S", "0-0:1.0.0").toISOString()).toBe("2020-04-26T20:33:25.000Z");
  });

  it("tells the repeated autumn hour apart by its letter", () => {
    const summer = parseP1Timestamp("261025023000S", "0-0:1.0.0");
    const winter = parseP1Timestamp("261025023000W", "0-0:1.0.0");
    expect(winter.getTime() - summer.getTime()).toBe(3_600_000);
  });

  it("refuses a stamp without season letter and an impossible date", () => {
    expect(() => parseP1Timestamp("170102192002", "0-0:1.0.0")).toThrow(/no valid time stamp/);
    expect(() => parseP1Timestamp("170230120000W", "0-0:1.0.0")).toThrow(/impossible time stamp/);
    expect(() => parseP1Timestamp("170102246000W", "0-0:1.0.0")).toThrow(/impossible time stamp/);
  });
});

describe("parseQuantity", () => {
  it("reads value, unit and the number of decimals", () => {
    expect(parseQuantity("000004.426*kWh")).toEqual({ value: 4.426, unit: "kWh", decimals: 3 });
    expect(parseQuantity("006*A")).toEqual({ value: 6, unit: "A", decimals: 0 });
    expect(parseQuantity("00000000")).toEqual({ value: 0, unit: undefined, decimals: 0 });
  });

  it("gives undefined for text that is not a number", () => {
    expect(parseQuantity("4B384547303034303436333935353037")).toBeUndefined();
    expect(parseQuantity("")).toBeUndefined();
  });
});

describe("readP1Telegram", () => {
  it("splits a telegram with a valid CRC into its objects", () => {
    const telegram = readP1Telegram(
      withCrc("/XMX5LGBBFG10\r\n\r\n1-0:1.8.1(000004.426*kWh)\r\n0-1:24.2.1(170102161005W)(00000.107*m3)\r\n!"),
    );
    expect(telegram.identification).toBe("XMX5LGBBFG10");
    expect(telegram.objects).toEqual([
      { obis: "1-0:1.8.1", values: ["000004.426*kWh"] },
      { obis: "0-1:24.2.1", values: ["170102161005W", "00000.107*m3"] },
    ]);
  });

  it("accepts a CRC without its leading zero and in lower case", () => {
    const body = "/ABC5\r\n\r\n1-0:1.8.1(000001.000*kWh)\r\n!";
    const crc = crc16Arc(Buffer.from(body, "latin1"));
    const text = `${body}${crc.toString(16)}\r\n`;
    expect(readP1Telegram(Buffer.from(text, "latin1")).objects).toHaveLength(1);
  });

  it("refuses a wrong CRC, a missing CRC and a missing end marker", () => {
    expect(() => readP1Telegram(Buffer.from("/ABC5\r\n\r\n1-0:1.8.1(1*kWh)\r\n!0000\r\n"))).toThrow(/CRC mismatch/);
    expect(() => readP1Telegram(Buffer.from("/ABC5\r\n\r\n1-0:1.8.1(1*kWh)\r\n!\r\n"))).toThrow(/CRC mismatch/);
    expect(() => readP1Telegram(Buffer.from("/ABC5\r\n\r\n1-0:1.8.1(1*kWh)\r\n"))).toThrow(/no end marker/);
  });

  it("refuses text before the telegram and a line that is no COSEM object", () => {
    expect(() => readP1Telegram(withCrc("garbage/ABC5\r\n!"))).toThrow(/starts with "\/"/);
    expect(() => readP1Telegram(withCrc("/ABC5\r\n\r\nhello\r\n!"))).toThrow(/line 3 .* not a COSEM object/);
  });
});
