import { type Dashboard, districtAndDevice, influxPanel, SCHEMA_VERSION, SELECTED } from "./dashboard.ts";

/**
 * Parking for the planners, from the `parking` measurement: one sensor per bay
 * (`occupied` 1 or 0, tags `device`, `district`). Occupancy is the share of bays
 * occupied, per district; free spaces now count the bays whose last report in the
 * last hour was free.
 */

/** Each bay's last report: a bay whose sensor stopped reporting drops out after the panel's hour. */
const lastPerBay = `SELECT last("occupied") AS "occupied" FROM "parking" WHERE ${SELECTED} GROUP BY "device", "district"`;

export const parking: Dashboard = {
  uid: "stadtfluss-parking",
  title: "Parken",
  description: "Occupancy per district and free spaces now, from the parking bay sensors",
  tags: ["parking"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "1m",
  time: { from: "now-24h", to: "now" },
  templating: { list: districtAndDevice("parking", "Stellplatz") },
  panels: [
    influxPanel({
      id: 1,
      title: "Belegung je Stadtteil",
      gridPos: { x: 0, y: 0, w: 16, h: 9 },
      // Mean per bay first, so a bay reporting more often does not weigh more.
      queries: [
        `SELECT mean("occupied") * 100 AS "occupancy" FROM (SELECT mean("occupied") AS "occupied" FROM "parking" WHERE ${SELECTED} GROUP BY time($__interval), "device", "district") WHERE $timeFilter GROUP BY time($__interval), "district" fill(none)`,
      ],
      alias: "$tag_district",
      defaults: { unit: "percent", min: 0, max: 100 },
    }),
    influxPanel({
      id: 2,
      type: "bargauge",
      title: "Freie Plätze jetzt",
      description: "Stellplätze, deren letzte Meldung in der letzten Stunde frei war",
      gridPos: { x: 16, y: 0, w: 8, h: 9 },
      timeFrom: "1h",
      queries: [`SELECT count("occupied") - sum("occupied") AS "free" FROM (${lastPerBay}) GROUP BY "district"`],
      alias: "$tag_district",
      defaults: { unit: "short", min: 0, decimals: 0 },
      options: { orientation: "horizontal", reduceOptions: { calcs: ["lastNotNull"], values: false } },
    }),
  ],
};
