import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repositoryRoot } from "@stadtfluss/testing";

const SOURCES = [
  "docs/settings.md",
  ...[
    "mqtt-bridge",
    "normalizer",
    "influx-writer",
    "audit",
    "aggregator",
    "meter-data-api",
    "open-data-api",
    "grafana-provisioner",
  ].map((s) => `services/${s}/README.md`),
];

/**
 * The settings a deployment names that no worker documents, in the spelling of
 * docs/settings.md and the services' READMEs: a misspelt name would be ignored
 * silently by the worker, so the deployments are held to the documented ones.
 */
export function undocumentedSettings(names: readonly string[]): string[] {
  const documented = SOURCES.map((file) => readFileSync(join(repositoryRoot(), file), "utf8")).join("\n");
  return names.filter((name) => {
    if (documented.includes(`\`${name}\``)) return false;
    // `<NAME>_FILE` is the documented file form of a secret setting.
    const setting = name.endsWith("_FILE") && !name.endsWith("_CA_FILE") ? name.slice(0, -"_FILE".length) : name;
    return !documented.includes(`\`${setting}\``);
  });
}
