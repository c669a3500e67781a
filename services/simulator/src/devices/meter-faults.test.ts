import { describe, expect, it } from "vitest";
import { loadConfig } from "../config.ts";
import { simulatedDevices } from "../device-catalogue.ts";
import { seededRandom } from "../random.ts";
import {
  exchangedSerial,
  householdMeterIds,
  type MeterFault,
  parseMeterFaults,
  planMeterFaults,
} from "./meter-faults.ts";

const MINUTE = 60_000;
const START = Date.parse("2026-01-14T06:00:00Z");

const fleet = simulatedDevices({
  tenant: "musterstadt",
  topicPrefix: "stadtfluss",
  devices: {
    trafficCounters: 1,
    householdMeters: 1,
    dsmrMeters: 2,
    tasmotaMeters: 2,
    airSensors: 0,
    parkingSensors: 0,
    environmentSensors: 0,
    waterGauges: 0,
    weatherStations: 0,
  },
});

/** One device's messages, one a minute for `minutes`, with the simulator's skipping of a silent device. */
function run(id: string, faults: readonly MeterFault[], minutes: number) {
  const device = fleet.find((d) => d.id === id);
  if (!device) throw new Error(id);
  const random = seededRandom(7);
  const behaviour = device.simulate(random, new Date(START), faults);
  const sent: Array<{ at: number; payload: string }> = [];
  for (let at = START; at <= START + minutes * MINUTE; at += MINUTE) {
    if (behaviour.silent?.(new Date(at))) continue;
    sent.push({ at, payload: behaviour.next(new Date(at), random) });
  }
  return sent;
}

const tasmota = (payload: string) => JSON.parse(payload).SML as { Total_in: number; Meter_id: string };
/** DSMR's equipment id is hex-encoded ASCII in 0-0:96.1.1; the import total is the sum of the tariff registers. */
function dsmr(payload: string) {
  const hex = /0-0:96\.1\.1\(([0-9A-Fa-f]+)\)/.exec(payload)?.[1] ?? "";
  const register = (obis: string) => Number(new RegExp(`1-0:${obis}\\((\\d+\\.\\d+)\\*kWh\\)`).exec(payload)?.[1]);
  return {
    serial: Buffer.from(hex, "hex").toString("ascii"),
    importKwh: register("1\\.8\\.1") + register("1\\.8\\.2"),
  };
}

