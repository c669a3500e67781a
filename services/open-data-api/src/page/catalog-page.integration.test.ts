import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, dropDatabase } from "@stadtfluss/influx";
import { databaseName } from "@stadtfluss/registry";
import { freePort, startWorker, uniqueName, type WorkerProcess } from "@stadtfluss/testing";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";

const servers = inject("servers");
const HOUR = 3_600_000;
// Debian's chromium (infra/setup.sh installs it); the test fails, never skips, without it.
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const city = uniqueName("odp");
const first = Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR;

describe("the catalog page in a real browser", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-open-page-"));
  let api: WorkerProcess;
  let base: string;
  let browser: Browser;

  beforeAll(async () => {
    expect(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: run infra/setup.sh (Debian's chromium)`).toBe(true);
    writeFileSync(
      join(dir, "platform.yaml"),
      [
        "tenants:",
        `  - { id: ${city}, name: Stadt ${city}, kind: municipality }`,
        "readers:",
        '  - { name: open-data, read: { "*": [open] } }',
      ].join("\n"),
    );
    const database = databaseName(city, "open");
    await createDatabase({ url: servers.influxUrl, database });
    const lines = Array.from(
      { length: 6 },
      (_, h) =>
        `traffic,device=count-1,district=Altstadt,resolution=1h,scope=device vehicle_count_sum=${100 + h} ${first + h * HOUR}`,
    );
    const written = await fetch(`${servers.influxUrl}/write?db=${database}&precision=ms`, {
      method: "POST",
      body: lines.join("\n"),
    });
    expect(written.status).toBe(204);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = await startWorker("open-data-api", {
      INFLUX_URL: servers.influxUrl,
      OPEN_DATA_DECLARATION: join(dir, "platform.yaml"),
      OPEN_DATA_API_HOST: "127.0.0.1",
      OPEN_DATA_API_PORT: String(port),
    });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await dropDatabase({ url: servers.influxUrl, database: databaseName(city, "open") }).catch(() => {});
  });

  it("loads without console errors, lists the dataset and draws its chart with data", async () => {
    const context = await browser.newContext({ locale: "de-DE" });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error") errors.push(message.text());
    });
    page.on("pageerror", (error) => errors.push(error.message));
    const response = await page.goto(`${base}/`);
    expect(response?.status()).toBe(200);
    await expect.poll(() => page.locator("h1").textContent()).toBe("Offene Daten");
    const item = page.locator(`li.dataset[data-dataset="${city}/traffic"]`);
    await expect.poll(() => item.count()).toBe(1);
    await page.waitForSelector(`li.dataset[data-dataset="${city}/traffic"] figure[data-points]`, { timeout: 30_000 });
    expect(await item.locator("figure").getAttribute("data-points")).toBe("6");
    expect(await item.locator("svg polyline").count()).toBe(1);
    expect(errors).toEqual([]);
    await context.close();
  });

  it("speaks English when asked", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const page = await context.newPage();
    await page.goto(`${base}/`);
    expect(await page.locator("h1").textContent()).toBe("Open data");
    await page.goto(`${base}/?lang=de`);
    expect(await page.locator("h1").textContent()).toBe("Offene Daten");
    await context.close();
  });

  it("the CSV download holds the rows the JSON endpoint returns", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}/?lang=en`);
    const item = page.locator(`li.dataset[data-dataset="${city}/traffic"]`);
    const csvHref = await item.locator('a[data-format="csv"]').getAttribute("href");
    const jsonHref = await item.locator('a[data-format="json"]').getAttribute("href");
    const [download] = await Promise.all([page.waitForEvent("download"), item.locator('a[data-format="csv"]').click()]);
    const path = await download.path();
    const { readFileSync } = await import("node:fs");
    const csv = readFileSync(path, "utf8").trimEnd().split("\r\n");
    const json = (await (await fetch(new URL(jsonHref as string, base))).json()) as {
      observations: Array<{ time: string; vehicle_count_sum: number }>;
    };
    expect(csvHref).toContain("format=csv");
    expect(json.observations).toHaveLength(6);
    expect(csv.slice(1).map((line) => line.split(","))).toEqual(
      json.observations.map((o) => [o.time, "1h", "device", "count-1", "Altstadt", String(o.vehicle_count_sum)]),
    );
    await context.close();
  });
});
