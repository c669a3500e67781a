import { Parser } from "n3";
import { describe, expect, it } from "vitest";
import { themeOf } from "../datasets/themes.ts";
import { type CatalogInput, catalogQuads } from "./dcat-catalog.ts";
import { toJsonLd, toTurtle } from "./serialize.ts";
import { shapeProblems, shapesDir } from "./shacl-validation.ts";

const HOUR = 3_600_000;
// The conventions handbook's own example of a municipality key: Borgsum,
// https://www.dcat-ap.de/def/dcatde/3.0/implRules/#verwaltungspolitischer-geobezug-als-uri
const BORGSUM = "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/01054015";

const input: CatalogInput = {
  root: "https://daten.musterstadt.example",
  title: { de: "Offene Daten Musterstadt", en: "Musterstadt open data" },
  publisher: { id: "musterstadt", name: "Stadt Musterstadt" },
  datasets: [
    {
      publisher: {
        id: "musterstadt",
        name: "Stadt Musterstadt",
        email: "opendata@musterstadt.example",
        spatial: BORGSUM,
        contributorId: "http://dcat-ap.de/def/contributors/transparenzportalHamburg",
        attribution: "Stadt Musterstadt, Verkehrszählung",
      },
      measurement: "traffic",
      theme: themeOf("traffic"),
      resolutions: ["1d", "1h"],
      extent: { first: 1_767_225_600_000, last: 1_767_225_600_000 + 48 * HOUR },
    },
    {
      publisher: { id: "stadtwerke", name: "Stadtwerke Musterstadt" },
      measurement: "energy",
      theme: themeOf("energy"),
      resolutions: ["1d"],
    },
  ],
};

describe("the DCAT-AP.de catalog", () => {
  it("Turtle and JSON-LD hold the same triples", () => {
    const quads = catalogQuads(input);
    const fromTurtle = new Parser().parse(toTurtle(quads));
    expect(fromTurtle).toHaveLength(quads.length);
    const jsonLd = toJsonLd(quads) as { "@graph": Array<Record<string, unknown>> };
    const traffic = jsonLd["@graph"].find((n) => n["@id"] === `${input.root}/v1/datasets/musterstadt/traffic`);
    expect(traffic?.["dct:spatial"]).toEqual([{ "@id": BORGSUM }]);
    expect(traffic?.["dcatde:contributorID"]).toEqual([
      { "@id": "http://dcat-ap.de/def/contributors/transparenzportalHamburg" },
    ]);
    // One statement per value in each: the JSON-LD's values add up to the quads.
    const values = jsonLd["@graph"].reduce(
      (sum, node) =>
        sum +
        Object.entries(node)
          .filter(([key]) => key !== "@id")
          .reduce((n, [, v]) => n + (v as unknown[]).length, 0),
      0,
    );
    expect(values).toBe(quads.length);
  });

  it("names licence, attribution, spatial coverage, temporal coverage and frequency", () => {
    const turtle = toTurtle(catalogQuads(input));
    expect(turtle).toContain("<http://dcat-ap.de/def/licenses/dl-by-de/2.0>");
    expect(turtle).toContain('dcatde:licenseAttributionByText "Stadt Musterstadt, Verkehrszählung"@de');
    expect(turtle).toContain(`dct:spatial <${BORGSUM}>`);
    expect(turtle).toContain('dcat:startDate "2026-01-01T00:00:00.000Z"^^xsd:dateTime');
    expect(turtle).toContain("<http://publications.europa.eu/resource/authority/frequency/HOURLY>");
  });

  it.skipIf(!shapesDir)("has no violation and no warning of GovData's and SEMIC's shapes", async () => {
    const violations = await shapeProblems(toTurtle(catalogQuads(input)));
    expect(violations).toEqual([]);
  });
});
