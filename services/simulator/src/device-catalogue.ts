import type { Privacy } from "@stadtfluss/schemas";
import type { FleetConfig } from "./config.ts";
import { deviceTypes, type RegistryDeviceType } from "./device-types.ts";
import { airQualitySensor } from "./devices/air-quality-sensor.ts";
import type { SimulatedDevice } from "./devices/device.ts";
import { dsmrMeter, dsmrPowerQuality } from "./devices/dsmr-meter.ts";
import { environmentSensor } from "./devices/environment-sensor.ts";
import { gasMeter } from "./devices/gas-load.ts";
import { householdLoad, householdTraits } from "./devices/household-load.ts";
import { householdMeter } from "./devices/household-meter.ts";
import { type MeterFault, meterFaults } from "./devices/meter-faults.ts";
import { parkingSensor } from "./devices/parking-sensor.ts";
import { tasmotaMeter } from "./devices/tasmota-meter.ts";
import { trafficCounter } from "./devices/traffic-counter.ts";
import { waterGauge } from "./devices/water-gauge.ts";
import { weatherStation } from "./devices/weather-station.ts";
import type { ChirpstackDeviceInfo } from "./formats/chirpstack-v4.ts";
import { lorawanEndDevice } from "./lorawan/end-device.ts";
import type { ThingsStackDevice } from "./lorawan/things-stack-uplink.ts";
import { bayOf, parkingSiteOf } from "./parking-sites.ts";
import { between, namedRandom, randomHex, randomUuid } from "./random.ts";
import { districtOf, type Location, placeAround, riverBank } from "./town-map.ts";

/** The payload formats the simulator speaks, by the normalizer's format ids. */
export type PayloadFormat =
  | "stadtfluss-json"
  | "dsmr-p1"
  | "tasmota-sml"
  | "sensor-community"
  | "ttn-v3"
  | "chirpstack-v4"
  | "senml";

/** One simulated device: where it publishes, what the registry says about it, and how it behaves. */
export interface CatalogueDevice {
  /** The device id as the MQTT topic carries it, and as the registry knows it. */
  readonly id: string;
  readonly tenant: string;
  readonly format: PayloadFormat;
  readonly topic: string;
  readonly type: RegistryDeviceType;
  readonly location: Location;
  readonly district: string;
  /** The car park of a parking bay's sensor. */
  readonly site?: string;
  readonly department: string;
  /** Household meters are personal data; everything else is public. */
  readonly privacy: Privacy;
  /**
   * The device's behaviour for one run; `random` is the run's seeded generator,
   * `faults` those of the run's meter faults that are this device's (household meters only).
   */
  simulate(random: () => number, startedAt: Date, faults?: readonly MeterFault[]): SimulatedDevice;
}

/** A subscription for the mqtt-bridge's `MQTT_SOURCES`: `{device}` and `{tenant}` are read from the topic. */
export interface MqttSubscription {
  readonly topic: string;
  readonly format: PayloadFormat;
  /** For topics that do not name the tenant. */
  readonly tenant?: string;
}

const TTN_APPLICATIONS = { parking: "parking-sensors", classrooms: "classroom-climate" } as const;
const TTN_JOIN_EUI = "70B3D57ED0001A00";

/** ChirpStack's UUIDs for the tenant's gauge network: fixed per tenant, so topics stay put across runs. */
function chirpstackIds(tenant: string) {
  const random = namedRandom(`chirpstack/${tenant}`);
  return {
    tenantId: randomUuid(random),
    applicationId: randomUuid(random),
    deviceProfileId: randomUuid(random),
  };
}

/** Every topic pattern the simulated fleet publishes on, with its payload format. */
export function mqttSubscriptions(config: Pick<FleetConfig, "tenant" | "topicPrefix">): MqttSubscription[] {
  const { tenant } = config;
  return [
    { topic: `${config.topicPrefix}/{tenant}/{device}/up`, format: "stadtfluss-json" },
    { topic: "dsmr/{device}/telegram", format: "dsmr-p1", tenant },
    { topic: "tele/{device}/SENSOR", format: "tasmota-sml", tenant },
    { topic: "airrohr/{device}/data", format: "sensor-community", tenant },
    { topic: "v3/{application}@{tenant}/devices/{device}/up", format: "ttn-v3" },
    { topic: "application/{application}/device/{device}/event/up", format: "chirpstack-v4", tenant },
    { topic: "senml/{device}", format: "senml", tenant },
  ];
}

const number = (i: number) => String(i + 1).padStart(4, "0");

/**
 * The simulated fleet of `config`, family by family. A device's id, place and
 * traits follow from its family and number alone (not from the run's seed), so
 * that a registry printed by `registry-file.ts` matches every run.
 */
