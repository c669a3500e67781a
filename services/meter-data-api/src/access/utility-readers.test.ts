import type { PlatformDeclaration } from "@stadtfluss/registry";
import { describe, expect, it } from "vitest";
import { utilityReaders } from "./utility-readers.ts";

describe("utility readers from the declaration", () => {
  it("a reader of exactly one tenant's personal data is a utility reader of that tenant; others are not", () => {
    const declaration = {
      tenants: [],
      readers: [
        {
          name: "sw-metering",
          read: [
            { tenant: "stadtwerke", dataClass: "personal" },
            { tenant: "stadtwerke", dataClass: "open" },
          ],
        },
        { name: "planners", read: [{ tenant: "musterstadt", dataClass: "public" }] },
        { name: "open-data", read: [{ tenant: "stadtwerke", dataClass: "open" }] },
      ],
    } as unknown as PlatformDeclaration;
    expect([...utilityReaders(declaration).values()]).toEqual([
      { reader: "sw-metering", tenant: "stadtwerke", database: "stadtwerke_personal" },
    ]);
  });
});
