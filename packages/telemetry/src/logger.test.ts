import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.ts";

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  return { lines, logger: createLogger("test", "info", destination) };
}

describe("createLogger", () => {
  it("redacts credentials inside any URL it logs, in fields and in errors", () => {
    const { lines, logger } = capture();
    const url = "http://admin:url-pw-3c9d@influx.stadt.example:8086/query";
    logger.error(
      { url, err: new TypeError(`Request cannot be constructed from a URL that includes credentials: ${url}`) },
      "InfluxDB query failed",
    );
    logger.warn({ broker: "mqtts://bridge:url-pw-3c9d@mqtt.stadt.example:8883" }, "mqtt error");
    const output = lines.join("");
    expect(output).not.toContain("url-pw-3c9d");
    expect(output).not.toContain("admin:");
    expect(output).toContain("http://[redacted]@influx.stadt.example:8086/query");
    expect(output).toContain("mqtts://[redacted]@mqtt.stadt.example:8883");
  });

  it("keeps URLs without credentials as they are", () => {
    const { lines, logger } = capture();
    logger.info({ url: "http://influx.stadt.example:8086/ping", mail: "someone@stadt.example" }, "checked");
    expect(lines.join("")).toContain('"url":"http://influx.stadt.example:8086/ping","mail":"someone@stadt.example"');
  });
});
