import { describe, expect, it } from "vitest";
import { csvLine, csvLines, GERMAN_CSV, RFC4180 } from "./csv.ts";

describe("CSV lines", () => {
  it("RFC 4180: commas, a decimal point, CRLF", () => {
    expect(csvLine(["m1", 12.5, null, true], RFC4180)).toBe("m1,12.5,,true\r\n");
  });

  it("the German dialect: semicolons and a decimal comma", () => {
    expect(csvLine(["m1", 12.5, -0.25], GERMAN_CSV)).toBe("m1;12,5;-0,25\r\n");
  });

  it("quotes text holding a separator, a quote or a line break, and defuses formulas", () => {
    expect(csvLine(["a;b", 'say "hi"', "x\ny", "=SUM(A1)"], GERMAN_CSV)).toBe(
      '"a;b";"say ""hi""";"x\ny";"=SUM(A1)"\r\n',
    );
    expect(csvLine(["a,b"], RFC4180)).toBe('"a,b"\r\n');
  });

  it("writes no text for a number that is not finite", () => {
    expect(csvLine([Number.NaN, Number.POSITIVE_INFINITY], RFC4180)).toBe(",\r\n");
  });

  it("generates a header and one line per row", async () => {
    const lines: string[] = [];
    for await (const line of csvLines(["id", "kwh"], [{ id: "a", kwh: 1.5 }], (r) => [r.id, r.kwh], GERMAN_CSV))
      lines.push(line);
    expect(lines).toEqual(["id;kwh\r\n", "a;1,5\r\n"]);
  });
});
