import { type Dashboard, influxPanel, type Panel, SCHEMA_VERSION, SELECTED, tagVariable } from "./dashboard.ts";

/**
 * Parking for the planners, from the `parking` measurement: one sensor per bay
 * (`occupied` 1 or 0, tags `device`, `district` and, where the registry names
 * its car park, `site`). Occupancy is the share of bays occupied, per site and per
 * district; free spaces now count the bays whose last report in the last hour
 * was free.
 */

/** The district, site and device variables: a site lies in a district, a bay in a site. */
const variables = [
  tagVariable("district", "Stadtteil", `SHOW TAG VALUES FROM "parking" WITH KEY = "district"`),
  tagVariable(
    "site",
    "Parkanlage",
    `SHOW TAG VALUES FROM "parking" WITH KEY = "site" WHERE "district" =~ /^$district$/`,
  ),
  tagVariable(
    "device",
    "Stellplatz",
    `SHOW TAG VALUES FROM "parking" WITH KEY = "device" WHERE "district" =~ /^$district$/ AND "site" =~ /^$site$/`,
  ),
];

/** SELECTED and the site picked; "All" (`.*`) keeps bays registered without a site too. */
const SELECTED_BAYS = `"site" =~ /^$site$/ AND ${SELECTED}`;

/** Each bay's mean per interval: a bay reporting more often does not weigh more. */
const meanPerBay = `SELECT mean("occupied") AS "occupied" FROM "parking" WHERE ${SELECTED_BAYS} GROUP BY time($__interval), "device", "district", "site"`;

/** Each bay's last report: a bay whose sensor stopped reporting drops out after the panel's hour. */
const lastPerBay = `SELECT last("occupied") AS "occupied" FROM "parking" WHERE ${SELECTED_BAYS} GROUP BY "device", "district", "site"`;

const occupancy = (tag: "site" | "district") =>
  `SELECT mean("occupied") * 100 AS "occupancy" FROM (${meanPerBay}) WHERE $timeFilter GROUP BY time($__interval), "${tag}" fill(none)`;

const freeNow = (tag: "site" | "district") =>
  `SELECT count("occupied") - sum("occupied") AS "free" FROM (${lastPerBay}) GROUP BY "${tag}"`;

const FREE_NOW = {
  type: "bargauge",
  description: "Stellplätze, deren letzte Meldung in der letzten Stunde frei war",
  timeFrom: "1h",
  defaults: { unit: "short", min: 0, decimals: 0 },
  options: { orientation: "horizontal", reduceOptions: { calcs: ["lastNotNull"], values: false } },
} as const;

/** Occupancy over time and free spaces now, grouped by `tag`, in one row at `y`. */
function panelsPer(tag: "site" | "district", name: string, firstId: number, y: number): Panel[] {
  return [
    influxPanel({
      id: firstId,
      title: `Belegung je ${name}`,
      gridPos: { x: 0, y, w: 16, h: 9 },
      queries: [occupancy(tag)],
      alias: `$tag_${tag}`,
      defaults: { unit: "percent", min: 0, max: 100 },
    }),
    influxPanel({
      ...FREE_NOW,
      id: firstId + 1,
      title: `Freie Plätze jetzt je ${name}`,
      gridPos: { x: 16, y, w: 8, h: 9 },
      queries: [freeNow(tag)],
      alias: `$tag_${tag}`,
    }),
  ];
}

export const parking: Dashboard = {
  uid: "stadtfluss-parking",
  title: "Parken",
  description: "Occupancy per car park and district and free spaces now, from the parking bay sensors",
  tags: ["parking"],
  timezone: "browser",
  schemaVersion: SCHEMA_VERSION,
  editable: true,
  refresh: "1m",
  time: { from: "now-24h", to: "now" },
  templating: { list: variables },
  // Per car park in the top row, per district below it.
  panels: [...panelsPer("district", "Stadtteil", 1, 9), ...panelsPer("site", "Parkanlage", 3, 0)],
};
