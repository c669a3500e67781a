import { env, parseEnv, parseInstant, type Secret } from "@stadtfluss/config";
import { tenantIdSchema } from "@stadtfluss/registry";
import { loadServiceConfig, opsEnv, type ServiceSettings } from "@stadtfluss/telemetry";
import { z } from "zod";
import { simulatedDevices } from "./device-catalogue.ts";
import { householdMeterIds, type MeterFaultSpec, parseMeterFaults } from "./devices/meter-faults.ts";

/** How many devices of each family the simulation runs. */
export interface DeviceCounts {
  readonly trafficCounters: number;
  readonly householdMeters: number;
  readonly dsmrMeters: number;
  readonly tasmotaMeters: number;
  readonly airSensors: number;
  readonly parkingSensors: number;
  readonly environmentSensors: number;
  readonly waterGauges: number;
  readonly weatherStations: number;
}

/** The simulated fleet: enough to publish it, or to print its device registry. */
export interface FleetConfig {
  readonly tenant: string;
  readonly topicPrefix: string;
  readonly devices: DeviceCounts;
}

const count = (fallback: number) => env.integer(0, 1_000_000).default(fallback);

const fleetEnv = z.object({
  // The registry's rule: the printed registry declares this tenant.
  SIM_TENANT: tenantIdSchema.default("musterstadt"),
  SIM_TOPIC_PREFIX: env.text().default("stadtfluss"),
  // The defaults show every payload format.
  SIM_TRAFFIC_COUNTERS: count(20),
  SIM_HOUSEHOLD_METERS: count(20),
  SIM_DSMR_METERS: count(15),
  SIM_TASMOTA_METERS: count(15),
  SIM_AIR_SENSORS: count(10),
  SIM_PARKING_SENSORS: count(30),
  SIM_ENVIRONMENT_SENSORS: count(8),
  SIM_WATER_GAUGES: count(4),
  SIM_WEATHER_STATIONS: count(3),
});

type FleetEnv = z.output<typeof fleetEnv>;

function countsOf(e: FleetEnv): DeviceCounts {
  return {
    trafficCounters: e.SIM_TRAFFIC_COUNTERS,
    householdMeters: e.SIM_HOUSEHOLD_METERS,
    dsmrMeters: e.SIM_DSMR_METERS,
    tasmotaMeters: e.SIM_TASMOTA_METERS,
    airSensors: e.SIM_AIR_SENSORS,
    parkingSensors: e.SIM_PARKING_SENSORS,
    environmentSensors: e.SIM_ENVIRONMENT_SENSORS,
    waterGauges: e.SIM_WATER_GAUGES,
    weatherStations: e.SIM_WEATHER_STATIONS,
  };
}

const simulatorEnv = z.object({
  ...opsEnv.shape,
  MQTT_URL: env.url(["mqtt", "mqtts", "ws", "wss"], {
    credentialsIn: "in MQTT_USERNAME and MQTT_PASSWORD or MQTT_PASSWORD_FILE",
  }),
  MQTT_USERNAME: env.text().optional(),
  MQTT_PASSWORD: env.secret().optional(),
  ...fleetEnv.shape,
  /** Messages per second over all devices. */
  SIM_RATE: env.integer(1, 1_000_000).default(20),
  /** Stop after this many messages (all acknowledged); unset runs until stopped. */
  SIM_COUNT: env.integer(1, Number.MAX_SAFE_INTEGER).optional(),
  SIM_SEED: env.integer(0, 2 ** 31 - 1).optional(),
  /** Publishes not yet acknowledged by the broker before the simulator waits. */
  SIM_MAX_IN_FLIGHT: env.integer(1, 65_535).default(1_000),
  /** Where the devices' clock starts: an instant with an offset, or a duration ago (`6h`); unset: now. */
  SIM_CLOCK_START: env.text().optional(),
  /** How much faster than real time the devices' clock runs until it reaches real time. */
  SIM_CLOCK_SPEED: env.integer(1, 100_000).default(1),
  /** Faults of household meters (devices/meter-faults.ts); unset: none. */
  SIM_METER_FAULTS: env.text().optional(),
});

