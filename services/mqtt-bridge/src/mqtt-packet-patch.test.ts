import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

// patches/mqtt-packet@9.0.2.patch decides at load whether mqtt-packet's `debug` log
// is on, instead of asking on every call. mqtt-packet comes through mqtt.js, so it
// is resolved from there, as the bridge loads it.
const mqttPacketPath = createRequire(createRequire(import.meta.url).resolve("mqtt")).resolve("mqtt-packet");

/** Parses one QoS 1 PUBLISH and writes its PUBACK in a fresh process; returns what it printed. */
function parseAndAcknowledge(env: NodeJS.ProcessEnv) {
  const script = `
    const mp = require(${JSON.stringify(mqttPacketPath)});
    const { Writable } = require("node:stream");
    const written = [];
    const sink = new Writable({ write(chunk, _encoding, done) { written.push(chunk); done(); } });
    const parser = mp.parser({ protocolVersion: 4 });
    parser.on("packet", (packet) => {
      mp.writeToStream({ cmd: "puback", messageId: packet.messageId }, sink);
      console.log(JSON.stringify({ topic: packet.topic, messageId: packet.messageId, payload: packet.payload.toString() }));
      setImmediate(() => console.log(Buffer.concat(written).toString("hex")));
    });
    parser.parse(mp.generate({ cmd: "publish", qos: 1, messageId: 7, topic: "city/dev-1/up", payload: Buffer.from("{}") }));
  `;
  const { DEBUG: _inherited, ...rest } = process.env;
  const child = spawnSync(process.execPath, ["-e", script], { env: { ...rest, ...env }, encoding: "utf8" });
  const [packet, puback] = child.stdout.trim().split("\n");
  return { status: child.status, packet: JSON.parse(packet ?? "null"), puback, stderr: child.stderr };
}

describe("mqtt-packet's debug log, as patched", () => {
  it("parses and acknowledges as before, and logs nothing, without DEBUG", () => {
    const run = parseAndAcknowledge({});
    expect(run.status).toBe(0);
    expect(run.packet).toEqual({ topic: "city/dev-1/up", messageId: 7, payload: "{}" });
    expect(run.puback).toBe("40020007"); // PUBACK, remaining length 2, packet identifier 7
    expect(run.stderr).toBe("");
  });

  it("still logs the parser and the writer when DEBUG names them before start", () => {
    const run = parseAndAcknowledge({ DEBUG: "mqtt-packet:*", DEBUG_COLORS: "no" });
    expect(run.status).toBe(0);
    expect(run.puback).toBe("40020007");
    expect(run.stderr).toContain("mqtt-packet:parser parse:");
    expect(run.stderr).toContain("mqtt-packet:writeToStream generate: packet.cmd: puback");
  });
});
