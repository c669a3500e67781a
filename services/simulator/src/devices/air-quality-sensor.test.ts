import { describe, expect, it } from "vitest";
import { seededRandom } from "../random.ts";
import { airQualitySensor } from "./air-quality-sensor.ts";

const roadside = { esp8266id: "7368787", altitude: 120, trafficExposure: 14, warmth: 0.5 };

/** Mean of a value over the same local hour on the workdays of a January fortnight. */
function meanAt(utcHour: number, valueType: string): number {
  const sensor = airQualitySensor(roadside);
  const random = seededRandom(1);
  const values: number[] = [];
  for (let day = 12; day <= 23; day++) {
    const at = new Date(Date.UTC(2026, 0, day, 0, utcHour * 60));
    if (at.getUTCDay() === 0 || at.getUTCDay() === 6) continue;
    const json = JSON.parse(sensor.next(at, random));
    values.push(Number(json.sensordatavalues.find((v: { value_type: string }) => v.value_type === valueType).value));
  }
  return values.reduce((a, b) => a + b, 0) / values.length;
}

describe("airQualitySensor", () => {
  it("measures more PM10 beside the road in the morning rush than in the early afternoon", () => {
    // 07:30 and 14:00 in Berlin.
    expect(meanAt(6.5, "SDS_P1")).toBeGreaterThan(meanAt(13, "SDS_P1") * 1.2);
  });

  it("keeps PM high on winter nights, when an inversion traps it", () => {
    // 03:00 in Berlin, with no traffic to speak of, against 13:00.
    expect(meanAt(2, "SDS_P1")).toBeGreaterThan(meanAt(12, "SDS_P1"));
  });

  it("reports PM2.5 below PM10 and temperature warmer in the afternoon than before dawn", () => {
    expect(meanAt(8, "SDS_P2")).toBeLessThan(meanAt(8, "SDS_P1"));
    expect(meanAt(14, "BME280_temperature")).toBeGreaterThan(meanAt(5, "BME280_temperature") + 3);
  });
});
