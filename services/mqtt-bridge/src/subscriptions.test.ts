import { describe, expect, it } from "vitest";
import { planSubscriptions, subscriptionRecordTopic } from "./subscriptions.ts";

describe("subscriptions on connect", () => {
  it("subscribes every configured filter when the broker holds no session, and unsubscribes none", () => {
    for (const version of [4, 5] as const) {
      expect(planSubscriptions(["a/+", "b/+"], ["a/+", "old/+"], false, version)).toEqual({
        subscribe: ["a/+", "b/+"],
        unsubscribe: [],
      });
    }
  });

  it("on MQTT 5 subscribes every configured filter again and unsubscribes those removed since the record", () => {
    expect(planSubscriptions(["a/+", "b/+"], ["a/+", "old/+"], true, 5)).toEqual({
      subscribe: ["a/+", "b/+"],
      unsubscribe: ["old/+"],
    });
  });

  it("on MQTT 3.1.1 subscribes only what the session lacks, which would otherwise replay retained messages", () => {
    expect(planSubscriptions(["a/+", "b/+"], ["a/+", "old/+"], true, 4)).toEqual({
      subscribe: ["b/+"],
      unsubscribe: ["old/+"],
    });
  });

  it("without a record subscribes everything and can unsubscribe nothing", () => {
    for (const version of [4, 5] as const) {
      expect(planSubscriptions(["a/+"], undefined, true, version)).toEqual({ subscribe: ["a/+"], unsubscribe: [] });
    }
  });

  it("keeps the record below one topic level of its own, whatever the client id", () => {
    expect(subscriptionRecordTopic("stadtfluss-bridge-city")).toBe(
      "stadtfluss-bridge/stadtfluss-bridge-city/subscriptions",
    );
    expect(subscriptionRecordTopic("a/b+#")).toBe("stadtfluss-bridge/a%2Fb%2B%23/subscriptions");
  });
});
