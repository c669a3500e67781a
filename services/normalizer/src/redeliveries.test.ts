import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { decoders } from "./decoders/index.ts";
import { defaultDecoderContext, NormalizeError, type NormalizeOptions } from "./normalize.ts";
import type { RawRecord } from "./raw-record.ts";
import { Redeliveries } from "./redeliveries.ts";

const options: NormalizeOptions = { decoders, context: defaultDecoderContext };
const station = '{"esp8266id":"12331981","sensordatavalues":[{"value_type":"SDS_P1","value":"0.40"}]}';
const first = new Date("2026-11-25T07:30:00.000Z");
const later = new Date("2026-11-25T07:31:00.000Z");

function record(overrides: Partial<RawRecord> = {}): RawRecord {
  return {
    key: "esp-12331981",
    value: Buffer.from(station),
    source: "city",
    format: "sensor-community",
    tenant: "musterstadt",
    mqttTopic: "stadtfluss/musterstadt/esp-12331981/up",
    receivedAt: first,
    packetId: 7,
    ...overrides,
  };
}

function setUp(memory = 1_000) {
  const registry = new Registry();
  const redeliveries = new Redeliveries({ memory, windowMs: 3_600_000 }, registry);
  const times = (raw: RawRecord) => redeliveries.normalize(raw, options).observations.map((o) => o.observedAt);
  const outcomes = async () =>
    Object.fromEntries(
      ((await registry.getSingleMetric("stadtfluss_redelivered_messages_total")?.get())?.values ?? []).map((v) => [
        `${v.labels.flag}/${v.labels.outcome}`,
        v.value,
      ]),
    );
  return { redeliveries, times, outcomes };
}

function failure(fn: () => unknown): NormalizeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof NormalizeError) return error;
    throw error;
  }
  throw new Error("expected a NormalizeError");
}

