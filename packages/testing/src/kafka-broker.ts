import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { startProcess } from "./child-process.ts";
import { repositoryRoot } from "./repository-root.ts";

export interface KafkaBroker {
  readonly brokers: string[];
  /**
   * A command for the mock cluster: `down 2`, `up 2`, `rtt 1 500`, `leader t 0 3`,
   * `err 0 TOPIC_AUTHORIZATION_FAILED 5`, `clear-err 0`, `config t max.message.bytes 65536`,
   * `forget-producers` (infra/kafka-mock/mockbroker.c lists them all).
   */
  command(line: string): Promise<void>;
  createTopic(name: string, partitions?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The cached build of infra/kafka-mock (built by the set-up script when missing). */
export function mockBrokerBinary(): string {
  const fromEnv = process.env.STADTFLUSS_MOCKBROKER;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const script = join(repositoryRoot(), "infra/kafka-mock/build.sh");
  const out = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const path = out.trim().split("\n").at(-1);
  if (!path || !existsSync(path)) throw new Error(`infra/kafka-mock/build.sh printed no binary path: ${out}`);
  return path;
}

/**
 * librdkafka's mock cluster: real brokers speaking the Kafka protocol on loopback,
 * in memory. kafkajs talks to it exactly as to Apache Kafka.
 */
export async function startKafkaBroker(
  options: {
    brokers?: number;
    partitions?: number;
    /** The largest record batch a partition accepts; Kafka's default (1,048,588) unless set. */
    messageMaxBytes?: number;
  } = {},
): Promise<KafkaBroker> {
  const args = ["--brokers", String(options.brokers ?? 3), "--partitions", String(options.partitions ?? 3)];
  if (options.messageMaxBytes !== undefined) args.push("--message-max-bytes", String(options.messageMaxBytes));
  const broker = startProcess("kafka-mock", mockBrokerBinary(), args, { stdin: "pipe" });
  const line = await broker.waitForLine(/^BOOTSTRAP /);
  const brokers = line
    .replace(/^BOOTSTRAP /, "")
    .trim()
    .split(",");

  // Replies come back in order, one line for each command.
  const replies: ((line: string) => void)[] = [];
  const stdout = broker.process.stdout;
  if (stdout) {
    createInterface({ input: stdout }).on("line", (reply) => {
      if (reply === "ok" || reply.startsWith("error")) replies.shift()?.(reply);
    });
  }
  let queue = Promise.resolve();
  const command = (cmd: string) => {
    const result = queue.then(
      () =>
        new Promise<void>((resolve, reject) => {
          replies.push((reply) => (reply === "ok" ? resolve() : reject(new Error(`kafka-mock: ${cmd}: ${reply}`))));
          broker.process.stdin?.write(`${cmd}\n`);
        }),
    );
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    brokers,
    command,
    createTopic: (name, partitions = options.partitions ?? 3) => command(`topic ${name} ${partitions}`),
    async stop() {
      await broker.stop(5_000);
    },
  };
}
