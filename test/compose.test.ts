import { existsSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { topicsFor } from "@stadtfluss/kafka";
import { repositoryRoot } from "@stadtfluss/testing";
import { Ajv } from "ajv";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { undocumentedSettings } from "./documented-settings.ts";
import {
  createNamedFiles,
  deployedServices,
  hostEnvironment,
  loadWorkerConfig,
  removeStandIns,
  standInFolder,
} from "./worker-config.ts";

const root = repositoryRoot();
const folder = join(root, "infra/compose");

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
  environment?: Record<string, string | number>;
  read_only?: boolean;
  user?: string;
  cap_drop?: string[];
  deploy?: { replicas?: number };
  command?: string[];
  restart?: string;
  healthcheck?: { disable?: boolean; test?: string[] };
  depends_on?: Record<string, { condition: string }>;
  secrets?: (string | { source: string; target?: string })[];
  volumes?: string[];
  ports?: string[];
}
interface Compose {
  services: Record<string, Service>;
  secrets: Record<string, { file: string }>;
  volumes: Record<string, unknown>;
}

// Merge keys (`<<: *worker`) as Compose resolves them.
const compose = parse(readFileSync(join(folder, "compose.yaml"), "utf8"), { merge: true }) as Compose;
const workers = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);
const service = (name: string): Service => {
  const found = compose.services[name];
  if (!found) throw new Error(`no service ${name} in compose.yaml`);
  return found;
};

/** A value as Compose interpolates it with no variable set: `${NAME:-default}` its default, `$$` a `$`. */
const interpolate = (value: string | number) =>
  String(value).replace(/\$\$|\$\{(\w+)(?::?-([^}]*))?\}/g, (match, _name, fallback?: string) =>
    match === "$$" ? "$" : (fallback ?? ""),
  );
const environmentOf = (s: Service) =>
  Object.fromEntries(Object.entries(s.environment ?? {}).map(([name, value]) => [name, interpolate(value)]));
const secretTargets = (s: Service) =>
  (s.secrets ?? []).map((secret) => (typeof secret === "string" ? secret : (secret.target ?? secret.source)));
const secretSources = (s: Service) =>
  (s.secrets ?? []).map((secret) => (typeof secret === "string" ? secret : secret.source));
/** `source:target[:mode]`; a source without a slash or dot is a named volume. */
const mountsOf = (s: Service) =>
  (s.volumes ?? []).map((volume) => {
    const [source = "", target = ""] = interpolate(volume).split(":");
    return { source, target, named: !/^[./~]/.test(source) };
  });
/** Folders of generated files (passwords, tokens), made on the host and kept out of git. */
const generated = readFileSync(join(folder, ".gitignore"), "utf8")
  .split("\n")
  .filter((line) => line.trim() !== "" && !line.startsWith("#"))
  .map((line) => join(folder, line.replace(/\/$/, "")));
const isGenerated = (path: string) => generated.some((dir) => path === dir || path.startsWith(`${dir}/`));

/** The worker's environment with its mounts and secrets replaced by folders of this machine. */
function workerEnvironment(s: Service): Record<string, string> {
  const standIn = standInFolder();
  const mounts = mountsOf(s).map(({ source, target, named }) =>
    // Generated folders are not here: their files are stand-ins as secrets are.
    named || isGenerated(resolve(folder, source))
      ? ([target, join(standIn, "mounts", target)] as const)
      : ([target, resolve(folder, source)] as const),
  );
  const environment = hostEnvironment(environmentOf(s), [...mounts, ["/run/secrets", join(standIn, "secrets")]]);
  createNamedFiles(environment, standIn);
  return environment;
}

