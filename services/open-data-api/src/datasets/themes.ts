/**
 * What each measurement the aggregator writes is about, in German and English,
 * for the dataset list, the catalog and the catalog page. A measurement not
 * listed here is still published, under its own name.
 */
export interface DatasetTheme {
  readonly title: { readonly de: string; readonly en: string };
  readonly description: { readonly de: string; readonly en: string };
  readonly keywords: readonly string[];
}

const THEMES: Readonly<Record<string, DatasetTheme>> = {
  traffic: {
    title: { de: "Verkehrszählungen", en: "Traffic counts" },
    description: {
      de: "Fahrzeug-, Rad- und Fußverkehrszählungen und Geschwindigkeiten je Zählstelle und Stadtteil, stündlich und täglich zusammengefasst.",
      en: "Vehicle, bicycle and pedestrian counts and speeds per counting station and district, aggregated hourly and daily.",
    },
    keywords: ["Verkehr", "Verkehrszählung", "Mobilität"],
  },
  parking: {
    title: { de: "Parkplatzbelegung", en: "Parking occupancy" },
    description: {
      de: "Belegung der Parkplätze in Prozent je Stadtteil, stündlich und täglich.",
      en: "Parking occupancy in percent per district, hourly and daily.",
    },
    keywords: ["Parken", "Mobilität"],
  },
  air: {
    title: { de: "Luftqualität und Wetter", en: "Air quality and weather" },
    description: {
      de: "Feinstaub, Stickstoffdioxid, CO₂, Lärm und Wetterwerte je Messstelle: Mittel, Minimum, Maximum und 95. Perzentil.",
      en: "Particulate matter, nitrogen dioxide, CO₂, noise and weather per station: mean, minimum, maximum and 95th percentile.",
    },
    keywords: ["Luftqualität", "Umwelt", "Feinstaub"],
  },
  water: {
    title: { de: "Pegelstände", en: "Water levels" },
    description: {
      de: "Pegelstände je Messstelle: Mittel, Minimum und Maximum.",
      en: "Water levels per gauge: mean, minimum and maximum.",
    },
    keywords: ["Wasser", "Pegel", "Umwelt"],
  },
  energy: {
    title: { de: "Stromverbrauch der Haushalte je Stadtteil", en: "Household electricity use per district" },
    description: {
      de: "Täglicher Stromverbrauch der Haushalte je Stadtteil; Zellen mit zu wenigen Haushalten sind gesperrt.",
      en: "Daily household electricity consumption per district; cells with too few households are suppressed.",
    },
    keywords: ["Energie", "Strom", "Verbrauch"],
  },
};

export function themeOf(measurement: string): DatasetTheme {
  return (
    THEMES[measurement] ?? {
      title: { de: measurement, en: measurement },
      description: { de: `Aggregierte Messwerte: ${measurement}.`, en: `Aggregated measurements: ${measurement}.` },
      keywords: [measurement],
    }
  );
}
