/**
 * The quantities Stadtfluss knows. A kind is `<domain>.<quantity>`: the domain is
 * the InfluxDB measurement, the quantity its field, so one device's readings taken
 * at the same instant become one point. `unit` is the canonical UCUM unit every
 * observation of the kind carries after normalisation.
 */
export interface KindInfo {
  readonly unit: string;
  readonly description: string;
  /** A register that only rises (meter totals): never summed across time. */
  readonly cumulative?: true;
}

export const kinds = {
  "traffic.vehicle_count": { unit: "{vehicle}", description: "Vehicles counted in the interval" },
  "traffic.bicycle_count": { unit: "{bicycle}", description: "Bicycles counted in the interval" },
  "traffic.pedestrian_count": { unit: "{pedestrian}", description: "Pedestrians counted in the interval" },
  "traffic.average_speed": { unit: "km/h", description: "Mean speed of the vehicles counted" },
  "traffic.occupancy": { unit: "%", description: "Share of the interval the detector was occupied" },
  "parking.occupied": { unit: "1", description: "Parking space occupied (1) or free (0)" },
  "energy.active_import": {
    unit: "kW.h",
    description: "Active energy imported, meter total (OBIS 1.8.0)",
    cumulative: true,
  },
  "energy.active_import_t1": {
    unit: "kW.h",
    description: "Active energy imported, tariff 1 (OBIS 1.8.1)",
    cumulative: true,
  },
  "energy.active_import_t2": {
    unit: "kW.h",
    description: "Active energy imported, tariff 2 (OBIS 1.8.2)",
    cumulative: true,
  },
  "energy.active_export": {
    unit: "kW.h",
    description: "Active energy exported, meter total (OBIS 2.8.0)",
    cumulative: true,
  },
  "energy.active_export_t1": {
    unit: "kW.h",
    description: "Active energy exported, tariff 1 (OBIS 2.8.1)",
    cumulative: true,
  },
  "energy.active_export_t2": {
    unit: "kW.h",
    description: "Active energy exported, tariff 2 (OBIS 2.8.2)",
    cumulative: true,
  },
  "energy.active_power": { unit: "kW", description: "Active power, import minus export (OBIS 16.7.0)" },
  "energy.active_power_l1": { unit: "kW", description: "Active power on phase L1, import minus export" },
  "energy.active_power_l2": { unit: "kW", description: "Active power on phase L2, import minus export" },
  "energy.active_power_l3": { unit: "kW", description: "Active power on phase L3, import minus export" },
  "energy.voltage_l1": { unit: "V", description: "Voltage on phase L1" },
  "energy.voltage_l2": { unit: "V", description: "Voltage on phase L2" },
  "energy.voltage_l3": { unit: "V", description: "Voltage on phase L3" },
  "energy.current_l1": { unit: "A", description: "Current on phase L1" },
  "energy.current_l2": { unit: "A", description: "Current on phase L2" },
  "energy.current_l3": { unit: "A", description: "Current on phase L3" },
  // A single-phase meter, sub-meter or plug names no phase: which one it is on is not known.
  "energy.voltage": { unit: "V", description: "Voltage of a device that names no phase" },
  "energy.current": { unit: "A", description: "Current of a device that names no phase" },
  "energy.frequency": { unit: "Hz", description: "Grid frequency (OBIS 14.7.0)" },
  "energy.power_factor": { unit: "1", description: "Power factor, active over apparent power (OBIS 13.7.0)" },
  "energy.voltage_sags_l1": {
    unit: "{sag}",
    description: "Voltage sags on phase L1 since the meter was installed (OBIS 32.32.0)",
    cumulative: true,
  },
  "energy.voltage_sags_l2": {
    unit: "{sag}",
    description: "Voltage sags on phase L2 since the meter was installed (OBIS 52.32.0)",
    cumulative: true,
  },
  "energy.voltage_sags_l3": {
    unit: "{sag}",
    description: "Voltage sags on phase L3 since the meter was installed (OBIS 72.32.0)",
    cumulative: true,
  },
  "energy.voltage_swells_l1": {
    unit: "{swell}",
    description: "Voltage swells on phase L1 since the meter was installed (OBIS 32.36.0)",
    cumulative: true,
  },
  "energy.voltage_swells_l2": {
    unit: "{swell}",
    description: "Voltage swells on phase L2 since the meter was installed (OBIS 52.36.0)",
    cumulative: true,
  },
  "energy.voltage_swells_l3": {
    unit: "{swell}",
    description: "Voltage swells on phase L3 since the meter was installed (OBIS 72.36.0)",
    cumulative: true,
  },
  "energy.power_failures": {
    unit: "{failure}",
    description: "Power failures in any phase (OBIS 0-0:96.7.21)",
    cumulative: true,
  },
  "energy.long_power_failures": {
    unit: "{failure}",
    description: "Long power failures in any phase (OBIS 0-0:96.7.9)",
    cumulative: true,
  },
  // The failure log (OBIS 99.97.0) holds the last few failures with their end times, often months old.
  "energy.power_failure_log_entries": {
    unit: "{failure}",
    description: "Entries in the meter's power failure log (OBIS 99.97.0), which keeps only the last few",
  },
  "energy.last_power_failure_duration": {
    unit: "s",
    description: "Duration of the most recent power failure in the meter's log (OBIS 99.97.0)",
  },
  "gas.volume": { unit: "m3", description: "Gas volume delivered, meter total", cumulative: true },
  "water.volume": { unit: "m3", description: "Water volume delivered, meter total", cumulative: true },
  "heat.energy": { unit: "kW.h", description: "Heat energy delivered, meter total", cumulative: true },
  "air.pm1": { unit: "ug/m3", description: "Particulate matter up to 1 µm" },
  "air.pm2_5": { unit: "ug/m3", description: "Particulate matter up to 2.5 µm" },
  "air.pm4": { unit: "ug/m3", description: "Particulate matter up to 4 µm" },
  "air.pm10": { unit: "ug/m3", description: "Particulate matter up to 10 µm" },
  "air.no2": { unit: "ug/m3", description: "Nitrogen dioxide" },
  "air.co2": { unit: "[ppm]", description: "Carbon dioxide" },
  "air.temperature": { unit: "Cel", description: "Air temperature" },
  "air.humidity": { unit: "%", description: "Relative humidity" },
  "air.pressure": { unit: "hPa", description: "Air pressure" },
  "air.noise": { unit: "dB", description: "Sound pressure level (A-weighted)" },
  "air.wind_speed": { unit: "km/h", description: "Wind speed, 10 m above ground" },
  "water.level": { unit: "cm", description: "Water level above the gauge zero" },
  "device.battery_voltage": { unit: "V", description: "Battery voltage of the sensor" },
  "device.battery": { unit: "%", description: "Battery charge of the sensor" },
  "radio.rssi": { unit: "dB[mW]", description: "Received signal strength at the best gateway" },
  "radio.snr": { unit: "dB", description: "Signal-to-noise ratio at the best gateway" },
} as const satisfies Record<string, KindInfo>;

export type Kind = keyof typeof kinds;

export function kindInfo(kind: string): KindInfo | undefined {
  return Object.hasOwn(kinds, kind) ? kinds[kind as Kind] : undefined;
}
