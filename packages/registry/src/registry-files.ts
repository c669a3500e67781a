import { readdirSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";

const YAML_FILE = /\.ya?ml$/i;

/**
 * `path` itself when it is a file, else every `*.yaml`/`*.yml` below it, sorted.
 * Names starting with a dot are skipped: a Kubernetes ConfigMap volume holds each
 * file twice, once under the `..data` symlink and once in a `..<timestamp>` folder.
 * Symlinks are followed (that is how a ConfigMap presents its files).
 */
export function registryFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  const found: string[] = [];
  const visited = new Set<string>();
  const walk = (dir: string) => {
    const real = realpathSync(dir);
    if (visited.has(real)) return;
    visited.add(real);
    for (const name of readdirSync(dir).sort()) {
      if (name.startsWith(".")) continue;
      const entry = join(dir, name);
      const stat = statSync(entry, { throwIfNoEntry: false });
      if (stat?.isDirectory()) walk(entry);
      else if (stat?.isFile() && YAML_FILE.test(name)) found.push(entry);
    }
  };
  walk(path);
  return found;
}