export function simulatedDevices(config: FleetConfig): CatalogueDevice[] {
  const { tenant, devices: counts } = config;
  const devices: CatalogueDevice[] = [];
  const add = (
    count: number,
    make: (i: number) => Omit<CatalogueDevice, "tenant" | "district" | "privacy"> & {
      privacy?: "personal";
    },
  ) => {
    for (let i = 0; i < count; i++) {
      const device = make(i);
      devices.push({ privacy: "public", ...device, tenant, district: districtOf(device.location) });
    }
  };
  const householdFor = (id: string, random: () => number) =>
    householdLoad(householdTraits(namedRandom(`${id}/household`)), random);

  add(counts.trafficCounters, (i) => {
    const id = `traffic-${number(i)}`;
    const traits = namedRandom(id);
    const lanes = 1 + Math.floor(traits() * 3);
    return {
      id,
      format: "stadtfluss-json",
      topic: `${config.topicPrefix}/${tenant}/${id}/up`,
      type: deviceTypes.trafficCounter,
      location: placeAround(traits, 0.3, 3.5),
      department: "Tiefbauamt",
      simulate: () => trafficCounter(lanes),
    };
  });

  add(counts.householdMeters, (i) => {
    const id = `meter-${number(i)}`;
    return {
      id,
      format: "stadtfluss-json",
      topic: `${config.topicPrefix}/${tenant}/${id}/up`,
      type: deviceTypes.householdMeter,
      location: placeAround(namedRandom(id), 0.2, 4),
      department: "Stadtwerke",
      privacy: "personal",
      simulate: (random, _startedAt, faults = []) => {
        const meter = meterFaults(householdFor(id, random), faults);
        return meter.publishing(householdMeter(meter.load));
      },
    };
  });

  const P1_IDENTIFICATIONS = ["ISk5\\2MT382-1000", "KFM5KAIFA-METER", "Ene5\\T210-D ESMR5.0"];
  add(counts.dsmrMeters, (i) => {
    const id = `dsmr-${number(i)}`;
    const traits = namedRandom(id);
    const identity = {
      identification: P1_IDENTIFICATIONS[i % P1_IDENTIFICATIONS.length] ?? "ISk5\\2MT382-1000",
      equipmentId: `E0051${String(4_000_000 + i * 37).padStart(11, "0")}`,
      gasEquipmentId: `G0017${String(7_000_000 + i * 53).padStart(12, "0")}`,
    };
    const annualGasM3 = Math.round(between(traits, 700, 1_900));
    return {
      id,
      format: "dsmr-p1",
      topic: `dsmr/${id}/telegram`,
      type: deviceTypes.dsmrMeter,
      location: placeAround(traits, 0.2, 4),
      department: "Stadtwerke",
      privacy: "personal",
      simulate: (random, _startedAt, faults = []) => {
        const meter = meterFaults(householdFor(id, random), faults);
        return meter.publishing(
          dsmrMeter(
            identity,
            meter.load,
            gasMeter(annualGasM3, random),
            dsmrPowerQuality(namedRandom(`${id}/power-quality`)),
            (at) => meter.serialAt(at, identity.equipmentId),
          ),
        );
      },
    };
  });

  add(counts.tasmotaMeters, (i) => {
    const id = `tasmota-${number(i)}`;
    // An SML server id: 0A 01, the manufacturer EMH in ASCII, then the meter's number.
    const meterId = `0a01454d4800${(0x100000 + i * 97).toString(16).padStart(8, "0")}`;
    return {
      id,
      format: "tasmota-sml",
      topic: `tele/${id}/SENSOR`,
      type: deviceTypes.tasmotaMeter,
      location: placeAround(namedRandom(id), 0.2, 4),
      department: "Stadtwerke",
      privacy: "personal",
      simulate: (random, _startedAt, faults = []) => {
        const meter = meterFaults(householdFor(id, random), faults);
        return meter.publishing(tasmotaMeter(meter.load, (at) => meter.serialAt(at, meterId)));
      },
    };
  });

  add(counts.airSensors, (i) => {
    // ESP8266 chip ids are 24 bits; an odd multiplier keeps them distinct.
    const chipId = String(((i + 1) * 7_368_787) % 16_777_216);
    const id = `esp8266-${chipId}`;
    const traits = namedRandom(id);
    const roadside = traits() < 0.4;
    const site = {
      esp8266id: chipId,
      altitude: Math.round(between(traits, 105, 145)),
      trafficExposure: roadside ? between(traits, 8, 16) : between(traits, 1, 4),
      warmth: between(traits, 0, 1.2),
    };
    return {
      id,
      format: "sensor-community",
      topic: `airrohr/${id}/data`,
      type: deviceTypes.airSensor,
      location: placeAround(traits, 0, 4),
      department: "Umweltamt",
      simulate: () => airQualitySensor(site),
    };
  });

  // DevEUIs from one block per family, numbered, so they never collide.
  const thingsStack = (
    id: string,
    applicationId: string,
    block: number,
    i: number,
    traits: () => number,
  ): Omit<ThingsStackDevice, "devAddr"> => ({
    deviceId: id,
    applicationId,
    devEui: `70B3D57ED0${block}${i.toString(16).toUpperCase().padStart(5, "0")}`,
    joinEui: TTN_JOIN_EUI,
    sessionKeyId: Buffer.from(randomHex(traits, 16), "hex").toString("base64"),
  });

  add(counts.parkingSensors, (i) => {
    const id = `parking-${number(i)}`;
    const traits = namedRandom(id);
    const site = parkingSiteOf(i);
    const location = bayOf(site, traits);
    const ids = thingsStack(id, TTN_APPLICATIONS.parking, 1, i, traits);
    return {
      id,
      format: "ttn-v3",
      topic: `v3/${TTN_APPLICATIONS.parking}@${tenant}/devices/${id}/up`,
      type: deviceTypes.parkingSensor,
      location,
      site: site.id,
      department: "Tiefbauamt",
      simulate: () => {
        const behaviour = namedRandom(`${id}/radio`);
        // Flush with the asphalt and often under a car: much weaker than a sensor on a pole.
        const radio = lorawanEndDevice({ ...location, shadowingDb: between(behaviour, 8, 16) }, behaviour);
        return parkingSensor({ ...ids, devAddr: radio.devAddr }, radio, site.area, behaviour);
      },
    };
  });

  add(counts.environmentSensors, (i) => {
    const id = `classroom-${number(i)}`;
    const traits = namedRandom(id);
    const location = placeAround(traits, 0.4, 3.5);
    const ids = thingsStack(id, TTN_APPLICATIONS.classrooms, 2, i, traits);
    return {
      id,
      format: "ttn-v3",
      topic: `v3/${TTN_APPLICATIONS.classrooms}@${tenant}/devices/${id}/up`,
      type: deviceTypes.environmentSensor,
      location,
      department: "Schulverwaltungsamt",
      simulate: () => {
        const behaviour = namedRandom(`${id}/radio`);
        const radio = lorawanEndDevice({ ...location, shadowingDb: between(behaviour, 6, 12) }, behaviour);
        return environmentSensor({ ...ids, devAddr: radio.devAddr }, radio, behaviour);
      },
    };
  });

  const chirpstack = chirpstackIds(tenant);
  add(counts.waterGauges, (i) => {
    const traits = namedRandom(`water-gauge-${i}`);
    // Registered by its DevEUI: that is what ChirpStack's topic names.
    const devEui = `a84041${randomHex(traits, 2)}${i.toString(16).padStart(6, "0")}`;
    const location = riverBank(-3 + ((i * 1.7) % 6.5));
    const info: ChirpstackDeviceInfo = {
      tenantId: chirpstack.tenantId,
      tenantName: `Stadt ${tenant.charAt(0).toUpperCase()}${tenant.slice(1)}`,
      applicationId: chirpstack.applicationId,
      applicationName: "Pegelmessnetz",
      deviceProfileId: chirpstack.deviceProfileId,
      deviceProfileName: "Ultraschall-Pegelsonde EU868",
      deviceName: `pegel-${number(i)}`,
      devEui,
    };
    const meanLevel = Math.round(i % 3 === 0 ? between(traits, 150, 220) : between(traits, 35, 90));
    const site = {
      meanLevel,
      range: meanLevel * between(traits, 0.5, 0.9),
      batteryAgeDays: Math.round(between(traits, 30, 900)),
    };
    return {
      id: devEui,
      format: "chirpstack-v4",
      topic: `application/${chirpstack.applicationId}/device/${devEui}/event/up`,
      type: deviceTypes.waterGauge,
      location,
      department: "Umweltamt",
      simulate: (_random, startedAt) => {
        const behaviour = namedRandom(`${devEui}/radio`);
        const radio = lorawanEndDevice({ ...location, shadowingDb: between(behaviour, 0, 4) }, behaviour);
        return waterGauge(info, radio, site, startedAt);
      },
    };
  });

  add(counts.weatherStations, (i) => {
    const traits = namedRandom(`weather-station-${i}`);
    // Named by its MAC as an RFC 9039 device URN: the SenML base name, which is
    // also the device id the normalizer reads from the pack.
    const id = `urn:dev:mac:0024befffe${randomHex(traits, 1)}${i.toString(16).padStart(4, "0")}`;
    const site = {
      baseName: `${id}:`,
      altitude: Math.round(between(traits, 105, 160)),
      warmth: between(traits, -0.8, 1.2),
      exposure: between(traits, 0.6, 1.1),
    };
    return {
      id,
      format: "senml",
      topic: `senml/${id}`,
      type: deviceTypes.weatherStation,
      location: placeAround(traits, 0, 4.5),
      department: "Umweltamt",
      simulate: () => weatherStation(site),
    };
  });

  return devices;
}
