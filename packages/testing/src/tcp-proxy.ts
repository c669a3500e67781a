import { connect, createServer, type Socket } from "node:net";

export interface TcpProxy {
  /** The target's URL with the proxy's port (`mqtt://127.0.0.1:<port>`). */
  readonly url: string;
  /**
   * From now on the connections open at this moment deliver nothing more from the
   * client to the server (an MQTT client's PUBACKs never arrive), while the server's
   * bytes still reach the client. What they held is dropped when they close.
   * Connections opened later pass freely.
   */
  holdClientBytes(): void;
  stop(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a real server, for faults between a client
 * and its broker that neither side can be asked to produce.
 */
export async function startTcpProxy(targetUrl: string): Promise<TcpProxy> {
  const target = new URL(targetUrl);
  const connections = new Set<{ client: Socket; upstream: Socket; held: boolean }>();
  const server = createServer((client) => {
    client.pause();
    const upstream = connect(Number(target.port), target.hostname);
    const connection = { client, upstream, held: false };
    connections.add(connection);
    const close = () => {
      connections.delete(connection);
      client.destroy();
      upstream.destroy();
    };
    upstream.once("connect", () => client.resume());
    client.on("data", (chunk) => {
      if (!connection.held) upstream.write(chunk);
    });
    upstream.on("data", (chunk) => client.write(chunk));
    for (const socket of [client, upstream]) {
      socket.once("close", close);
      socket.once("error", close);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const address = server.address();
  if (typeof address !== "object" || address === null) throw new Error("the proxy has no port");
  const url = new URL(targetUrl);
  url.hostname = "127.0.0.1";
  url.port = String(address.port);

  return {
    url: url.toString().replace(/\/$/, ""),
    holdClientBytes() {
      for (const connection of connections) connection.held = true;
    },
    async stop() {
      for (const { client, upstream } of connections) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
