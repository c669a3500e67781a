import { createLogger, createPipelineMetrics } from "@stadtfluss/telemetry";
import { describe, expect, it } from "vitest";
import { deadLetterHeaders, droppedValueHeader, SMALLEST_REQUEST_BYTES } from "./dead-letter.ts";
import { createFailureRecorder } from "./failure-recorder.ts";
import { headerString } from "./headers.ts";
import { fitsInRequest } from "./record-size.ts";
import { topicsFor } from "./topics.ts";

const topics = topicsFor("test.");

function recorder(maxRequestBytes = 1_000_000) {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("normalizer", "info", { write: (line: string) => lines.push(JSON.parse(line)) });
  const metrics = createPipelineMetrics("normalizer");
  const record = createFailureRecorder({ worker: "normalizer", topics, logger, metrics, maxRequestBytes });
  const count = async (name: string) =>
    ((await metrics.registry.getSingleMetric(name)?.get())?.values ?? []).map(({ labels, value }) => ({
      ...labels,
      value,
    }));
  return { record, lines, count };
}

const message = { key: Buffer.from("air-0001"), value: Buffer.from("{"), headers: {}, offset: "41" };

describe("createFailureRecorder", () => {
  it("counts the failure and the dead letter, logs stage and reason, and builds the dead letter", async () => {
    const { record, lines, count } = recorder();
    const out = record({ stage: "decode", error: new TypeError("not JSON"), message, topic: "raw", partition: 2 });
    expect(out.topic).toBe(topics.deadLetter);
    expect(out.message.value).toBe(message.value);
    expect(headerString(out.message.headers, deadLetterHeaders.offset)).toBe("41");
    expect(headerString(out.message.headers, deadLetterHeaders.partition)).toBe("2");
    expect(headerString(out.message.headers, deadLetterHeaders.worker)).toBe("normalizer");
    expect(await count("stadtfluss_messages_failed_total")).toEqual([
      { stage: "decode", error_class: "TypeError", value: 1 },
    ]);
    expect(await count("stadtfluss_dead_letters_total")).toEqual([{ stage: "decode", value: 1 }]);
    expect(lines).toMatchObject([
      { level: "warn", msg: "dead letter", stage: "decode", reason: "not JSON", offset: "41" },
    ]);
  });

  it("sends a quarantined record to the quarantine topic without counting it as a dead letter", async () => {
    const { record, lines, count } = recorder();
    const out = record({ stage: "enrich", error: new Error("unknown device"), message, quarantine: true });
    expect(out.topic).toBe(topics.quarantine);
    expect(headerString(out.message.headers, deadLetterHeaders.stage)).toBe("enrich");
    expect(await count("stadtfluss_dead_letters_total")).toEqual([]);
    expect(lines).toMatchObject([{ msg: "quarantined" }]);
  });

  it("writes no origin headers for a record that never was in Kafka, and logs the worker's own line", async () => {
    const { record, lines } = recorder();
    const out = record({
      stage: "admit",
      error: new Error("payload too large"),
      message: { key: "air-0001", value: null, headers: { "stadtfluss.mqtt.topic": "city/air-0001/up" } },
      log: { level: "error", msg: "oversized payload refused", fields: { bytes: 9 } },
    });
    expect(headerString(out.message.headers, deadLetterHeaders.topic)).toBeUndefined();
    expect(headerString(out.message.headers, deadLetterHeaders.offset)).toBeUndefined();
    expect(headerString(out.message.headers, "stadtfluss.mqtt.topic")).toBe("city/air-0001/up");
    expect(lines).toMatchObject([{ level: "error", msg: "oversized payload refused", stage: "admit", bytes: 9 }]);
  });

  it("cuts the dead letter to fit a request", () => {
    const { record } = recorder(SMALLEST_REQUEST_BYTES);
    const large = { ...message, value: Buffer.alloc(SMALLEST_REQUEST_BYTES * 2) };
    const out = record({ stage: "produce", error: new Error("too large"), message: large });
    expect(fitsInRequest(out.message, SMALLEST_REQUEST_BYTES)).toBe(true);
    expect(headerString(out.message.headers, droppedValueHeader)).toBe(String(SMALLEST_REQUEST_BYTES * 2));
  });
});
