import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { env, parseEnv, Secret } from "./index.ts";

const schema = z.object({
  KAFKA_BROKERS: env.list(),
  OPS_PORT: env.port().default(9464),
  PASSWORD: env.secret().optional(),
  SOURCES: env.json(z.array(z.object({ url: z.string().url() }))).optional(),
});

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error("expected a ConfigError");
}

describe("parseEnv", () => {
  it("returns typed values with defaults applied", () => {
    const config = parseEnv(schema, { KAFKA_BROKERS: "a:9092, b:9092" });
    expect(config.KAFKA_BROKERS).toEqual(["a:9092", "b:9092"]);
    expect(config.OPS_PORT).toBe(9464);
  });

  it("reports every bad setting at once, each by name", () => {
    const problems = problemsOf(() => parseEnv(schema, { OPS_PORT: "http", SOURCES: '[{"url":"nope"}]' }));
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^KAFKA_BROKERS: is required but not set$/);
    expect(problems.find((p) => p.startsWith("OPS_PORT:"))).toMatch(/whole number/);
    expect(problems.find((p) => p.startsWith("SOURCES[0].url:"))).toBeDefined();
  });

  it("treats an empty variable as unset", () => {
    expect(problemsOf(() => parseEnv(schema, { KAFKA_BROKERS: "" }))).toEqual([
      "KAFKA_BROKERS: is required but not set",
    ]);
  });

  it("reads a secret from <NAME>_FILE and never shows it", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-config-"));
    writeFileSync(join(dir, "pw"), "hunter2\n");
    const config = parseEnv(
      schema,
      { KAFKA_BROKERS: "a:1", PASSWORD_FILE: join(dir, "pw") },
      { secretFiles: ["PASSWORD"] },
    );
    expect(config.PASSWORD).toBeInstanceOf(Secret);
    expect(config.PASSWORD?.reveal()).toBe("hunter2");
    expect(JSON.stringify(config)).not.toContain("hunter2");
    expect(inspect(config)).not.toContain("hunter2");
    expect(`${config.PASSWORD}`).not.toContain("hunter2");
  });

  it("takes every env.secret() of the schema from <NAME>_FILE without a list", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-config-"));
    writeFileSync(join(dir, "token"), "t0ken\n");
    writeFileSync(join(dir, "pw"), "hunter2\n");
    const secrets = z.object({ ...schema.shape, TOKEN: env.secret() }).check(() => undefined);
    const config = parseEnv(secrets, {
      KAFKA_BROKERS: "a:1",
      TOKEN_FILE: join(dir, "token"),
      PASSWORD_FILE: join(dir, "pw"),
    });
    expect([config.TOKEN.reveal(), config.PASSWORD?.reveal()]).toEqual(["t0ken", "hunter2"]);
    // Only secrets: another setting's _FILE is no setting at all.
    expect(parseEnv(schema, { KAFKA_BROKERS: "a:1", OPS_PORT_FILE: join(dir, "pw") }).OPS_PORT).toBe(9464);
  });

  it("names the _FILE variable when the file cannot be read", () => {
    const problems = problemsOf(() =>
      parseEnv(schema, { KAFKA_BROKERS: "a:1", PASSWORD_FILE: "/nonexistent/pw" }, { secretFiles: ["PASSWORD"] }),
    );
    expect(problems).toEqual(["PASSWORD_FILE: cannot read /nonexistent/pw (ENOENT)"]);
  });

  it("names an empty _FILE instead of taking the secret as unset", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-config-"));
    writeFileSync(join(dir, "pw"), "\n");
    const problems = problemsOf(() =>
      parseEnv(schema, { KAFKA_BROKERS: "a:1", PASSWORD_FILE: join(dir, "pw") }, { secretFiles: ["PASSWORD"] }),
    );
    expect(problems).toEqual([`PASSWORD_FILE: ${join(dir, "pw")} is empty`]);
  });

  it("does not echo a rejected value", () => {
    const problems = problemsOf(() => parseEnv(schema, { KAFKA_BROKERS: "a:1", OPS_PORT: "s3cr3t-token" }));
    expect(problems.join("\n")).not.toContain("s3cr3t-token");
  });
});
