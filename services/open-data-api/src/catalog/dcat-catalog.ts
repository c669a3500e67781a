import { DataFactory, type Quad, type Quad_Object, type Quad_Subject } from "n3";
import type { DatasetTheme } from "../datasets/themes.ts";
import {
  FORMATS,
  FREQUENCY,
  GEOCODING_LEVEL_MUNICIPALITY,
  ianaMediaType,
  LANGUAGE,
  LICENSE,
  NS,
  themeIri,
} from "./vocabulary.ts";

const { namedNode, literal, blankNode, quad } = DataFactory;

export interface CatalogPublisher {
  readonly id: string;
  readonly name: string;
  readonly email?: string;
  readonly homepage?: string;
  /** dct:spatial and dcatde:politicalGeocodingURI: the municipality key's IRI. */
  readonly spatial?: string;
  /** dcatde:contributorID: the IRI the state portal or GovData gave the city. */
  readonly contributorId?: string;
  /** dcatde:licenseAttributionByText; the publisher's name where not given. */
  readonly attribution?: string;
}

export interface CatalogDataset {
  readonly publisher: CatalogPublisher;
  readonly measurement: string;
  readonly theme: DatasetTheme;
  readonly resolutions: readonly string[];
  /** The first and last aggregate's time: temporal coverage. */
  readonly extent?: { readonly first: number; readonly last: number };
}

export interface CatalogInput {
  /** Where the API is reached from outside; every IRI starts with it. */
  readonly root: string;
  readonly title: { readonly de: string; readonly en: string };
  readonly publisher: CatalogPublisher;
  readonly datasets: readonly CatalogDataset[];
}

const iri = (prefix: keyof typeof NS, local: string) => namedNode(`${NS[prefix]}${local}`);
const a = iri("rdf", "type");
const dateTime = (t: number) => literal(new Date(t).toISOString(), iri("xsd", "dateTime"));

/** The dataset's landing IRI: the API's own description of it. */
export const datasetIri = (root: string, publisher: string, measurement: string) =>
  `${root}/v1/datasets/${publisher}/${measurement}`;

/**
 * The DCAT-AP.de 3.0 catalog as RDF quads: the catalog, one dcat:Dataset per
 * tenant and measurement, and a distribution per download format. Serialized as
 * Turtle and JSON-LD from the same quads, so the two cannot differ.
 */