describe("meter faults", () => {
  it("reads reset, exchange and gap entries, with or without a meter", () => {
    expect(parseMeterFaults("reset@1h, exchange:tasmota-0002@2h30m,gap@40m/30m")).toEqual([
      { kind: "reset", afterMs: 60 * MINUTE, durationMs: 0 },
      { kind: "exchange", device: "tasmota-0002", afterMs: 150 * MINUTE, durationMs: 0 },
      { kind: "gap", afterMs: 40 * MINUTE, durationMs: 30 * MINUTE },
    ]);
    expect(() => parseMeterFaults("gap@40m")).toThrow(/a gap needs a duration/);
    expect(() => parseMeterFaults("reset@1h/5m")).toThrow(/only a gap lasts/);
    expect(() => parseMeterFaults("melt@1h")).toThrow(/"melt@1h" is not/);
  });

  it("places faults without a meter on household meters drawn from the seed: the same seed, the same meters", () => {
    const meters = householdMeterIds(fleet);
    expect(meters).toEqual(["meter-0001", "dsmr-0001", "dsmr-0002", "tasmota-0001", "tasmota-0002"]);
    const specs = parseMeterFaults("reset@1h, exchange@2h, gap:dsmr-0002@30m/20m");
    const plan = planMeterFaults(specs, meters, 11, START);
    expect(planMeterFaults(specs, meters, 11, START)).toEqual(plan);
    expect(plan[2]).toEqual({ kind: "gap", device: "dsmr-0002", at: START + 30 * MINUTE, until: START + 50 * MINUTE });
    expect(plan[0]?.at).toBe(START + 60 * MINUTE);
    // Different meters while there are enough, and only household meters.
    expect(new Set(plan.map((f) => f.device)).size).toBe(3);
    for (const fault of plan) expect(meters).toContain(fault.device);
    // Some other seed puts them elsewhere.
    const elsewhere = [1, 2, 3, 4, 5, 6].some(
      (seed) => planMeterFaults(specs, meters, seed, START)[0]?.device !== plan[0]?.device,
    );
    expect(elsewhere).toBe(true);
    expect(() => planMeterFaults(parseMeterFaults("reset:traffic-0001@1h"), meters, 1, START)).toThrow(
      /not a household meter/,
    );
  });

  it("a reset starts the registers again at 0, and they rise from there", () => {
    const resetAt = START + 30 * MINUTE;
    const sent = run("tasmota-0001", [{ kind: "reset", device: "tasmota-0001", at: resetAt, until: resetAt }], 60);
    const before = sent.filter((m) => m.at < resetAt).map((m) => tasmota(m.payload).Total_in);
    const after = sent.filter((m) => m.at >= resetAt).map((m) => tasmota(m.payload).Total_in);
    expect(before.at(-1)).toBeGreaterThan(100);
    expect(after[0]).toBe(0);
    expect(after.at(-1)).toBeGreaterThan(0);
    expect(after.at(-1)).toBeLessThan(10);
    for (let i = 1; i < after.length; i++) expect(after[i]).toBeGreaterThanOrEqual(after[i - 1] as number);
    // The serial stays.
    expect(new Set(sent.map((m) => tasmota(m.payload).Meter_id)).size).toBe(1);
  });

  it("an exchange brings a new serial behind the same device id, its registers starting low", () => {
    const exchangeAt = START + 20 * MINUTE;
    const sent = run("dsmr-0001", [{ kind: "exchange", device: "dsmr-0001", at: exchangeAt, until: exchangeAt }], 40);
    const before = sent.filter((m) => m.at < exchangeAt).map((m) => dsmr(m.payload));
    const after = sent.filter((m) => m.at >= exchangeAt).map((m) => dsmr(m.payload));
    const oldSerial = before[0]?.serial;
    expect(oldSerial).toMatch(/^E0051\d{11}$/);
    expect(new Set(before.map((r) => r.serial))).toEqual(new Set([oldSerial]));
    const newSerial = after[0]?.serial;
    expect(newSerial).toMatch(/^E0051\d{11}$/);
    expect(newSerial).not.toBe(oldSerial);
    expect(new Set(after.map((r) => r.serial))).toEqual(new Set([newSerial]));
    expect(after[0]?.importKwh).toBeLessThan(10);
    expect(before.at(-1)?.importKwh).toBeGreaterThan(100);
    expect(exchangedSerial(oldSerial as string, 1)).toBe(newSerial);
  });

  it("a gap leaves the meter silent for its duration; it counted on meanwhile", () => {
    const gap = { kind: "gap" as const, device: "meter-0001", at: START + 10 * MINUTE, until: START + 40 * MINUTE };
    const sent = run("meter-0001", [gap], 60);
    expect(sent.filter((m) => m.at >= gap.at && m.at < gap.until)).toEqual([]);
    expect(sent.map((m) => m.at)).toContain(gap.until);
    const register = (m: { payload: string }) =>
      (JSON.parse(m.payload).readings as { kind: string; value: number }[]).find(
        (r) => r.kind === "energy.active_import",
      )?.value as number;
    const last = sent.filter((m) => m.at < gap.at).at(-1);
    const next = sent.find((m) => m.at >= gap.until);
    expect(register(next as { payload: string })).toBeGreaterThan(register(last as { payload: string }));
  });

  it("without faults a meter is left as it is: never silent, the same messages", () => {
    const device = fleet.find((d) => d.id === "tasmota-0002");
    const a = device?.simulate(seededRandom(3), new Date(START));
    const b = device?.simulate(seededRandom(3), new Date(START), []);
    expect(a?.silent).toBeUndefined();
    for (let at = START; at < START + 5 * MINUTE; at += MINUTE)
      expect(a?.next(new Date(at), seededRandom(at))).toBe(b?.next(new Date(at), seededRandom(at)));
  });
});

describe("the fault and clock settings", () => {
  const base = {
    MQTT_URL: "mqtt://localhost:1883",
    SIM_TRAFFIC_COUNTERS: "0",
    SIM_HOUSEHOLD_METERS: "0",
    SIM_DSMR_METERS: "1",
    SIM_TASMOTA_METERS: "1",
    SIM_AIR_SENSORS: "0",
    SIM_PARKING_SENSORS: "0",
    SIM_ENVIRONMENT_SENSORS: "0",
    SIM_WATER_GAUGES: "0",
    SIM_WEATHER_STATIONS: "0",
  };

  it("are off by default: no faults, the clock at real time", () => {
    const config = loadConfig(base);
    expect(config.meterFaults).toEqual([]);
    expect(config.clock).toEqual({ speed: 1 });
  });

  it("name a fault that is wrong or a meter that is not in the fleet, and a clock start in the future", () => {
    expect(() => loadConfig({ ...base, SIM_METER_FAULTS: "gap@1h" })).toThrow(/SIM_METER_FAULTS/);
    expect(() => loadConfig({ ...base, SIM_METER_FAULTS: "reset:dsmr-0002@1h" })).toThrow(
      /SIM_METER_FAULTS.*"dsmr-0002" is not a household meter/,
    );
    expect(() => loadConfig({ ...base, SIM_CLOCK_START: "2999-01-01T00:00:00Z" })).toThrow(/SIM_CLOCK_START/);
    const config = loadConfig({ ...base, SIM_CLOCK_START: "6h", SIM_CLOCK_SPEED: "360", SIM_METER_FAULTS: "reset@1h" });
    expect(config.clock?.speed).toBe(360);
    expect(Date.now() - (config.clock?.start ?? 0)).toBeGreaterThanOrEqual(6 * 60 * MINUTE);
    expect(config.meterFaults).toHaveLength(1);
  });
});
