import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { type RunningProcess, startProcess } from "./child-process.ts";
import { freePort, waitForPort } from "./free-port.ts";
import { repositoryRoot } from "./repository-root.ts";

export interface MosquittoServer {
  readonly url: string;
  readonly port: number;
  /** Stops and starts the broker on the same port; persisted sessions survive. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Debian's Mosquitto on a free loopback port, with a generated config. `extra`
 * lines are appended (password and ACL files, queue limits).
 */
export async function startMosquitto(
  options: {
    extra?: readonly string[];
    port?: number;
    /** `stadtfluss`: the queue limits of infra/mosquitto/mosquitto.conf instead of Mosquitto's defaults. */
    queues?: "default" | "stadtfluss";
    /** Password and ACL files: anonymous clients are refused. */
    auth?: { passwordFile: string; aclFile: string };
  } = {},
): Promise<MosquittoServer> {
  const dir = mkdtempSync(join(tmpdir(), "sf-mosquitto-"));
  const port = options.port ?? (await freePort());
  const config = join(dir, "mosquitto.conf");
  writeFileSync(
    config,
    [
      // Stay the user that started it, so that it can write the temp folder.
      `user ${userInfo().username}`,
      `listener ${port} 127.0.0.1`,
      ...(options.auth
        ? ["allow_anonymous false", `password_file ${options.auth.passwordFile}`, `acl_file ${options.auth.aclFile}`]
        : ["allow_anonymous true"]),
      ...(options.queues === "stadtfluss" ? stadtflussQueueSettings() : []),
      "persistence true",
      `persistence_location ${dir}/`,
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      "log_type notice",
      "log_type information",
      "sys_interval 1",
      ...(options.extra ?? []),
      "",
    ].join("\n"),
  );

  let broker: RunningProcess;
  const launch = async () => {
    broker = startProcess("mosquitto", "mosquitto", ["-c", config]);
    await waitForPort(port, broker);
  };
  await launch();

  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    async restart() {
      await broker.stop();
      await launch();
    },
    async stop() {
      await broker.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The `max_*` lines of the project's own broker configuration. */
export function stadtflussQueueSettings(): string[] {
  return readFileSync(join(repositoryRoot(), "infra/mosquitto/mosquitto.conf"), "utf8")
    .split("\n")
    .filter((line) => line.startsWith("max_"));
}
