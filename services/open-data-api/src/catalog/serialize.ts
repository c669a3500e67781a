import { type Quad, Writer } from "n3";
import { NS } from "./vocabulary.ts";

export function toTurtle(quads: readonly Quad[]): string {
  const writer = new Writer({ prefixes: { ...NS } });
  writer.addQuads([...quads]);
  let turtle = "";
  writer.end((error, result: string) => {
    if (error) throw error;
    turtle = result;
  });
  return turtle;
}

type JsonLdValue = { "@id": string } | { "@value": string; "@language"?: string; "@type"?: string };

/**
 * JSON-LD 1.1 of the quads: one node object per subject in `@graph`, properties
 * as compact IRIs of the context's prefixes. Written directly from the quads
 * (no framing), which every JSON-LD processor expands to the same triples as the
 * Turtle.
 */
export function toJsonLd(quads: readonly Quad[]): Record<string, unknown> {
  const nodes = new Map<string, Record<string, unknown>>();
  for (const q of quads) {
    const id = q.subject.termType === "BlankNode" ? `_:${q.subject.value}` : q.subject.value;
    let node = nodes.get(id);
    if (!node) {
      node = { "@id": id };
      nodes.set(id, node);
    }
    if (q.predicate.value === `${NS.rdf}type`) {
      node["@type"] = [...((node["@type"] as string[] | undefined) ?? []), compact(q.object.value)];
      continue;
    }
    const value: JsonLdValue =
      q.object.termType === "Literal"
        ? {
            "@value": q.object.value,
            ...(q.object.language
              ? { "@language": q.object.language }
              : q.object.datatype.value === `${NS.xsd}string`
                ? {}
                : { "@type": compact(q.object.datatype.value) }),
          }
        : { "@id": q.object.termType === "BlankNode" ? `_:${q.object.value}` : q.object.value };
    const key = compact(q.predicate.value);
    node[key] = [...((node[key] as JsonLdValue[] | undefined) ?? []), value];
  }
  return { "@context": { ...NS }, "@graph": [...nodes.values()] };
}

function compact(value: string): string {
  for (const [prefix, namespace] of Object.entries(NS))
    if (value.startsWith(namespace) && value.length > namespace.length)
      return `${prefix}:${value.slice(namespace.length)}`;
  return value;
}