describe("the one-host stack (infra/compose/compose.yaml)", () => {
  afterAll(removeStandIns);

  it("is valid against the Compose Specification's schema", () => {
    // Draft 07, Ajv's own; the schema names it by an https address Ajv does not know.
    const { $schema: _, ...schema } = JSON.parse(readFileSync(join(root, "test/fixtures/compose-spec.json"), "utf8"));
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    expect(validate(compose) ? [] : validate.errors).toEqual([]);
    // A misspelt key is refused, so the check can fail.
    expect(validate({ services: { x: { imagee: "y" } } })).toBe(false);
  });

  it("runs every deployed service, built from the one Dockerfile, unprivileged on a read-only filesystem", () => {
    expect(workers.map(([name]) => name).sort()).toEqual(deployedServices());
    for (const [name, worker] of workers) {
      expect(worker.build).toEqual({
        context: "../..",
        dockerfile: "infra/images/Dockerfile",
        args: { SERVICE: name },
      });
      expect(worker, name).toMatchObject({ read_only: true, user: "1000:1000", cap_drop: ["ALL"] });
    }
  });

  it("restarts the workers and keeps their healthcheck; runs the commands once", () => {
    for (const [name, worker] of workers) {
      // A worker serves /healthz through runService; a command runs and exits.
      const longRunning = readFileSync(join(root, "services", name, "src/main.ts"), "utf8").includes("runService(");
      if (longRunning) {
        expect(worker.restart, name).toBe("unless-stopped");
        expect(worker.healthcheck?.disable, name).not.toBe(true);
      } else {
        expect(worker.restart, name).toBe("no");
        expect(worker.deploy?.replicas ?? 1, name).toBe(1);
      }
    }
  });

  it("passes every worker's environment through that worker's own settings check", async () => {
    for (const [name, worker] of workers) {
      const { problems } = await loadWorkerConfig(name, workerEnvironment(worker));
      expect(problems, name).toEqual([]);
    }
    // A wrong value is refused, so the check can fail.
    const broken = { ...workerEnvironment(service("aggregator")), AGGREGATOR_HOURLY_SCHEDULE: "hourly" };
    expect((await loadWorkerConfig("aggregator", broken)).problems).toHaveLength(1);
  });

  it("creates every topic the workers use, with enough partitions for their replicas and one for the aggregator's lease", async () => {
    const prefix = String(service("normalizer").environment?.KAFKA_TOPIC_PREFIX);
    const script = service("kafka-topics").command?.join("\n") ?? "";
    const partitions = Object.fromEntries(
      [...script.matchAll(/([a-z.-]+\.v1):(\d+)/g)].map(([, topic, n]) => [`${prefix}${topic}`, Number(n)]),
    );
    const topics = topicsFor(prefix);
    const { config } = await loadWorkerConfig("aggregator", workerEnvironment(service("aggregator")));
    const leaseTopic = (config as { leaseTopic: string }).leaseTopic;
    expect(Object.keys(partitions).sort()).toEqual([...Object.values(topics), leaseTopic].sort());
    // Only partition 0 of the lease topic counts; more would only confuse.
    expect(partitions[leaseTopic]).toBe(1);
    for (const [name, topic] of [
      ["normalizer", topics.raw],
      ["influx-writer", topics.observations],
    ] as const) {
      const replicas = service(name).deploy?.replicas ?? 1;
      expect(replicas).toBeGreaterThanOrEqual(2);
      expect(partitions[topic]).toBeGreaterThanOrEqual(replicas);
    }
    // Replicas of the aggregator only wait for the lease; they need its group, nothing more.
    expect(service("aggregator").depends_on).toHaveProperty("kafka-topics.condition", "service_completed_successfully");
  });

  it("names only settings the workers know", () => {
    const names = workers.flatMap(([, worker]) => Object.keys(worker.environment ?? {}));
    expect(names.length).toBeGreaterThan(8);
    expect(undocumentedSettings(names)).toEqual([]);
  });

  it("takes every secret from a file, and every volume, secret and file it names exists", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      expect(
        Object.keys(s.environment ?? {}).filter((setting) => /(PASSWORD|TOKEN|SECRET)$/.test(setting)),
        `${name}: a secret in the environment`,
      ).toEqual([]);
      for (const secret of secretSources(s)) expect(compose.secrets, name).toHaveProperty([secret]);
      // A secret file the service's settings name is one it mounts.
      for (const value of Object.values(environmentOf(s)))
        for (const [, secret] of value.matchAll(/\/run\/secrets\/([\w.-]+)/g))
          expect(secretTargets(s), `${name}: /run/secrets/${secret}`).toContain(secret);
      for (const { source, named } of mountsOf(s)) {
        if (named) expect(compose.volumes, `${name}: volume ${source}`).toHaveProperty([source]);
        else {
          const path = resolve(folder, source);
          expect(isGenerated(path) || existsSync(path), `${name}: ${relative(root, path)}`).toBe(true);
        }
      }
    }
    for (const [name, { file }] of Object.entries(compose.secrets)) {
      const path = resolve(folder, file);
      expect(isGenerated(path) || existsSync(path), `secret ${name}: ${relative(root, path)}`).toBe(true);
    }
  });

  it("serves the APIs and Grafana only through the TLS proxy, routed to the ports they listen on", async () => {
    const caddyfile = readFileSync(join(folder, "Caddyfile"), "utf8");
    const proxy = service("proxy");
    expect(mountsOf(proxy).map((m) => m.target)).toContain("/etc/caddy/Caddyfile");
    const routes = [...caddyfile.matchAll(/\{\$(\w+)\}\s*\{[^}]*reverse_proxy\s+([\w-]+):(\d+)/g)].map(
      ([, host = "", upstream = "", port]) => ({ host, upstream, port: Number(port) }),
    );
    const apis: string[] = [];
    for (const [name, worker] of workers) {
      const { config } = await loadWorkerConfig(name, workerEnvironment(worker));
      const http = (config as { http?: { port: number } } | undefined)?.http;
      if (!http) continue;
      apis.push(name);
      expect(routes, name).toContainEqual(expect.objectContaining({ upstream: name, port: http.port }));
      expect(worker.ports, `${name} is reached through the proxy only`).toBeUndefined();
      expect(proxy.depends_on?.[name]?.condition).toBe("service_healthy");
    }
    expect(apis.sort()).toEqual(["meter-data-api", "open-data-api"]);
    expect(routes).toContainEqual({ host: "GRAFANA_HOST", upstream: "grafana", port: 3000 });
    for (const { host, upstream } of routes) {
      expect(proxy.environment, host).toHaveProperty([host]);
      expect(compose.services, upstream).toHaveProperty([upstream]);
    }
  });

  it("provisions Grafana 11.4, the version of the API description the provisioner is checked against, after the platform's apply", () => {
    const grafana = service("grafana");
    expect(grafana.image).toMatch(/^grafana\/grafana-oss:11\.4\.\d+$/);
    expect(grafana.environment?.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe("/run/secrets/grafana-admin-password");
    const provisioner = service("grafana-provisioner");
    expect(provisioner.depends_on).toEqual({
      grafana: { condition: "service_healthy" },
      "platform-apply": { condition: "service_completed_successfully" },
    });
    expect(provisioner.command?.[0]).toBe("apply");
    expect(new URL(String(provisioner.environment?.GRAFANA_URL)).hostname).toBe("grafana");
    // Grafana's admin and the provisioner's are the same user, with the same password file.
    expect(provisioner.environment?.GRAFANA_ADMIN_USER).toBe(grafana.environment?.GF_SECURITY_ADMIN_USER);
    expect(secretSources(provisioner)).toEqual(secretSources(grafana));
    expect(service("platform-apply").depends_on).toEqual({ influxdb: { condition: "service_healthy" } });
    // The data sources the provisioner makes point at this stack's InfluxDB.
    const declaration = parse(readFileSync(join(root, "infra/registry-example/grafana.yaml"), "utf8")) as {
      grafana: { influxUrl: string };
    };
    expect(compose.services).toHaveProperty([new URL(declaration.grafana.influxUrl).hostname]);
    // Whatever holds an InfluxDB credential waits until platform-apply has written it.
    for (const [name, worker] of workers) {
      if (worker.environment?.INFLUX_TOKEN_FILE === undefined || name === "audit") continue;
      expect(worker.depends_on?.["platform-apply"]?.condition, name).toBe("service_completed_successfully");
    }
  });
});
