// rdf-ext and shacl-engine ship no types; the test uses a small part of each.
declare module "rdf-ext" {
  import type { DataFactoryInterface, Quad } from "n3";
  export interface Dataset extends Iterable<Quad> {
    readonly size: number;
    add(quad: Quad): Dataset;
    addAll(quads: Iterable<Quad>): Dataset;
  }
  interface Environment extends DataFactoryInterface {
    dataset(quads?: Iterable<Quad>): Dataset;
  }
  const rdf: Environment;
  export default rdf;
}
declare module "shacl-engine" {
  import type { Term } from "n3";
  import type { Dataset } from "rdf-ext";
  export interface ValidationResult {
    readonly severity: Term;
    readonly focusNode?: { readonly term: Term };
    readonly path?: ReadonlyArray<{ readonly predicates: readonly Term[] }>;
    readonly message: readonly Term[];
    readonly value?: { readonly term: Term };
  }
  export class Validator {
    constructor(shapes: Dataset, options: { factory: unknown });
    validate(data: { dataset: Dataset }): Promise<{ conforms: boolean; results: ValidationResult[] }>;
  }
}
