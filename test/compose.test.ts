import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { topicsFor } from "@stadtfluss/kafka";
import { repositoryRoot } from "@stadtfluss/testing";
import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { undocumentedSettings } from "./documented-settings.ts";

const root = repositoryRoot();

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  environment?: Record<string, string | number>;
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  deploy?: { replicas?: number };
  command?: string[];
}

// Merge keys (`<<: *worker`) as Compose resolves them.
const compose = parse(readFileSync(join(root, "infra/compose/compose.yaml"), "utf8"), { merge: true }) as {
  services: Record<string, Service>;
};
const workers = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

describe("the one-host stack (infra/compose/compose.yaml)", () => {
  it("is valid against the Compose Specification's schema", () => {
    // Draft 07, Ajv's own; the schema names it by an https address Ajv does not know.
    const { $schema: _, ...schema } = JSON.parse(readFileSync(join(root, "test/fixtures/compose-spec.json"), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // A misspelt key is refused, so the check can fail.
    expect(validate({ services: { x: { imagee: "y" } } })).toBe(false);
  });

  it("builds every worker from the one Dockerfile, runs it unprivileged on a read-only filesystem", () => {
    const services = readdirSync(join(root, "services"));
    expect(workers.map(([name]) => name).sort()).toEqual(["influx-writer", "mqtt-bridge", "normalizer"]);
    for (const [name, service] of workers) {
      expect(service.build).toEqual({
        context: "../..",
        dockerfile: "infra/images/Dockerfile",
        args: { SERVICE: name },
      });
      expect(services).toContain(name);
      expect(service).toMatchObject({ read_only: true, user: "1000:1000", cap_drop: ["ALL"] });
    }
  });

  it("runs two normalizers and two writers, and creates enough partitions for them", () => {
    const prefix = String(compose.services.normalizer?.environment?.KAFKA_TOPIC_PREFIX);
    const script = compose.services["kafka-topics"]?.command?.join("\n") ?? "";
    const partitions = Object.fromEntries(
      [...script.matchAll(/([a-z.-]+\.v1):(\d+)/g)].map(([, topic, n]) => [`${prefix}${topic}`, Number(n)]),
    );
    const topics = topicsFor(prefix);
    expect(Object.keys(partitions).sort()).toEqual(Object.values(topics).sort());
    for (const [name, topic] of [
      ["normalizer", topics.raw],
      ["influx-writer", topics.observations],
    ] as const) {
      const replicas = compose.services[name]?.deploy?.replicas ?? 1;
      expect(replicas).toBeGreaterThanOrEqual(2);
      expect(partitions[topic]).toBeGreaterThanOrEqual(replicas);
    }
  });

  it("names only settings the workers know", () => {
    const names = workers.flatMap(([, service]) => Object.keys(service.environment ?? {}));
    expect(names.length).toBeGreaterThan(8);
    expect(undocumentedSettings(names)).toEqual([]);
  });
});
