import { readFileSync } from "node:fs";
import { connect, createServer } from "node:net";

/**
 * A TCP port on loopback that was free a moment ago, chosen below the kernel's
 * ephemeral range: the port is handed to a process that binds it later, and in
 * between any outgoing connection may take a port from that range as its own
 * (EADDRINUSE at start-up, seen with a busy machine).
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const floor = 10_000;
  if (low > floor + 1_000)
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = floor + Math.floor(Math.random() * (low - floor));
      // Not twice from one process: the first taker may not have bound it yet.
      if (handedOut.has(port) || FETCH_BLOCKED.has(port)) continue;
      if (await bindable(port)) {
        handedOut.add(port);
        return port;
      }
    }
  return bindable(0);
}

const handedOut = new Set<number>();
/**
 * The Fetch standard's "bad ports" at or above the floor: Node's fetch refuses to
 * connect to them ("bad port"), so a server on one could never be reached by it
 * (influxd on 10080 failed a run's start-up).
 */
const FETCH_BLOCKED = new Set([10_080]);

/** The kernel's range for local ports of outgoing connections; Linux's default where it cannot be read. */
export function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    if (low && high) return [low, high];
  } catch {}
  return [32_768, 60_999];
}

/** Binds and releases the port: its number (the kernel's choice for 0), or 0 where it is taken. */
function bindable(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once("error", (error: NodeJS.ErrnoException) =>
      error.code === "EADDRINUSE" || error.code === "EACCES" ? resolve(0) : reject(error),
    );
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Resolves once something accepts connections on the port; fails if `owner` exits first. */
export async function waitForPort(
  port: number,
  owner: { readonly name: string; readonly output: string[]; readonly exited: Promise<unknown> },
  timeoutMs = 15_000,
): Promise<void> {
  let exited = false;
  void owner.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && !exited) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`${owner.name} did not listen on ${port}:\n${owner.output.slice(-20).join("\n")}`);
}
