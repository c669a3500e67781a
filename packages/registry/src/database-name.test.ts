import { describe, expect, it } from "vitest";
import { DATA_CLASSES, databaseName, parseDatabaseName, tenantIdSchema } from "./database-name.ts";

describe("databaseName", () => {
  it("names a tenant's database <tenant>_<class>", () => {
    expect(databaseName("musterstadt", "public")).toBe("musterstadt_public");
    expect(databaseName("stadtwerke-musterstadt", "personal")).toBe("stadtwerke-musterstadt_personal");
    expect(databaseName("musterstadt", "open")).toBe("musterstadt_open");
  });

  it("reads every name it makes back to the same tenant and class", () => {
    for (const tenant of ["a", "musterstadt", "stadtwerke-musterstadt", "x1-2-3", "a".repeat(48)])
      for (const dataClass of DATA_CLASSES)
        expect(parseDatabaseName(databaseName(tenant, dataClass))).toEqual({ tenant, dataClass });
  });

  it("gives two different tenants or classes two different names", () => {
    // Tenants that would collide if `_`, `.` or case were allowed: each is refused instead.
    const tenants = ["musterstadt", "musterstadt-public", "musterstadt-open", "muster-stadt", "m"];
    const names = tenants.flatMap((tenant) => DATA_CLASSES.map((dataClass) => databaseName(tenant, dataClass)));
    expect(new Set(names).size).toBe(tenants.length * DATA_CLASSES.length);
  });

  it.each([
    ["musterstadt_public", "the separator"],
    ["Musterstadt", "upper case"],
    ["muster.stadt", "InfluxQL's db.rp separator"],
    ["muster--stadt", "a double hyphen"],
    ["-musterstadt", "a leading hyphen"],
    ["musterstadt-", "a trailing hyphen"],
    ["1stadt", "a leading digit"],
    ["stadt@lora", "@"],
    ["a".repeat(49), "more than 48 characters"],
    ["", "nothing"],
  ])("refuses a tenant id with %s (%s)", (tenant) => {
    expect(tenantIdSchema.safeParse(tenant).success).toBe(false);
    expect(() => databaseName(tenant, "public")).toThrow(/is no tenant id/);
  });

  it("keeps the longest name within 64 characters (InfluxDB 3's limit)", () => {
    expect(databaseName("a".repeat(48), "personal")).toHaveLength(57);
  });

  it("tells names it never makes", () => {
    for (const name of ["telegraf", "musterstadt", "musterstadt_raw", "Muster_public", "a_b_public", "_internal"])
      expect(parseDatabaseName(name)).toBeUndefined();
  });
});
