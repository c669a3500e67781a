import type { PlatformDeclaration, Tenant } from "@stadtfluss/registry";
import type { Observation } from "@stadtfluss/schemas";
import { describe, expect, it } from "vitest";
import { databaseByTenant, singleBucket } from "./observation-database.ts";

const tenant = (id: string): Tenant => ({
  id,
  name: id,
  kind: "municipality",
  retention: { public: null, personal: 3_600_000, open: null },
});

const observation = (tenantId: string, privacy: Observation["privacy"]): Observation => ({
  tenant: tenantId,
  deviceId: "air-0001",
  kind: "air.pm10",
  value: 7,
  unit: "ug/m3",
  observedAt: "2026-11-25T07:30:00.000Z",
  receivedAt: "2026-11-25T07:30:00.120Z",
  source: "city",
  privacy,
});

describe("databaseByTenant", () => {
  it("puts an observation into the database of its tenant and privacy class", () => {
    const databaseOf = databaseByTenant(() => ({
      tenants: [tenant("musterstadt"), tenant("stadtwerke-a")],
      readers: [],
    }));
    expect(databaseOf(observation("musterstadt", "public"))).toBe("musterstadt_public");
    expect(databaseOf(observation("musterstadt", "personal"))).toBe("musterstadt_personal");
    expect(databaseOf(observation("stadtwerke-a", "personal"))).toBe("stadtwerke-a_personal");
  });

  it("refuses an undeclared tenant for good, naming it, instead of choosing any database", () => {
    const databaseOf = databaseByTenant(() => ({ tenants: [tenant("musterstadt")], readers: [] }));
    for (const forged of ["nachbarstadt", "Musterstadt", "musterstadt_public"]) {
      let refused: unknown;
      try {
        databaseOf(observation(forged, "public"));
      } catch (error) {
        refused = error;
      }
      expect((refused as Error).message).toBe(`tenant "${forged}" is not declared (WRITER_DECLARATION)`);
      expect((refused as { retriable: boolean }).retriable).toBe(false);
    }
  });

  it("follows the declaration in force, also when a reload removes a tenant", () => {
    let declaration: PlatformDeclaration = { tenants: [tenant("musterstadt")], readers: [] };
    const databaseOf = databaseByTenant(() => declaration);
    expect(() => databaseOf(observation("nachbarstadt", "public"))).toThrow(/not declared/);
    declaration = { tenants: [tenant("musterstadt"), tenant("nachbarstadt")], readers: [] };
    expect(databaseOf(observation("nachbarstadt", "public"))).toBe("nachbarstadt_public");
    declaration = { tenants: [tenant("nachbarstadt")], readers: [] };
    expect(() => databaseOf(observation("musterstadt", "public"))).toThrow(/not declared/);
  });
});

describe("singleBucket", () => {
  it("puts every observation of every tenant and class into the one bucket", () => {
    const databaseOf = singleBucket("stadtfluss");
    expect([observation("a", "public"), observation("b", "personal")].map(databaseOf)).toEqual([
      "stadtfluss",
      "stadtfluss",
    ]);
  });
});