export interface SimulatorConfig extends FleetConfig, ServiceSettings {
  readonly mqtt: { readonly url: string; readonly username?: string; readonly password?: Secret };
  readonly rate: number;
  readonly count?: number;
  readonly seed: number;
  readonly maxInFlight: number;
  /** The devices' clock: its start (epoch ms; unset: now) and speed (unset: 1). */
  readonly clock?: { readonly start?: number; readonly speed: number };
  readonly meterFaults?: readonly MeterFaultSpec[];
}

function atLeastOneDevice<T extends z.ZodType<FleetEnv>>(schema: T) {
  return schema.refine((e) => Object.values(countsOf(e)).some((n) => n > 0), {
    path: ["SIM_TRAFFIC_COUNTERS"],
    error: "no devices: every SIM_* device count is 0",
  });
}

function fleetFrom(e: FleetEnv): FleetConfig {
  return { tenant: e.SIM_TENANT, topicPrefix: e.SIM_TOPIC_PREFIX, devices: countsOf(e) };
}

/** Only the fleet's settings, for tools that describe the simulation without running it. */
export function loadFleetConfig(environment: Readonly<Record<string, string | undefined>>): FleetConfig {
  return fleetFrom(parseEnv(atLeastOneDevice(fleetEnv), environment));
}

/** The clock and fault settings, each problem under its own name. */
function clockAndFaults<T extends z.ZodType<z.output<typeof simulatorEnv>>>(schema: T) {
  return schema.superRefine((e, ctx) => {
    if (e.SIM_CLOCK_START !== undefined) {
      try {
        if (parseInstant(e.SIM_CLOCK_START, new Date()).getTime() > Date.now())
          throw new Error("must not lie in the future: the clock runs fast only until it reaches real time");
      } catch (error) {
        ctx.addIssue({ code: "custom", path: ["SIM_CLOCK_START"], message: (error as Error).message });
      }
    }
    if (e.SIM_METER_FAULTS === undefined) return;
    try {
      const meters = householdMeterIds(simulatedDevices(fleetFrom(e)));
      for (const fault of parseMeterFaults(e.SIM_METER_FAULTS))
        if (fault.device !== undefined && !meters.includes(fault.device))
          throw new Error(`"${fault.device}" is not a household meter of the fleet`);
    } catch (error) {
      ctx.addIssue({ code: "custom", path: ["SIM_METER_FAULTS"], message: (error as Error).message });
    }
  });
}

export function loadConfig(environment: Readonly<Record<string, string | undefined>>): SimulatorConfig {
  return loadServiceConfig(clockAndFaults(atLeastOneDevice(simulatorEnv)), environment, (parsed) => ({
    ...fleetFrom(parsed),
    mqtt: {
      url: parsed.MQTT_URL,
      ...(parsed.MQTT_USERNAME ? { username: parsed.MQTT_USERNAME } : {}),
      ...(parsed.MQTT_PASSWORD ? { password: parsed.MQTT_PASSWORD } : {}),
    },
    rate: parsed.SIM_RATE,
    ...(parsed.SIM_COUNT === undefined ? {} : { count: parsed.SIM_COUNT }),
    seed: parsed.SIM_SEED ?? Math.floor(Math.random() * 2 ** 31),
    maxInFlight: parsed.SIM_MAX_IN_FLIGHT,
    clock: {
      ...(parsed.SIM_CLOCK_START === undefined
        ? {}
        : { start: parseInstant(parsed.SIM_CLOCK_START, new Date()).getTime() }),
      speed: parsed.SIM_CLOCK_SPEED,
    },
    meterFaults: parsed.SIM_METER_FAULTS === undefined ? [] : parseMeterFaults(parsed.SIM_METER_FAULTS),
  }));
}
