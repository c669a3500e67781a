import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { InfluxDB, Point } from "@influxdata/influxdb-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { groupByDatabase, ObservationWriter } from "./observation-writer.ts";

describe("groupByDatabase", () => {
  it("gives one group per database, in order of first appearance, with the batch's indexes ascending", () => {
    expect(groupByDatabase(["a_public", "b_personal", "a_public", "a_personal", "b_personal"])).toEqual([
      { database: "a_public", indexes: [0, 2] },
      { database: "b_personal", indexes: [1, 4] },
      { database: "a_personal", indexes: [3] },
    ]);
  });

  it("keeps a batch of one database whole and an empty batch empty", () => {
    expect(groupByDatabase(["a_public", "a_public", "a_public"])).toEqual([
      { database: "a_public", indexes: [0, 1, 2] },
    ]);
    expect(groupByDatabase([])).toEqual([]);
  });
});

// The request InfluxDB would get, taken from a server that acknowledges every write.
const bodies: { url: string; body: string }[] = [];
const server = createServer((request, response) => {
  let body = "";
  request.setEncoding("utf8");
  request.on("data", (chunk: string) => {
    body += chunk;
  });
  request.on("end", () => {
    bodies.push({ url: request.url ?? "", body });
    response.writeHead(204).end();
  });
});
let url = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("ObservationWriter's request body", () => {
  it("is the batch's lines in order, one per line, a point as the client writes it and one without fields left out", async () => {
    const writer = new ObservationWriter({ url, org: "", bucket: "b", database: "b", gzip: false });
    const point = new Point("air")
      .tag("device", "air-0001")
      .floatField("pm10", 7.5)
      .timestamp(new Date(1_700_000_000_123));
    const lines = [
      "traffic,device=c-1 vehicle_count=3,seq=1i 1700000000000",
      "traffic,device=c-2 vehicle_count=4,seq=2i 1700000000001",
    ];
    bodies.length = 0;
    await writer.write([lines[0] as string, point, new Point("air").tag("device", "air-0002"), lines[1] as string]);
    await writer.close();
    // The client's own line for the point, at the writer's millisecond precision.
    const api = new InfluxDB({ url: "http://influxdb.invalid" }).getWriteApi("", "b", "ms");
    expect(bodies).toEqual([
      { url: expect.stringContaining("bucket=b"), body: [lines[0], point.toLineProtocol(api), lines[1]].join("\n") },
    ]);
    await api.close().catch(() => undefined);
  });
});
