import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Parser } from "n3";
import rdf from "rdf-ext";
import { Validator } from "shacl-engine";

/*
 * For tests only: the catalog checked as GovData's validator checks it.
 */

// GovData's and SEMIC's shapes are the validator's data, not the project's: `.ci/run`
// points DCAT_AP_DE_SHAPES at ../shared/dcat-ap-de/.
export const shapesDir = process.env.DCAT_AP_DE_SHAPES;
if (!shapesDir)
  console.warn(
    "skipping the DCAT-AP.de validation of the catalog: set DCAT_AP_DE_SHAPES to the folder of the DCAT-AP.de 3.0 SHACL shapes (.ci/run sets it to ../shared/dcat-ap-de)",
  );
const SHAPE_FILES = [
  "dcat-ap-3.0.0-SHACL.ttl",
  "dcat-ap-SHACL-DE.ttl",
  "dcat-ap-spec-german-additions.ttl",
  "dcat-ap-de-deprecated.ttl",
  "dcat-ap-de-controlledvocabularies.ttl",
];

// Real entries of the published vocabularies, as GovData's validator imports them.
const SCHEME = "http://www.w3.org/2004/02/skos/core#inScheme";
const VOCABULARY_ENTRIES: ReadonlyArray<readonly [entry: string, scheme: string]> = [
  // DCAT-AP.de licences, https://www.dcat-ap.de/def/licenses/ ("Datenlizenz Deutschland Namensnennung 2.0")
  ["http://dcat-ap.de/def/licenses/dl-by-de/2.0", "http://dcat-ap.de/def/licenses"],
  // DCAT-AP.de contributors, https://www.dcat-ap.de/def/contributors/ (the example of the
  // conventions handbook, https://www.dcat-ap.de/def/dcatde/3.0/implRules/#eindeutige-kennzeichnung-der-datenbereitsteller)
  ["http://dcat-ap.de/def/contributors/transparenzportalHamburg", "http://dcat-ap.de/def/contributors"],
  // DCAT-AP.de levels of political geocoding, https://www.dcat-ap.de/def/politicalGeocoding/Level/
  ["http://dcat-ap.de/def/politicalGeocoding/Level/municipality", "http://dcat-ap.de/def/politicalGeocoding/Level"],
  // EU Vocabularies, Languages: https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri=http://publications.europa.eu/resource/authority/language
  [
    "http://publications.europa.eu/resource/authority/language/DEU",
    "http://publications.europa.eu/resource/authority/language",
  ],
  [
    "http://publications.europa.eu/resource/authority/language/ENG",
    "http://publications.europa.eu/resource/authority/language",
  ],
  // EU Vocabularies, Frequency: https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri=http://publications.europa.eu/resource/authority/frequency
  [
    "http://publications.europa.eu/resource/authority/frequency/HOURLY",
    "http://publications.europa.eu/resource/authority/frequency",
  ],
  [
    "http://publications.europa.eu/resource/authority/frequency/DAILY",
    "http://publications.europa.eu/resource/authority/frequency",
  ],
  // EU Vocabularies, Data theme: https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri=http://publications.europa.eu/resource/authority/data-theme
  [
    "http://publications.europa.eu/resource/authority/data-theme/TRAN",
    "http://publications.europa.eu/resource/authority/data-theme",
  ],
  [
    "http://publications.europa.eu/resource/authority/data-theme/ENER",
    "http://publications.europa.eu/resource/authority/data-theme",
  ],
  // EU Vocabularies, File type: https://op.europa.eu/en/web/eu-vocabularies/concept-scheme/-/resource?uri=http://publications.europa.eu/resource/authority/file-type
  [
    "http://publications.europa.eu/resource/authority/file-type/JSON",
    "http://publications.europa.eu/resource/authority/file-type",
  ],
  [
    "http://publications.europa.eu/resource/authority/file-type/CSV",
    "http://publications.europa.eu/resource/authority/file-type",
  ],
  [
    "http://publications.europa.eu/resource/authority/file-type/GEOJSON",
    "http://publications.europa.eu/resource/authority/file-type",
  ],
];

/** Every violation and warning of the shapes for the Turtle document, with its focus, path and message. */
export async function shapeProblems(turtle: string) {
  const shapes = rdf.dataset();
  for (const file of SHAPE_FILES)
    shapes.addAll(new Parser().parse(readFileSync(join(shapesDir as string, file), "utf8")));
  const data = rdf.dataset(new Parser().parse(turtle));
  for (const [entry, scheme] of VOCABULARY_ENTRIES)
    data.add(rdf.quad(rdf.namedNode(entry), rdf.namedNode(SCHEME), rdf.namedNode(scheme)));
  const report = await new Validator(shapes, { factory: rdf }).validate({ dataset: data });
  return (
    report.results
      // Warnings too: the licence, contributor and geocoding-level vocabularies are only warned about.
      .filter((r) => r.severity.value !== "http://www.w3.org/ns/shacl#Info")
      .map((r) => ({
        focus: r.focusNode?.term.value,
        path: r.path?.[0]?.predicates[0]?.value,
        message: r.message.map((m) => m.value).join(" / "),
      }))
  );
}
