import { StadtflussError } from "@stadtfluss/errors";
import { databaseName, type PlatformDeclaration } from "@stadtfluss/registry";
import type { Observation } from "@stadtfluss/schemas";

/** Which database each observation belongs in; throws for one that belongs in none. */
export type DatabaseOf = (observation: Observation) => string;

/**
 * The layout per tenant: `databaseName(tenant, privacy)`, for declared tenants
 * only. An undeclared tenant (a forged payload, or a tenant removed from the
 * declaration) is refused for good, never written to a default or shared
 * database: its observations go to the dead-letter topic.
 */
export function databaseByTenant(declaration: () => PlatformDeclaration): DatabaseOf {
  let seen: PlatformDeclaration | undefined;
  let tenants: ReadonlySet<string> = new Set();
  return (observation) => {
    const current = declaration();
    // Reloads hand out a new declaration: the set is built once per declaration, not per observation.
    if (current !== seen) {
      seen = current;
      tenants = new Set(current.tenants.map((tenant) => tenant.id));
    }
    if (!tenants.has(observation.tenant)) {
      throw new StadtflussError(`tenant "${observation.tenant}" is not declared (WRITER_DECLARATION)`, {
        context: { tenant: observation.tenant },
      });
    }
    return databaseName(observation.tenant, observation.privacy);
  };
}

/** The layout before tenants: every observation in the one bucket (INFLUX_BUCKET). */
export function singleBucket(bucket: string): DatabaseOf {
  return () => bucket;
}