describe("redeliveries of formats that take the receive time", () => {
  it("give a copy the broker sent again (DUP, same packet identifier) the receive time of its first copy", async () => {
    const { redeliveries, times, outcomes } = setUp();
    const original = redeliveries.normalize(record(), options).observations;
    const copy = redeliveries.normalize(record({ duplicate: true, receivedAt: later }), options).observations;
    expect(copy).toEqual(original);
    expect(copy.map((o) => o.receivedAt)).toEqual([first.toISOString()]);
    expect(times(record({ duplicate: true, receivedAt: new Date("2026-11-25T08:00:00Z") }))).toEqual([
      first.toISOString(),
    ]);
    expect(await outcomes()).toEqual({ "dup/matched": 2 });
  });

  it("store a copy whose first copy was not seen at its own receive time and count it as unmatched", async () => {
    const { times, outcomes } = setUp();
    expect(times(record({ duplicate: true, receivedAt: later }))).toEqual([later.toISOString()]);
    expect(await outcomes()).toEqual({ "dup/unmatched": 1 });
  });

  it("take an identical payload without the DUP flag as a new message: a meter that stands still", async () => {
    const { times, outcomes } = setUp();
    times(record());
    expect(times(record({ receivedAt: later, packetId: 8 }))).toEqual([later.toISOString()]);
    expect(await outcomes()).toEqual({});
  });

  it("match a copy by its packet identifier, so identical payloads in flight keep their own times", () => {
    const { times } = setUp();
    const second = new Date(first.getTime() + 10_000);
    times(record({ packetId: 7 }));
    times(record({ packetId: 8, receivedAt: second }));
    expect(times(record({ packetId: 7, duplicate: true, receivedAt: later }))).toEqual([first.toISOString()]);
    expect(times(record({ packetId: 8, duplicate: true, receivedAt: later }))).toEqual([second.toISOString()]);
    // Flagged as sent again, but with an identifier no copy had: its first copy never reached Kafka.
    expect(times(record({ packetId: 9, duplicate: true, receivedAt: later }))).toEqual([later.toISOString()]);
  });

  it("take a copy for its own message where a later message was given its packet identifier", async () => {
    const { times, outcomes } = setUp();
    const second = new Date(first.getTime() + 10_000);
    const other = Buffer.from(station.replace("0.40", "0.50"));
    times(record());
    // Acknowledged, the identifier went to the next message: on this topic, and on another.
    times(record({ receivedAt: second, value: other }));
    expect(times(record({ duplicate: true, receivedAt: later, value: other }))).toEqual([second.toISOString()]);
    expect(times(record({ duplicate: true, receivedAt: later }))).toEqual([later.toISOString()]);
    times(record({ receivedAt: second, mqttTopic: "stadtfluss/musterstadt/esp-2/up" }));
    expect(times(record({ duplicate: true, receivedAt: later, value: other }))).toEqual([later.toISOString()]);
    expect(await outcomes()).toEqual({ "dup/matched": 1, "dup/unmatched": 2 });
  });

  it("keep the packet identifiers of each source apart, and tell payloads of one length apart", () => {
    const { times } = setUp();
    const second = new Date(first.getTime() + 10_000);
    times(record({ source: "city" }));
    times(record({ source: "ttn", receivedAt: second }));
    const copy = { duplicate: true, receivedAt: later };
    expect(times(record({ ...copy, source: "city" }))).toEqual([first.toISOString()]);
    expect(times(record({ ...copy, source: "ttn" }))).toEqual([second.toISOString()]);
    // Same length, one digit changed: another message that took the identifier.
    const sameLength = Buffer.from(station.replace("0.40", "0.41"));
    expect(sameLength.length).toBe(Buffer.byteLength(station));
    expect(times(record({ ...copy, source: "city", value: sameLength }))).toEqual([later.toISOString()]);
  });

  it("take a copy whose only match arrived more than the window earlier as its own message", async () => {
    const { times, outcomes } = setUp();
    times(record());
    const nextDay = new Date(first.getTime() + 86_400_000);
    // Flagged, same identifier and payload, but a day later: the identifier was used again.
    expect(times(record({ duplicate: true, receivedAt: nextDay }))).toEqual([nextDay.toISOString()]);
    expect(await outcomes()).toEqual({ "dup/unmatched": 1 });
  });

  it("keep apart the same payload on another topic, source or tenant", () => {
    const { times } = setUp();
    times(record());
    const copy = { duplicate: true, receivedAt: later };
    expect(times(record({ ...copy, mqttTopic: "stadtfluss/musterstadt/esp-2/up" }))).toEqual([later.toISOString()]);
    expect(times(record({ ...copy, source: "ttn" }))).toEqual([later.toISOString()]);
    expect(times(record({ ...copy, tenant: "nachbarstadt" }))).toEqual([later.toISOString()]);
  });

  it("give a retained copy of the last message seen on its topic that message's receive time", async () => {
    const { redeliveries, times, outcomes } = setUp();
    times(record());
    expect(times(record({ retain: true, packetId: 3, receivedAt: later }))).toEqual([first.toISOString()]);
    // A retained message older than the last one on its topic: when it was measured is unknown.
    times(record({ packetId: 4, value: Buffer.from(station.replace("0.40", "0.50")), receivedAt: later }));
    expect(failure(() => redeliveries.normalize(record({ retain: true, packetId: 5 }), options)).stage).toBe("policy");
    expect(await outcomes()).toEqual({ "retain/matched": 1, "retain/refused": 1 });
  });

  it("keep the last message of each source and tenant on a topic name they share", () => {
    const { times } = setUp();
    const second = new Date(first.getTime() + 10_000);
    const other = Buffer.from(station.replace("0.40", "0.50"));
    times(record({ source: "city" }));
    times(record({ source: "ttn", receivedAt: second, value: other }));
    times(record({ tenant: "nachbarstadt", receivedAt: second }));
    const retained = { retain: true, receivedAt: later };
    expect(times(record({ ...retained, source: "city" }))).toEqual([first.toISOString()]);
    expect(times(record({ ...retained, source: "ttn", value: other }))).toEqual([second.toISOString()]);
    expect(times(record({ ...retained, tenant: "nachbarstadt" }))).toEqual([second.toISOString()]);
    // Each after the turn of the newer generation too (memory 1: every new topic turns it).
    const { times: timesAfterTurn } = setUp(1);
    timesAfterTurn(record({ source: "city" }));
    timesAfterTurn(record({ source: "ttn", receivedAt: second }));
    timesAfterTurn(record({ mqttTopic: "stadtfluss/musterstadt/esp-2/up", receivedAt: second }));
    expect(timesAfterTurn(record({ ...retained, source: "city" }))).toEqual([first.toISOString()]);
  });

  it("refuse a retained message without a time of its own that was never seen: when it was measured is unknown", async () => {
    const { redeliveries, outcomes } = setUp();
    const error = failure(() => redeliveries.normalize(record({ retain: true }), options));
    expect(error.stage).toBe("policy");
    expect(error.message).toMatch(/^retained message without a time of its own/);
    // SenML with a relative time: the time follows the receive time, shifted.
    const relative = record({ format: "senml", value: Buffer.from('[{"n":"temperature","u":"Cel","v":21.5,"t":-5}]') });
    expect(failure(() => redeliveries.normalize({ ...relative, retain: true }, options)).stage).toBe("policy");
    expect(await outcomes()).toEqual({ "retain/refused": 2 });
  });

  it("store a retained or redelivered message with a time of its own as it is: its point is the same anyway", async () => {
    const { times, outcomes } = setUp();
    const own = record({
      format: "stadtfluss-json",
      value: Buffer.from(
        '{"time":"2026-11-25T07:29:00Z","readings":[{"kind":"air.temperature","value":21.5,"unit":"Cel"}]}',
      ),
    });
    expect(times({ ...own, retain: true, receivedAt: later })).toEqual(["2026-11-25T07:29:00.000Z"]);
    expect(times({ ...own, duplicate: true, packetId: 11, receivedAt: later })).toEqual(["2026-11-25T07:29:00.000Z"]);
    expect(await outcomes()).toEqual({ "retain/own_time": 1, "dup/own_time": 1 });
  });

  it("remember at least the last `memory` messages, and forget older ones: memory stays bounded", () => {
    const { times } = setUp(1_000);
    const numbered = (id: number, overrides: Partial<RawRecord> = {}) =>
      record({ packetId: id, value: Buffer.from(station.replace("0.40", `${id}`)), ...overrides });
    for (let id = 1; id <= 2_001; id++) times(numbered(id));
    const copy = (id: number) => times(numbered(id, { duplicate: true, receivedAt: later }));
    expect(copy(1)).toEqual([later.toISOString()]);
    expect(copy(1_001)).toEqual([first.toISOString()]);
    expect(copy(2_001)).toEqual([first.toISOString()]);
  });
});
