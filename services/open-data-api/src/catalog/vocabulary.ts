/** The namespaces of DCAT-AP.de 3.0 that the catalog uses. */
export const NS = {
  rdf: "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
  xsd: "http://www.w3.org/2001/XMLSchema#",
  dcat: "http://www.w3.org/ns/dcat#",
  dct: "http://purl.org/dc/terms/",
  dcatde: "http://dcat-ap.de/def/dcatde/",
  foaf: "http://xmlns.com/foaf/0.1/",
  vcard: "http://www.w3.org/2006/vcard/ns#",
  skos: "http://www.w3.org/2004/02/skos/core#",
} as const;

/** Datenlizenz Deutschland – Namensnennung – Version 2.0, from DCAT-AP.de's licence vocabulary. */
export const LICENSE = "http://dcat-ap.de/def/licenses/dl-by-de/2.0";

const EU = "http://publications.europa.eu/resource/authority";
export const LANGUAGE = { de: `${EU}/language/DEU`, en: `${EU}/language/ENG` } as const;
export const FREQUENCY = { hourly: `${EU}/frequency/HOURLY`, daily: `${EU}/frequency/DAILY` } as const;
export const GEOCODING_LEVEL_MUNICIPALITY = "http://dcat-ap.de/def/politicalGeocoding/Level/municipality";

/** The EU's data themes (data-theme): which one each measurement is about. */
const THEME: Readonly<Record<string, string>> = {
  traffic: `${EU}/data-theme/TRAN`,
  parking: `${EU}/data-theme/TRAN`,
  air: `${EU}/data-theme/ENVI`,
  water: `${EU}/data-theme/ENVI`,
  energy: `${EU}/data-theme/ENER`,
};
export const themeIri = (measurement: string): string | undefined => THEME[measurement];

/** Each download's format: the EU's file-type entry and the IANA media type. */
export const FORMATS = [
  { key: "json", title: "JSON", fileType: `${EU}/file-type/JSON`, mediaType: "application/json" },
  { key: "csv", title: "CSV", fileType: `${EU}/file-type/CSV`, mediaType: "text/csv" },
  { key: "geojson", title: "GeoJSON", fileType: `${EU}/file-type/GEOJSON`, mediaType: "application/geo+json" },
] as const;
export const ianaMediaType = (type: string) => `https://www.iana.org/assignments/media-types/${type}`;
