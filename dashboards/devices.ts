import {
  customVariable,
  type Dashboard,
  districtAndDevice,
  influxPanel,
  type Panel,
  SCHEMA_VERSION,
  SELECTED,
} from "./dashboard.ts";
import { silentDevicesPanel } from "./silent-devices.ts";

/**
 * The municipality's sensors for whoever looks after them: when each was last
 * seen, battery, radio quality (`radio` measurement: `rssi`, `snr`), and the
 * devices silent for longer than a threshold picked on the dashboard.
 */

/** A field each family's device sends with every message, so its last reading is its last message. */
const FAMILIES = [
  { measurement: "traffic", field: "vehicle_count", title: "Zählstellen" },
  { measurement: "parking", field: "occupied", title: "Parksensoren" },
  { measurement: "air", field: "temperature", title: "Luft- und Klimasensoren" },
  { measurement: "water", field: "level", title: "Pegel" },
] as const;

const lastSeen = (measurement: string, field: string) =>
  `SELECT last("${field}") AS "last_seen" FROM "${measurement}" WHERE ${SELECTED} GROUP BY "device"`;

const gauge = (id: number, title: string, query: string, unit: string, x: number): Panel =>
  influxPanel({
    id,
    type: "bargauge",
    title,
    gridPos: { x, y: 9, w: 12, h: 9 },
    queries: [query],
    alias: "$tag_device",
    defaults: { unit },
    options: { orientation: "horizontal", reduceOptions: { calcs: ["lastNotNull"], values: false } },
  });

export const devices: Dashboard = {
  uid: "stadtfluss-devices",
  title: "Geräte",
  description: "Last seen, battery, radio quality and silent devices of the city's sensors",
  tags: ["devices"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "1m",
  time: { from: "now-7d", to: "now" },
  templating: {
    list: [
      ...districtAndDevice(undefined, "Gerät"),
      customVariable("silence", "Still seit", ["1h", "15m", "6h", "1d"], "Ein Gerät gilt als still nach"),
    ],
  },
  panels: [
    influxPanel({
      id: 1,
      type: "table",
      title: "Zuletzt gesehen",
      gridPos: { x: 0, y: 0, w: 12, h: 9 },
      format: "table",
      queries: FAMILIES.map((f) => lastSeen(f.measurement, f.field)),
      transformations: [
        { id: "merge", options: {} },
        { id: "organize", options: { excludeByName: { last_seen: true } } },
        { id: "sortBy", options: { sort: [{ field: "Time", desc: false }] } },
      ],
    }),
    influxPanel({
      id: 2,
      title: "Funk: Signalstärke (RSSI)",
      gridPos: { x: 12, y: 0, w: 12, h: 9 },
      queries: [
        `SELECT mean("rssi") AS "rssi" FROM "radio" WHERE ${SELECTED} GROUP BY time($__interval), "device" fill(none)`,
      ],
      alias: "$tag_device",
      defaults: { unit: "dBm" },
    }),
    gauge(
      3,
      "Batteriespannung",
      `SELECT last("battery_voltage") AS "voltage" FROM "device" WHERE ${SELECTED} GROUP BY "device"`,
      "volt",
      0,
    ),
    gauge(
      4,
      "Batterieladung",
      `SELECT last("battery") AS "charge" FROM "device" WHERE ${SELECTED} GROUP BY "device"`,
      "percent",
      12,
    ),
    influxPanel({
      id: 5,
      title: "Funk: Signal-Rausch-Abstand (SNR)",
      gridPos: { x: 0, y: 18, w: 24, h: 8 },
      queries: [
        `SELECT mean("snr") AS "snr" FROM "radio" WHERE ${SELECTED} GROUP BY time($__interval), "device" fill(none)`,
      ],
      alias: "$tag_device",
      defaults: { unit: "dB" },
    }),
    ...FAMILIES.map((family, i) =>
      silentDevicesPanel({
        id: 6 + i,
        title: `Stille ${family.title}`,
        measurement: family.measurement,
        field: family.field,
        gridPos: { x: i * 6, y: 26, w: 6, h: 8 },
      }),
    ),
  ],
};
