import { databaseName, principalNameSchema } from "./database-name.ts";
import type { PlatformDeclaration } from "./platform-declaration.ts";

/** What the storage (InfluxDB) must hold for a declaration: the input of `plan` and `apply`. */
export interface DesiredStorage {
  readonly databases: ReadonlyArray<{
    readonly name: string;
    readonly retentionMs: number | null /* null = infinite */;
  }>;
  readonly principals: ReadonlyArray<{
    readonly name: string;
    readonly read: readonly string[];
    readonly write: readonly string[];
  }>;
}

export const DEFAULT_WRITER = "influx-writer";
/** Reads the raw classes and writes each tenant's `<tenant>_open`. */
export const AGGREGATOR = "aggregator";
/**
 * Reads the `personal` databases of the utilities, and nothing else: the
 * meter-data API serves each utility's token only its own tenant's meters.
 */
export const METER_DATA_API = "meter-data-api";

/**
 * Every tenant's three databases with their retention; one principal per reader
 * that may only read; the writer, which may only write the raw classes; the
 * aggregator; and, where utilities share the platform, the meter-data API. Sorted by name, so that the same declaration always gives the same
 * plan. A `LoadedRegistry` is a declaration.
 */
export function desiredStorage(declaration: PlatformDeclaration, options: { writer?: string } = {}): DesiredStorage {
  const writer = options.writer ?? DEFAULT_WRITER;
  if (!principalNameSchema.safeParse(writer).success) throw new Error(`"${writer}" cannot be the writer's name`);
  if (writer === AGGREGATOR || writer === METER_DATA_API) throw new Error(`the writer cannot be named "${writer}"`);
  const clash = declaration.readers.find((reader) => [writer, AGGREGATOR, METER_DATA_API].includes(reader.name));
  if (clash) throw new Error(`reader "${clash.name}" has the name of the platform's own principal`);

  const tenants = [...declaration.tenants].sort((a, b) => compare(a.id, b.id));
  const databases = tenants
    .flatMap((tenant) =>
      (["public", "personal", "open"] as const).map((dataClass) => ({
        name: databaseName(tenant.id, dataClass),
        retentionMs: tenant.retention[dataClass],
      })),
    )
    .sort((a, b) => compare(a.name, b.name));
  const raw = tenants.flatMap((t) => [databaseName(t.id, "public"), databaseName(t.id, "personal")]).sort(compare);
  const open = tenants.map((t) => databaseName(t.id, "open")).sort(compare);
  const meters = tenants.filter((t) => t.kind === "utility").map((t) => databaseName(t.id, "personal"));
  const principals = [
    ...declaration.readers.map((reader) => ({
      name: reader.name,
      read: [...new Set(reader.read.map((grant) => databaseName(grant.tenant, grant.dataClass)))].sort(compare),
      write: [],
    })),
    { name: writer, read: [], write: raw },
    { name: AGGREGATOR, read: raw, write: open },
    ...(meters.length > 0 ? [{ name: METER_DATA_API, read: meters, write: [] }] : []),
  ].sort((a, b) => compare(a.name, b.name));
  return { databases, principals };
}

/** By code unit, not locale: the order must not depend on the machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
