import { execFileSync } from "node:child_process";
import { topicsFor } from "@stadtfluss/kafka";
import {
  type PrometheusAddress,
  type PromSample,
  promQuery,
  requirePrometheus,
  scrapeTargets,
  uniqueName,
} from "@stadtfluss/testing";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { CONSUMER_LAG_GROWING_PROMQL, DEAD_LETTERS_RISING_PROMQL } from "../dashboards/alerts.ts";
import { dashboards, fillPromQLVariables } from "../dashboards/index.ts";
import { type Pipeline, startPipeline } from "./pipeline.ts";

const servers = inject("servers");

/** A series a panel must show: its labels, and whether its value must be above zero. */
interface ExpectedSeries {
  readonly labels: Readonly<Record<string, string>>;
  readonly positive: boolean;
}

/** An alert rule's PromQL limited to one scrape job: the rules themselves watch every job. */
const forJob = (expr: string, job: string) =>
  expr.replaceAll(/\b(stadtfluss_[a-z_]+)\b(?!\{)/g, `$1{job=${JSON.stringify(job)}}`);

describe("the pipeline dashboard's PromQL against the real Prometheus scraping the real workers", () => {
  // The scrape job keeps this test's series apart from any other's in the shared Prometheus.
  const job = uniqueName("pipeline-dashboard");
  let prometheus: PrometheusAddress;
  let pipeline: Pipeline;
  let unscrape: (() => void) | undefined;

  beforeAll(async () => {
    prometheus = requirePrometheus(inject("prometheus"));
    pipeline = await startPipeline(servers);
    unscrape = scrapeTargets(
      prometheus,
      job,
      Object.values(pipeline.workers).map((worker) => new URL(worker.opsUrl).host),
    );
  });
  afterAll(async () => {
    unscrape?.();
    await pipeline?.stop();
  });

  it("answers every panel's query, with the dashboard's variables filled in, with the series the panel shows", async () => {
    const topics = topicsFor(pipeline.topicPrefix);
    const expected: Record<number, readonly ExpectedSeries[]> = {
      // Messages in per stage: every worker took some in.
      1: ["mqtt-bridge", "normalizer", "influx-writer"].map((worker) => ({ labels: { worker }, positive: true })),
      // Messages out per stage and where they went.
      2: [
        { labels: { worker: "mqtt-bridge", topic: topics.raw }, positive: true },
        { labels: { worker: "normalizer", topic: topics.observations }, positive: true },
        { labels: { worker: "influx-writer", topic: "influxdb" }, positive: true },
      ],
      // Dead letters per stage: the series of the broken message (a rate, zero once it has passed).
      3: [{ labels: { worker: "normalizer", stage: "decode" }, positive: false }],
      4: [{ labels: { worker: "normalizer", stage: "decode" }, positive: true }],
      5: [{ labels: { worker: "normalizer", stage: "decode", error_class: "NormalizeError" }, positive: true }],
      // Lag of each consuming stage on the topic it reads.
      6: [
        { labels: { worker: "normalizer", topic: topics.raw }, positive: false },
        { labels: { worker: "influx-writer", topic: topics.observations }, positive: false },
      ],
    };
    const panels = dashboards.pipeline.panels;
    expect(panels.map((p) => p.id).sort()).toEqual(Object.keys(expected).map(Number).sort());

    // Traffic for about fifteen seconds, and one message the normalizer cannot decode.
    const load = pipeline.publish({ count: 300, rate: 20, devices: 5 });
    execFileSync("mosquitto_pub", [
      ...["-h", "127.0.0.1", "-p", new URL(servers.mqttUrl).port, "-q", "1"],
      ...["-t", `${pipeline.mqttPrefix}/${pipeline.tenant}/air-0001/up`, "-m", "{this is not json"],
    ]);

    const run = (expr: string) =>
      promQuery(prometheus, fillPromQLVariables(expr, { rateInterval: "1m", values: { job: [job] } }));
    const missing = (samples: readonly PromSample[], wanted: readonly ExpectedSeries[]) =>
      wanted.filter(
        (w) =>
          !samples.some(
            (s) =>
              Object.entries(w.labels).every(([key, value]) => s.metric[key] === value) && (!w.positive || s.value > 0),
          ),
      );

    let answers: Record<number, PromSample[]> = {};
    let unmet: Array<{ panel: number; missing: readonly ExpectedSeries[] }> = [];
    const deadline = Date.now() + 90_000;
    do {
      answers = {};
      for (const panel of panels) {
        const [target] = panel.targets;
        if (!target) throw new Error(`panel ${panel.id} has no query`);
        answers[panel.id] = await run(target.expr);
      }
      unmet = panels
        .map((panel) => ({ panel: panel.id, missing: missing(answers[panel.id] ?? [], expected[panel.id] ?? []) }))
        .filter((p) => p.missing.length > 0);
      if (unmet.length === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 500));
    } while (Date.now() < deadline);
    expect(unmet, `answers: ${JSON.stringify(answers)}`).toEqual([]);
    await load;

    // Each series is grouped by exactly the labels its legend names, nothing of another job.
    for (const panel of panels) {
      const legend = [...(panel.targets[0]?.legendFormat.matchAll(/\{\{(\w+)\}\}/g) ?? [])].map((m) => m[1]);
      for (const sample of answers[panel.id] ?? []) expect(Object.keys(sample.metric).sort()).toEqual(legend.sort());
    }

    // The variable's values as Grafana asks for them (label_values): this job among them.
    const [variable] = dashboards.pipeline.templating.list;
    expect(variable?.query).toBe("label_values(stadtfluss_messages_in_total, job)");
    const values = (await (
      await fetch(
        `${prometheus.url}/api/v1/label/job/values?${new URLSearchParams({ "match[]": "stadtfluss_messages_in_total" })}`,
      )
    ).json()) as { data: string[] };
    expect(values.data).toContain(job);
  });

  it("fires the dead-letter rule on a stage's first dead letter, and gives the lag rule a series per consumer", async () => {
    const topics = topicsFor(pipeline.topicPrefix);
    // The first test sent one broken message: the normalizer's counter went from nothing to 1,
    // which increase() alone does not see.
    await expect
      .poll(
        async () =>
          (await promQuery(prometheus, forJob(DEAD_LETTERS_RISING_PROMQL, job))).map((s) => ({
            ...s.metric,
            firing: s.value > 0,
          })),
        { timeout: 30_000 },
      )
      .toEqual([{ worker: "normalizer", stage: "decode", firing: true }]);

    const lag = await promQuery(prometheus, forJob(CONSUMER_LAG_GROWING_PROMQL, job));
    expect(lag.map((s) => s.metric).sort((a, b) => String(a.worker).localeCompare(String(b.worker)))).toEqual([
      { worker: "influx-writer", topic: topics.observations },
      { worker: "normalizer", topic: topics.raw },
    ]);
    for (const sample of lag) expect(Number.isFinite(sample.value)).toBe(true);
  });
});
