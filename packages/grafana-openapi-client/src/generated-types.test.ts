import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { generateTypes, typesPath } from "./generate-types.ts";

describe("the generated types", () => {
  it("are what openapi-typescript makes of openapi/grafana-subset.yaml now (else run `pnpm generate` in this package)", async () => {
    expect(readFileSync(typesPath, "utf8")).toBe(await generateTypes());
  });
});
