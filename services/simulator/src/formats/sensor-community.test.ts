import { describe, expect, it } from "vitest";
import { sensorCommunity } from "./sensor-community.ts";

describe("sensorCommunity", () => {
  const json = JSON.parse(
    sensorCommunity({
      esp8266id: "7368787",
      softwareVersion: "NRZ-2020-133",
      pm10: 12.3,
      pm2_5: 7.1,
      temperature: 4.2,
      humidity: 81.3,
      pressure: 101325,
      samples: 5033386.4,
      minMicro: 28,
      maxMicro: 20104,
      interval: 145000,
      signal: -67.2,
    }),
  );

  it("carries the chip id and firmware version, and every value as a string", () => {
    expect(json.esp8266id).toBe("7368787");
    expect(json.software_version).toBe("NRZ-2020-133");
    for (const entry of json.sensordatavalues) expect(typeof entry.value).toBe("string");
  });

  it("names the SDS011 and BME280 values as the airrohr firmware does, with two decimals", () => {
    expect(json.sensordatavalues.slice(0, 5)).toEqual([
      { value_type: "SDS_P1", value: "12.30" },
      { value_type: "SDS_P2", value: "7.10" },
      { value_type: "BME280_temperature", value: "4.20" },
      { value_type: "BME280_humidity", value: "81.30" },
      { value_type: "BME280_pressure", value: "101325.00" },
    ]);
  });

  it("appends the firmware's own statistics as whole numbers", () => {
    expect(json.sensordatavalues.slice(5)).toEqual([
      { value_type: "samples", value: "5033386" },
      { value_type: "min_micro", value: "28" },
      { value_type: "max_micro", value: "20104" },
      { value_type: "interval", value: "145000" },
      { value_type: "signal", value: "-67" },
    ]);
  });
});