export function catalogQuads(input: CatalogInput): Quad[] {
  const quads: Quad[] = [];
  const add = (s: Quad_Subject, p: string, o: Quad_Object) => quads.push(quad(s, namedNode(p), o));
  const agents = new Map<string, Quad_Subject>();

  /** The publisher as a foaf:Agent, and its contact point, each once. */
  const agentOf = (publisher: CatalogPublisher): Quad_Subject => {
    const known = agents.get(publisher.id);
    if (known) return known;
    const agent = namedNode(`${input.root}/v1/publishers/${publisher.id}`);
    agents.set(publisher.id, agent);
    quads.push(quad(agent, a, iri("foaf", "Agent")));
    add(agent, `${NS.foaf}name`, literal(publisher.name, "de"));
    if (publisher.homepage) add(agent, `${NS.foaf}homepage`, namedNode(publisher.homepage));
    return agent;
  };
  const contactOf = (publisher: CatalogPublisher): Quad_Subject => {
    const contact = namedNode(`${input.root}/v1/publishers/${publisher.id}#contact`);
    if (quads.some((q) => q.subject.equals(contact))) return contact;
    // vcard:Kind itself as well: the shapes check the class named, without inferring subclasses.
    quads.push(quad(contact, a, iri("vcard", "Kind")));
    quads.push(quad(contact, a, iri("vcard", "Organization")));
    add(contact, `${NS.vcard}fn`, literal(publisher.name));
    if (publisher.email) add(contact, `${NS.vcard}hasEmail`, namedNode(`mailto:${publisher.email}`));
    // DCAT-AP.de wants a way to reach someone: the publisher's page, or else the dataset list.
    add(contact, `${NS.vcard}hasURL`, namedNode(publisher.homepage ?? `${input.root}/v1/datasets`));
    return contact;
  };

  const catalog = namedNode(`${input.root}/catalog`);
  quads.push(quad(catalog, a, iri("dcat", "Catalog")));
  add(catalog, `${NS.dct}title`, literal(input.title.de, "de"));
  add(catalog, `${NS.dct}title`, literal(input.title.en, "en"));
  add(
    catalog,
    `${NS.dct}description`,
    literal("Aggregierte Sensordaten der Stadt als offene Daten: Verkehr, Parken, Luft, Wasser, Energie.", "de"),
  );
  add(
    catalog,
    `${NS.dct}description`,
    literal("The city's aggregated sensor data as open data: traffic, parking, air, water, energy.", "en"),
  );
  add(catalog, `${NS.dct}publisher`, agentOf(input.publisher));
  add(catalog, `${NS.dct}language`, namedNode(LANGUAGE.de));
  add(catalog, `${NS.dct}language`, namedNode(LANGUAGE.en));
  add(catalog, `${NS.dct}license`, namedNode(LICENSE));

  for (const dataset of input.datasets) {
    const { publisher, measurement, theme } = dataset;
    const landing = datasetIri(input.root, publisher.id, measurement);
    const node = namedNode(landing);
    add(catalog, `${NS.dcat}dataset`, node);
    quads.push(quad(node, a, iri("dcat", "Dataset")));
    add(node, `${NS.dct}identifier`, literal(landing));
    add(node, `${NS.dct}title`, literal(`${theme.title.de} (${publisher.name})`, "de"));
    add(node, `${NS.dct}title`, literal(`${theme.title.en} (${publisher.name})`, "en"));
    add(node, `${NS.dct}description`, literal(theme.description.de, "de"));
    add(node, `${NS.dct}description`, literal(theme.description.en, "en"));
    for (const keyword of theme.keywords) add(node, `${NS.dcat}keyword`, literal(keyword, "de"));
    const themeOfDataset = themeIri(measurement);
    if (themeOfDataset) add(node, `${NS.dcat}theme`, namedNode(themeOfDataset));
    add(node, `${NS.dct}publisher`, agentOf(publisher));
    add(node, `${NS.dcat}contactPoint`, contactOf(publisher));
    add(node, `${NS.dct}language`, namedNode(LANGUAGE.de));
    add(
      node,
      `${NS.dct}accrualPeriodicity`,
      namedNode(dataset.resolutions.includes("1h") ? FREQUENCY.hourly : FREQUENCY.daily),
    );
    if (publisher.spatial) {
      // DCAT-AP.de 3.0 puts the municipality key in dct:spatial (politicalGeocodingURI is deprecated).
      add(node, `${NS.dct}spatial`, namedNode(publisher.spatial));
      if (!quads.some((q) => q.subject.value === publisher.spatial))
        quads.push(quad(namedNode(publisher.spatial), a, iri("dct", "Location")));
      add(node, `${NS.dcatde}politicalGeocodingLevelURI`, namedNode(GEOCODING_LEVEL_MUNICIPALITY));
    }
    if (publisher.contributorId) add(node, `${NS.dcatde}contributorID`, namedNode(publisher.contributorId));
    if (dataset.extent) {
      const period = blankNode(`period-${publisher.id}-${measurement}`);
      add(node, `${NS.dct}temporal`, period);
      quads.push(quad(period, a, iri("dct", "PeriodOfTime")));
      add(period, `${NS.dcat}startDate`, dateTime(dataset.extent.first));
      add(period, `${NS.dcat}endDate`, dateTime(dataset.extent.last));
      add(node, `${NS.dct}modified`, dateTime(dataset.extent.last));
    }
    for (const format of FORMATS) {
      const url = `${landing}/observations?format=${format.key}`;
      const distribution = namedNode(`${landing}#${format.key}`);
      add(node, `${NS.dcat}distribution`, distribution);
      quads.push(quad(distribution, a, iri("dcat", "Distribution")));
      add(distribution, `${NS.dct}title`, literal(`${theme.title.de} (${format.title})`, "de"));
      add(distribution, `${NS.dcat}accessURL`, namedNode(url));
      add(distribution, `${NS.dcat}downloadURL`, namedNode(url));
      add(distribution, `${NS.dct}format`, namedNode(format.fileType));
      add(distribution, `${NS.dcat}mediaType`, namedNode(ianaMediaType(format.mediaType)));
      add(distribution, `${NS.dct}license`, namedNode(LICENSE));
      add(distribution, `${NS.dcatde}licenseAttributionByText`, literal(publisher.attribution ?? publisher.name, "de"));
    }
  }
  return quads;
}
