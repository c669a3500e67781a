import { describe, expect, it } from "vitest";
import { groupByDatabase } from "./observation-writer.ts";

describe("groupByDatabase", () => {
  it("gives one group per database, in order of first appearance, with the batch's indexes ascending", () => {
    expect(groupByDatabase(["a_public", "b_personal", "a_public", "a_personal", "b_personal"])).toEqual([
      { database: "a_public", indexes: [0, 2] },
      { database: "b_personal", indexes: [1, 4] },
      { database: "a_personal", indexes: [3] },
    ]);
  });

  it("keeps a batch of one database whole and an empty batch empty", () => {
    expect(groupByDatabase(["a_public", "a_public", "a_public"])).toEqual([
      { database: "a_public", indexes: [0, 1, 2] },
    ]);
    expect(groupByDatabase([])).toEqual([]);
  });
});
