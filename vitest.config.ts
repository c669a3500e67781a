import { defineConfig } from "vitest/config";

/**
 * Integration files whose devices publish on their firmware's own topics
 * (`airrohr/<device>/data`, `dsmr/<device>/telegram`, …), which carry no test's
 * unique prefix: two of them at once would read each other's messages.
 */
const ownTopics = [
  "test/alerts.test.ts",
  "test/dashboards.test.ts",
  "test/formats.test.ts",
  "test/images.test.ts",
  "test/meter-data.test.ts",
  "test/open-data.test.ts",
  "test/pipeline.test.ts",
  "test/startup.test.ts",
];

const integration = {
  // Mosquitto, the Kafka-protocol broker and InfluxDB start once per run (per project).
  globalSetup: ["packages/testing/src/global-setup.ts"],
  testTimeout: 120_000,
  hookTimeout: 60_000,
};

export default defineConfig({
  test: {
    // Two files at a time even on two cores (the default runs one there): most
    // integration files spend their time waiting out outages and polls, and each
    // isolates itself by unique names, or runs on servers of its own when it stops them.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts", "services/*/src/**/*.test.ts"],
          exclude: ["**/*.integration.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "integration",
          include: [
            "packages/*/src/**/*.integration.test.ts",
            "services/*/src/**/*.integration.test.ts",
            "test/**/*.test.ts",
          ],
          exclude: [...ownTopics, "**/node_modules/**"],
          ...integration,
        },
      },
      {
        test: {
          // One at a time, after the others, on servers of their own.
          name: "integration-own-topics",
          include: ownTopics,
          maxWorkers: 1,
          ...integration,
        },
      },
    ],
  },
});
