import { type DesiredStorage, desiredStorage, loadRegistry } from "@stadtfluss/registry";

export type { DesiredStorage };

/**
 * The storage the municipality's declaration asks for: the registry (a YAML file,
 * or a folder of them) with its tenants, retention and readers. A broken
 * declaration throws the registry's own error, every problem with file and line.
 */
export function loadDesiredStorage(path: string): DesiredStorage {
  return desiredStorage(loadRegistry(path));
}
