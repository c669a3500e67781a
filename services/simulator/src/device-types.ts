import type { DeclaredDeviceType } from "@stadtfluss/registry";

/** A device type as the simulator prints it into the registry: with a description for its readers. */
export type RegistryDeviceType = DeclaredDeviceType & { readonly description: string };

/**
 * The device types of the simulated fleet. Formats whose payload names its
 * own quantities (stadtfluss-json, DSMR's OBIS codes, airrohr's value types)
 * need no fields; for the others the fields map what the payload holds.
 */
export const deviceTypes = {
  trafficCounter: { id: "traffic-counter", description: "Induction-loop vehicle counter (stadtfluss-json)" },
  householdMeter: {
    id: "household-meter",
    description: "Household smart meter built for the platform (stadtfluss-json)",
  },
  dsmrMeter: { id: "dsmr-meter", description: "DSMR 5.0.2 smart meter with gas meter, P1 telegram published raw" },
  tasmotaMeter: {
    id: "tasmota-sml-meter",
    description: "Electricity meter read through its optical SML port by a Tasmota IR head",
    fields: [
      { path: "SML.Total_in", kind: "energy.active_import", unit: "kWh" },
      { path: "SML.Total_out", kind: "energy.active_export", unit: "kWh" },
      { path: "SML.Power_curr", kind: "energy.active_power", unit: "W" },
      ...([1, 2, 3] as const).flatMap((phase) => [
        { path: `SML.Voltage_L${phase}`, kind: `energy.voltage_l${phase}`, unit: "V" },
        { path: `SML.Current_L${phase}`, kind: `energy.current_l${phase}`, unit: "A" },
        { path: `SML.Power_L${phase}`, kind: `energy.active_power_l${phase}`, unit: "W" },
      ]),
      { path: "SML.Frequency", kind: "energy.frequency", unit: "Hz" },
    ],
  },
  airSensor: { id: "airrohr", description: "sensor.community airrohr station, SDS011 and BME280" },
  parkingSensor: {
    id: "parking-sensor",
    description: "LoRaWAN magnetometer in a parking bay (The Things Stack)",
    fields: [
      { path: "occupied", kind: "parking.occupied", unit: "1" },
      { path: "battery", kind: "device.battery_voltage", unit: "V" },
    ],
  },
  environmentSensor: {
    id: "classroom-climate-sensor",
    description: "LoRaWAN CO2, temperature and humidity sensor in a classroom (The Things Stack)",
    fields: [
      { path: "temperature", kind: "air.temperature", unit: "Cel" },
      { path: "humidity", kind: "air.humidity", unit: "%" },
      { path: "co2", kind: "air.co2", unit: "ppm" },
    ],
  },
  waterGauge: {
    id: "water-gauge",
    description: "LoRaWAN ultrasonic river gauge (ChirpStack)",
    fields: [
      { path: "waterLevel", kind: "water.level", unit: "cm" },
      { path: "battery", kind: "device.battery", unit: "%" },
    ],
  },
  weatherStation: {
    id: "weather-station",
    description: "Weather station publishing SenML (RFC 8428); paths are the SenML names",
    fields: [
      { path: "temperature", kind: "air.temperature", unit: "Cel" },
      { path: "humidity", kind: "air.humidity", unit: "%RH" },
      { path: "pressure", kind: "air.pressure", unit: "Pa" },
      { path: "windSpeed", kind: "air.wind_speed", unit: "m/s" },
    ],
  },
} satisfies Record<string, RegistryDeviceType>;
