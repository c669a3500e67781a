import { parseObservation } from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import { observationToPoint } from "./observation-point.ts";

const observation = {
  tenant: "musterstadt",
  deviceId: "p1-0004",
  kind: "gas.volume",
  value: 246.138,
  unit: "m3",
  observedAt: "2020-04-26T20:30:01.000Z",
  receivedAt: "2020-04-26T20:33:26.000Z",
  source: "city",
  district: "Altstadt",
  privacy: "personal",
} as const;

describe("observation → InfluxDB point", () => {
  it("writes an observation without a channel as before: no channel tag, the same series", () => {
    expect(observationToPoint(parseObservation(JSON.stringify(observation))).toLineProtocol()).toBe(
      "gas,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt volume=246.138 1587933001000000000",
    );
  });

  it("writes the channel as a tag, so that two channels of one kind and time are two points", () => {
    const lines = ["1", "2"].map((channel) =>
      observationToPoint(parseObservation(JSON.stringify({ ...observation, channel }))).toLineProtocol(),
    );
    expect(lines).toEqual([
      "gas,channel=1,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt volume=246.138 1587933001000000000",
      "gas,channel=2,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt volume=246.138 1587933001000000000",
    ]);
  });

  it("writes the meter serial as a string field, so that another meter behind the device keeps its series", () => {
    const lines = ["G0039001936990618", "G0039001936990619"].map((meterSerial) =>
      observationToPoint(parseObservation(JSON.stringify({ ...observation, meterSerial }))).toLineProtocol(),
    );
    expect(lines).toEqual([
      'gas,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt meter_serial="G0039001936990618",volume=246.138 1587933001000000000',
      'gas,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt meter_serial="G0039001936990619",volume=246.138 1587933001000000000',
    ]);
  });

  it("writes a parking bay's site as a tag, beside its district", () => {
    const bay = {
      ...observation,
      deviceId: "parking-0001",
      kind: "parking.occupied",
      value: 1,
      unit: "1",
      privacy: "public",
      site: "parkhaus-markt",
    };
    expect(observationToPoint(parseObservation(JSON.stringify(bay))).toLineProtocol()).toBe(
      "parking,device=parking-0001,district=Altstadt,privacy=public,site=parkhaus-markt,source=city,tenant=musterstadt occupied=1 1587933001000000000",
    );
  });

  it("tags a record written before privacy was always set as personal, never as public", () => {
    const { privacy: _, ...withoutPrivacy } = observation;
    expect(observationToPoint(parseObservation(JSON.stringify(withoutPrivacy))).toLineProtocol()).toBe(
      "gas,device=p1-0004,district=Altstadt,privacy=personal,source=city,tenant=musterstadt volume=246.138 1587933001000000000",
    );
  });
});
