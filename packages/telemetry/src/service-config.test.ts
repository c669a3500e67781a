import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { env } from "@stadtfluss/config";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { opsEnv } from "./run-service.ts";
import { loadServiceConfig } from "./service-config.ts";

const schema = z.object({ ...opsEnv.shape, WORKER_URL: env.text(), WORKER_TOKEN: env.secret().optional() });
const load = (environment: Record<string, string>) =>
  loadServiceConfig(schema, environment, (parsed) => ({ url: parsed.WORKER_URL, token: parsed.WORKER_TOKEN }));

describe("loadServiceConfig", () => {
  it("ends the worker's own settings with the ops port, priority, log level and shutdown deadline", () => {
    expect(load({ WORKER_URL: "u" })).toEqual({
      url: "u",
      token: undefined,
      ops: { host: "0.0.0.0", port: 9464, nice: 0 },
      logLevel: "info",
      shutdownDeadlineMs: 10_000,
    });
    expect(load({ WORKER_URL: "u", OPS_PORT: "0", LOG_LEVEL: "debug", SHUTDOWN_DEADLINE_MS: "500" })).toMatchObject({
      ops: { port: 0 },
      logLevel: "debug",
      shutdownDeadlineMs: 500,
    });
  });

  it("lists the shared settings' problems with the worker's own, and reads its secrets from <NAME>_FILE", () => {
    const problems = (() => {
      try {
        load({ LOG_LEVEL: "loud" });
      } catch (error) {
        return (error as { problems: string[] }).problems;
      }
    })();
    expect(problems?.map((p) => p.split(":")[0])).toEqual(["LOG_LEVEL", "WORKER_URL"]);
    const file = join(mkdtempSync(join(tmpdir(), "sf-telemetry-")), "token");
    writeFileSync(file, "t0ken\n");
    expect(load({ WORKER_URL: "u", WORKER_TOKEN_FILE: file }).token?.reveal()).toBe("t0ken");
  });
});
