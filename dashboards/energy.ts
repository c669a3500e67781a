import {
  customVariable,
  type Dashboard,
  districtAndDevice,
  influxPanel,
  SCHEMA_VERSION,
  SELECTED,
} from "./dashboard.ts";
import { silentDevicesPanel } from "./silent-devices.ts";

/**
 * The utility's meters, from the `energy` measurement of its personal database
 * (`active_power` in kW, import minus export; the registers `active_import` and
 * `active_export` in kWh; tags `device`, `district`). Meter data is personal: this
 * dashboard belongs only into the utility's own organisation.
 */

/** Per meter first, then summed: meters report at different rates, a sum of raw points would weigh them. */
const perMeter = (select: string) =>
  `FROM (SELECT ${select} FROM "energy" WHERE ${SELECTED} GROUP BY time($__interval), "device", "district") WHERE $timeFilter GROUP BY time($__interval), "district" fill(none)`;

export const energy: Dashboard = {
  uid: "stadtfluss-energy",
  title: "Energie",
  description: "Load curve per district, energy imported and exported, meters that stopped reporting",
  tags: ["energy"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "1m",
  time: { from: "now-24h", to: "now" },
  templating: {
    list: [
      ...districtAndDevice("energy", "Zähler"),
      customVariable("silence", "Still seit", ["15m", "1h", "6h", "1d"], "Ein Zähler gilt als still nach"),
    ],
  },
  panels: [
    influxPanel({
      id: 1,
      title: "Lastgang je Stadtteil",
      description: "Summe der mittleren Wirkleistung der Zähler (Bezug minus Einspeisung)",
      gridPos: { x: 0, y: 0, w: 24, h: 9 },
      queries: [`SELECT sum("power") AS "power" ${perMeter(`mean("active_power") AS "power"`)}`],
      alias: "$tag_district",
      defaults: { unit: "kwatt" },
    }),
    influxPanel({
      id: 2,
      title: "Bezug und Einspeisung je Stadtteil",
      description: "Zuwachs der Zählerstände 1.8.0 und 2.8.0 je Intervall",
      gridPos: { x: 0, y: 9, w: 14, h: 9 },
      // A register only rises: its growth per interval is the energy; a meter exchange (a lower reading) counts nothing.
      queries: [
        `SELECT sum("import") AS "import", sum("export") AS "export" ${perMeter(
          `non_negative_difference(last("active_import")) AS "import", non_negative_difference(last("active_export")) AS "export"`,
        )}`,
      ],
      alias: "$tag_district $col",
      defaults: { unit: "kwatth" },
    }),
    silentDevicesPanel({
      id: 3,
      title: "Zähler ohne Meldung",
      measurement: "energy",
      field: "active_power",
      gridPos: { x: 14, y: 9, w: 10, h: 9 },
    }),
  ],
};
