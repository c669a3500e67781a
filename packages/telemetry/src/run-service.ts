import { getPriority, setPriority } from "node:os";
import { env } from "@stadtfluss/config";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { z } from "zod";
import { startOpsServer } from "./ops-server.ts";

/**
 * The worker runs at least at this nice value (0 to 19). Only the bridge can
 * lose data by falling behind (the MQTT broker drops what overflows its queue);
 * every later stage waits in Kafka. So the stages after the bridge run at a lower
 * priority, and on a shared host a burst's CPU goes to intake first while their
 * backlog waits in Kafka.
 */
export const processNice = (fallback: number) => env.integer(0, 19).default(fallback);

/** Settings every worker shares: its ops port, priority, log level and shutdown deadline. */
export const opsEnv = z.object({
  OPS_HOST: env.text().default("0.0.0.0"),
  OPS_PORT: env.port().default(9464),
  PROCESS_NICE: processNice(0),
  LOG_LEVEL: env.logLevel(),
  SHUTDOWN_DEADLINE_MS: env.integer(100, 600_000).default(10_000),
});

export interface OpsSettings {
  readonly host: string;
  readonly port: number;
  readonly nice: number;
}

export function opsSettingsFrom(parsed: z.output<typeof opsEnv>): OpsSettings {
  return { host: parsed.OPS_HOST, port: parsed.OPS_PORT, nice: parsed.PROCESS_NICE };
}

export interface WorkerHooks {
  /** The worker cannot go on (for example its consumer crashed for good). */
  fatal(error: unknown): void;
  /** A worker with a bounded job (the simulator with a count) is done: stop cleanly. */
  finished(): void;
}

export interface Worker {
  start(hooks: WorkerHooks): Promise<void>;
  /** Stops intake, drains in-flight work, flushes sinks and commits. */
  stop(): Promise<void>;
  isReady(): boolean;
}

/**
 * Runs a worker until SIGTERM or SIGINT (graphile-worker's shutdown): the first
 * signal stops intake and drains within the deadline, a second forces the exit.
 * The exit code stays honest: 0 only after a clean drain.
 */
export async function runService(options: {
  readonly logger: Logger;
  readonly worker: Worker;
  readonly registry: Registry;
  readonly ops: OpsSettings;
  readonly shutdownDeadlineMs: number;
}): Promise<void> {
  const { logger, worker } = options;
  let stopping = false;
  // At least this nice: lowering one's own priority needs no privilege, and a
  // worker started under `nice` keeps what it was given.
  if (options.ops.nice > getPriority()) setPriority(options.ops.nice);

  const ops = await startOpsServer({
    host: options.ops.host,
    port: options.ops.port,
    registry: options.registry,
    isReady: () => !stopping && worker.isReady(),
  });
  logger.info({ port: ops.port }, "ops server listening");

  const shutdown = async (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason, deadlineMs: options.shutdownDeadlineMs }, "stopping");
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: options.shutdownDeadlineMs }, "shutdown deadline passed, exiting");
      process.exit(1);
    }, options.shutdownDeadlineMs);
    deadline.unref();
    let code = exitCode;
    try {
      await worker.stop();
    } catch (error) {
      logger.error({ err: error }, "stop failed");
      code = 1;
    }
    await ops.close();
    clearTimeout(deadline);
    logger.info({ exitCode: code }, "stopped");
    process.exit(code);
  };

  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    process.on(signal, () => {
      if (stopping) {
        logger.warn({ signal }, "second signal, forcing exit");
        process.exit(130);
      }
      void shutdown(signal, 0);
    });
  }

  try {
    await worker.start({
      fatal: (error) => {
        logger.fatal({ err: error }, "worker failed");
        void shutdown("fatal error", 1);
      },
      finished: () => void shutdown("finished", 0),
    });
    logger.info("started");
  } catch (error) {
    logger.fatal({ err: error }, "start failed");
    await shutdown("start failed", 1);
  }
}
