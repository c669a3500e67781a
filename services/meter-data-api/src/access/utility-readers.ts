import { databaseName, type PlatformDeclaration } from "@stadtfluss/registry";

/** A declared reader that reads one tenant's household data: a utility's metering. */
export interface UtilityReader {
  readonly reader: string;
  readonly tenant: string;
  /** `<tenant>_personal`: the only database its requests ever reach. */
  readonly database: string;
}

/**
 * The readers of the declaration that read exactly one tenant's `personal`
 * class. The loader allows a reader at most one tenant's personal data, so each
 * has one tenant, and a token can reach no other's meters.
 */
export function utilityReaders(declaration: PlatformDeclaration): Map<string, UtilityReader> {
  const readers = new Map<string, UtilityReader>();
  for (const reader of declaration.readers) {
    const personal = reader.read.filter((grant) => grant.dataClass === "personal");
    if (personal.length !== 1) continue;
    const tenant = (personal[0] as { tenant: string }).tenant;
    readers.set(reader.name, { reader: reader.name, tenant, database: databaseName(tenant, "personal") });
  }
  return readers;
}
