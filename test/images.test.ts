import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { createDatabase } from "@stadtfluss/influx";
import { bridgeEnvironment, readiness, repositoryRoot, startWorker, uniqueName } from "@stadtfluss/testing";
import { DockerfileParser, type Instruction, type ModifiableInstruction } from "dockerfile-ast";
import { afterAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { deployService } from "../infra/images/deploy.ts";

const servers = inject("servers");
const root = repositoryRoot();
/** A build argument as the Dockerfile spells it: `${NAME}`. */
const arg = (name: string) => `\${${name}}`;

/**
 * No Docker engine runs here: the images are built by .github/workflows/images.yml.
 * What can be checked without one is checked: the Dockerfile's instructions, and
 * that what the image holds runs with `node` outside the workspace.
 */
describe("the container image (infra/images/Dockerfile)", () => {
  const dockerfile = DockerfileParser.parse(readFileSync(join(root, "infra/images/Dockerfile"), "utf8"));
  const instructions = dockerfile.getInstructions();
  const stages = instructions.reduce<Instruction[][]>((all, instruction) => {
    if (instruction.getKeyword() === "FROM") all.push([]);
    all.at(-1)?.push(instruction);
    return all;
  }, []);
  const final = stages.at(-1) ?? [];
  /** Each instruction's flags (`--from=build`) and arguments, as written. */
  const args = (keyword: string, stage = final) =>
    stage
      .filter((i) => i.getKeyword() === keyword)
      .map((i) => {
        const flags =
          "getFlags" in i ? (i as ModifiableInstruction).getFlags().map((f) => `--${f.getName()}=${f.getValue()}`) : [];
        return [...flags, i.getArgumentsContent() ?? ""].join(" ");
      });

  it("builds on the official Node 24 slim image in every stage", () => {
    const [nodeImage] = dockerfile.getInitialARGs().map((a) => a.getProperty());
    expect([nodeImage?.getName(), nodeImage?.getValue()]).toEqual(["NODE_IMAGE", "node:24-slim"]);
    expect(stages.map((stage) => args("FROM", stage)[0]?.split(" ")[0])).toEqual([
      arg("NODE_IMAGE"),
      arg("NODE_IMAGE"),
    ]);
  });

  it("ships only the deployed service: production dependencies and the bundle, nothing of the build context", () => {
    expect(args("RUN", stages[0])).toContain(`node infra/images/deploy.ts "${arg("SERVICE")}" /out`);
    // Only from the build stage, and only what `pnpm deploy` and the bundle wrote.
    expect(args("COPY")).toEqual([
      "--from=build /out/dist ./dist",
      "--from=build /out/node_modules ./node_modules",
      "--from=build /out/package.json ./package.json",
    ]);
    expect(readFileSync(join(root, ".dockerignore"), "utf8")).toMatch(/^\*\*\/node_modules$/m);
  });

  it("runs as the unprivileged user, with node as PID 1 in exec form, a health check on /healthz and OCI labels", () => {
    expect(args("USER")).toEqual(["node"]);
    expect(args("STOPSIGNAL")).toEqual(["SIGTERM"]);
    const [entrypoint] = args("ENTRYPOINT");
    expect(JSON.parse(entrypoint ?? "null")).toEqual(["node", "--enable-source-maps", "dist/main.js"]);
    const [healthcheck] = args("HEALTHCHECK");
    expect(healthcheck).toMatch(
      /^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+\s+CMD \["node", "-e", /,
    );
    expect(healthcheck).toContain("/healthz");
    const labels = Object.fromEntries(
      final
        .filter((i) => i.getKeyword() === "LABEL")
        .flatMap((i) =>
          (i as unknown as { getProperties(): { getName(): string; getValue(): string }[] }).getProperties(),
        )
        .map((p) => [p.getName(), p.getValue()]),
    );
    expect(labels).toMatchObject({
      "org.opencontainers.image.source": arg("SOURCE"),
      "org.opencontainers.image.licenses": "EUPL-1.2",
      "org.opencontainers.image.version": arg("VERSION"),
    });
    // Nothing the service writes at run time: a read-only root filesystem works.
    expect(args("VOLUME")).toEqual([]);
  });
});

describe("the images workflow (.github/workflows/images.yml)", () => {
  it("builds, scans and pushes every service with provenance", () => {
    const workflow = parse(readFileSync(join(root, ".github/workflows/images.yml"), "utf8")) as {
      jobs: {
        image: {
          strategy: { matrix: { service: string[] } };
          steps: { uses?: string; with?: Record<string, unknown> }[];
        };
      };
    };
    const services = readdirSync(join(root, "services")).filter((s) =>
      existsSync(join(root, "services", s, "src", "main.ts")),
    );
    const { strategy, steps } = workflow.jobs.image;
    expect([...strategy.matrix.service].sort()).toEqual(services.sort());
    const uses = steps.map((step) => step.uses?.split("@")[0]);
    expect(uses).toContain("aquasecurity/trivy-action");
    const push = steps.find((step) => step.with?.push === true);
    expect(push?.with).toMatchObject({ file: "infra/images/Dockerfile", provenance: "mode=max", sbom: true });
    // Scanned before it is pushed.
    expect(uses.indexOf("aquasecurity/trivy-action")).toBeLessThan(steps.indexOf(push ?? {}));
  });
});

describe("what an image holds, run with node outside the workspace", () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });
  const deployed = async (service: string) => {
    const folder = mkdtempSync(join(tmpdir(), `sf-image-${service}-`));
    folders.push(folder);
    const script = await deployService(service, folder, { preferOffline: true });
    // The bundle carries the workspace packages; the folder holds no TypeScript to run.
    expect(readFileSync(script, "utf8")).not.toMatch(/from "@stadtfluss\//);
    return script;
  };
  const id = uniqueName("image");

  it.each([
    ["mqtt-bridge", () => bridgeEnvironment({ id, kafkaBrokers: servers.kafkaBrokers, mqttUrl: servers.mqttUrl })],
    ["normalizer", () => ({ KAFKA_BROKERS: servers.kafkaBrokers.join(","), KAFKA_TOPIC_PREFIX: `${id}.` })],
    [
      "influx-writer",
      () => ({
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: `${id}.`,
        INFLUX_URL: servers.influxUrl,
        INFLUX_BUCKET: id.replaceAll("-", "_"),
      }),
    ],
    ["simulator", () => ({ MQTT_URL: servers.mqttUrl, SIM_TOPIC_PREFIX: id, SIM_RATE: "5" })],
    [
      "aggregator",
      () => ({
        KAFKA_BROKERS: servers.kafkaBrokers.join(","),
        KAFKA_TOPIC_PREFIX: `${id}.`,
        INFLUX_URL: servers.influxUrl,
        AGGREGATOR_DECLARATION: join(root, "infra/registry-example"),
      }),
    ],
    [
      "meter-data-api",
      () => {
        const folder = mkdtempSync(join(tmpdir(), "sf-image-meter-data-"));
        folders.push(folder);
        const settings = {
          INFLUX_URL: servers.influxUrl,
          METER_DECLARATION: join(root, "infra/registry-example"),
          METER_TOKENS_FILE: join(folder, "tokens.json"),
          METER_ACCESS_LOG_DIR: join(folder, "access"),
          METER_API_HOST: "127.0.0.1",
          METER_API_PORT: "0",
        };
        execFileSync(
          process.execPath,
          [
            join(root, "services/meter-data-api/src/token-command.ts"),
            "create",
            "--reader",
            "stadtwerke-musterstadt-metering",
            "--expires",
            "1d",
          ],
          { env: { PATH: process.env.PATH ?? "", ...settings } },
        );
        return settings;
      },
    ],
    [
      "open-data-api",
      () => ({
        INFLUX_URL: servers.influxUrl,
        OPEN_DATA_DECLARATION: join(root, "infra/registry-example"),
        OPEN_DATA_API_HOST: "127.0.0.1",
        OPEN_DATA_API_PORT: "0",
      }),
    ],
  ] as const)(
    "%s starts from its deployed bundle and answers /healthz and /readyz",
    { timeout: 120_000 },
    async (service, env) => {
      if (service === "influx-writer")
        await createDatabase({ url: servers.influxUrl, database: id.replaceAll("-", "_") });
      const script = await deployed(service);
      const worker = await startWorker(service, env(), { script });
      try {
        expect((await fetch(`${worker.opsUrl}/healthz`)).status).toBe(200);
        await expect.poll(() => readiness(worker), { timeout: 30_000, interval: 250 }).toBe(200);
      } finally {
        expect((await worker.stop()).code).toBe(0);
      }
    },
  );

  it("the audit runs from its deployed bundle", { timeout: 120_000 }, async () => {
    const database = uniqueName("image_audit").replaceAll("-", "_");
    await createDatabase({ url: servers.influxUrl, database });
    const script = await deployed("audit");
    const { stdout } = await promisify(execFile)(process.execPath, [script, "--from", "1h", "--json"], {
      cwd: join(script, "..", ".."),
      env: { PATH: process.env.PATH ?? "", INFLUX_URL: servers.influxUrl, INFLUX_DATABASE: database },
    });
    expect(JSON.parse(stdout)).toMatchObject({ databases: [database], missing: 0, devices: [] });
  });

  it("the grafana-provisioner exports a city's provisioning from its deployed bundle", {
    timeout: 120_000,
  }, async () => {
    const script = await deployed("grafana-provisioner");
    const out = mkdtempSync(join(tmpdir(), "sf-image-grafana-"));
    folders.push(out);
    await promisify(execFile)(
      process.execPath,
      [script, "export", "--declaration", join(root, "infra/registry-example"), "--without-credentials", "--out", out],
      { cwd: join(script, "..", ".."), env: { PATH: process.env.PATH ?? "" } },
    );
    const written = readdirSync(out, { recursive: true }).map(String);
    expect(written.some((file) => file.endsWith(".json"))).toBe(true);
    expect(written.some((file) => file.includes("datasources"))).toBe(true);
  });
});
