import { mkdirSync, mkdtempSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@stadtfluss/telemetry";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadRegistry } from "./load-registry.ts";
import { createRegistryMetrics } from "./registry-metrics.ts";
import { type RegistryWatcher, watchRegistry } from "./registry-watcher.ts";

const device = (id: string, extra = "") => `  - id: ${id}\n    tenant: musterstadt\n    privacy: public\n${extra}`;

let watcher: RegistryWatcher | undefined;
afterEach(() => {
  watcher?.stop();
  vi.useRealTimers();
});

function setUp(intervalMs = 60_000) {
  const root = mkdtempSync(join(tmpdir(), "sf-registry-"));
  const file = join(root, "devices.yaml");
  writeFileSync(join(root, "tenants.yaml"), "tenants: [{ id: musterstadt, name: Musterstadt, kind: municipality }]\n");
  writeFileSync(file, `devices:\n${device("s-1")}`);
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("test", "info", { write: (line: string) => void lines.push(JSON.parse(line)) });
  const promRegistry = new Registry();
  watcher = watchRegistry({
    path: root,
    initial: loadRegistry(root),
    intervalMs,
    logger,
    metrics: createRegistryMetrics(promRegistry),
  });
  const metric = async (name: string, outcome?: string) =>
    (await promRegistry.getSingleMetric(name)?.get())?.values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
  return { root, file, lines, watcher, metric };
}

describe("watchRegistry", () => {
  it("takes a good change and counts it", async () => {
    const { file, watcher, metric } = setUp();
    expect(watcher.reload()).toBe("unchanged");
    writeFileSync(file, `devices:\n${device("s-1")}${device("s-2")}`);
    expect(watcher.reload()).toBe("ok");
    expect(watcher.current().device("musterstadt", "s-2")).toBeDefined();
    expect(await metric("stadtfluss_registry_reloads_total", "ok")).toBe(1);
    expect(await metric("stadtfluss_registry_devices")).toBe(2);
    expect(watcher.reload()).toBe("unchanged");
  });

  it("keeps the last good registry when a change is broken, and logs every problem with file:line once", async () => {
    const { file, lines, watcher, metric } = setUp();
    writeFileSync(file, `devices:\n${device("s-1")}  - id: s-2\n    tenant: musterstadt\n    privacy: secret\n`);
    expect(watcher.reload()).toBe("rejected");
    expect(watcher.current().device("musterstadt", "s-1")).toBeDefined();
    expect(watcher.current().device("musterstadt", "s-2")).toBeUndefined();
    const rejected = lines.find((line) => line.msg === "device registry change rejected, last good one kept");
    expect(rejected?.problems).toEqual([`${file}:7: devices[1].privacy: must be public or personal`]);
    expect(rejected?.level).toBe("error");
    expect(await metric("stadtfluss_registry_reloads_total", "rejected")).toBe(1);
    expect(await metric("stadtfluss_registry_devices")).toBe(1);
    // The same broken content is not tried (and logged) again on every poll.
    expect(watcher.reload()).toBe("unchanged");

    writeFileSync(file, `devices:\n${device("s-1")}${device("s-3")}`);
    expect(watcher.reload()).toBe("ok");
    expect(watcher.current().device("musterstadt", "s-3")).toBeDefined();
  });

  it("takes a device of a new tenant only together with the tenant's declaration", () => {
    const { root, file, lines, watcher } = setUp();
    writeFileSync(file, `devices:\n${device("s-1")}  - { id: s-2, tenant: nachbarstadt, privacy: public }\n`);
    expect(watcher.reload()).toBe("rejected");
    const rejected = lines.find((line) => line.msg === "device registry change rejected, last good one kept");
    expect(rejected?.problems).toEqual([
      `${file}:5: devices[1].tenant: unknown tenant "nachbarstadt" (declare it under tenants)`,
    ]);
    expect(watcher.current().device("nachbarstadt", "s-2")).toBeUndefined();
    writeFileSync(
      join(root, "nachbarstadt.yaml"),
      "tenants: [{ id: nachbarstadt, name: Nachbarstadt, kind: municipality }]\n",
    );
    expect(watcher.reload()).toBe("ok");
    expect(watcher.current().device("nachbarstadt", "s-2")).toBeDefined();
  });

  it("follows the declared tenants with the registry, and keeps the last good ones when a change is broken", () => {
    const { root, watcher } = setUp();
    const tenantIds = () =>
      watcher
        .declaration()
        .tenants.map((tenant) => tenant.id)
        .sort();
    expect(tenantIds()).toEqual(["musterstadt"]);
    writeFileSync(join(root, "more.yaml"), "tenants: [{ id: nachbarstadt, name: Nachbarstadt, kind: municipality }]\n");
    expect(watcher.reload()).toBe("ok");
    expect(tenantIds()).toEqual(["musterstadt", "nachbarstadt"]);
    writeFileSync(join(root, "more.yaml"), "tenants: [{ id: Nachbarstadt, name: Nachbarstadt, kind: municipality }]\n");
    expect(watcher.reload()).toBe("rejected");
    expect(tenantIds()).toEqual(["musterstadt", "nachbarstadt"]);
  });

  it("notices a ConfigMap update, which swaps the ..data symlink and leaves the visible file's path alone", () => {
    const { root } = setUp();
    // The layout the kubelet writes: files link through ..data into a timestamped folder.
    unlinkSync(join(root, "devices.yaml"));
    mkdirSync(join(root, "..2026_11_25_07_30_00.1"));
    mkdirSync(join(root, "..2026_11_25_07_35_00.2"));
    writeFileSync(join(root, "..2026_11_25_07_30_00.1/devices.yaml"), `devices:\n${device("s-1")}`);
    writeFileSync(join(root, "..2026_11_25_07_35_00.2/devices.yaml"), `devices:\n${device("s-1")}${device("s-9")}`);
    symlinkSync("..2026_11_25_07_30_00.1", join(root, "..data"));
    symlinkSync("..data/devices.yaml", join(root, "devices.yaml"));
    expect(watcher?.reload()).toBe("unchanged");
    symlinkSync("..2026_11_25_07_35_00.2", join(root, "..data_tmp"));
    renameSync(join(root, "..data_tmp"), join(root, "..data"));
    expect(watcher?.reload()).toBe("ok");
    expect(watcher?.current().device("musterstadt", "s-9")).toBeDefined();
  });

  it("reloads when a codec file that was missing appears", () => {
    const { root, file } = setUp();
    writeFileSync(
      file,
      `deviceTypes:\n  - id: ers\n    codec: codecs/ers.js\ndevices:\n${device("s-1", "    type: ers\n")}`,
    );
    expect(watcher?.reload()).toBe("rejected");
    writeFileSync(join(root, "ers.js"), "function decodeUplink(input) { return { data: {} }; }\n");
    writeFileSync(file, `deviceTypes:\n  - id: ers\n    codec: ers.js\ndevices:\n${device("s-1", "    type: ers\n")}`);
    expect(watcher?.reload()).toBe("ok");
    expect(watcher?.current().device("musterstadt", "s-1")?.type?.codec).toContain("decodeUplink");
    writeFileSync(join(root, "ers.js"), "function decodeUplink(input) { return { data: { t: 1 } }; }\n");
    expect(watcher?.reload()).toBe("ok");
    expect(watcher?.current().device("musterstadt", "s-1")?.type?.codec).toContain("t: 1");
  });

  it("polls by itself every interval", async () => {
    vi.useFakeTimers();
    const { file, watcher } = setUp(5_000);
    writeFileSync(file, `devices:\n${device("s-1")}${device("s-2")}`);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(watcher.current().size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(watcher.current().size).toBe(2);
  });
});
