import { describe, expect, inject, it } from "vitest";
import { uniqueName } from "./unique-name.ts";

const influx = inject("influxAuth");
const token = `${influx.username}:${influx.password}`;

async function query(q: string, authorization?: string): Promise<Response> {
  return fetch(`${influx.url}/query`, {
    method: "POST",
    headers: authorization ? { authorization } : {},
    body: new URLSearchParams({ q }),
  });
}

describe("the auth-enabled InfluxDB 1.6.7 behind the v2 front", () => {
  it("refuses a query without credentials or with a wrong password", async () => {
    expect((await query("SHOW DATABASES")).status).toBe(401);
    expect((await query("SHOW DATABASES", `Token ${influx.username}:wrong`)).status).toBe(401);
    expect((await query("SHOW DATABASES", `Token ${influx.username}`)).status).toBe(401);
  });

  it("takes 1.8's `Token user:password` on /api/v2/write and /query as the user's credentials", async () => {
    // Letters, digits and "_" only: packages/influx's quoting is above this package.
    const database = uniqueName("auth_front").replaceAll("-", "_");
    expect((await query(`CREATE DATABASE "${database}"`, `Token ${token}`)).status).toBe(200);
    try {
      const anonymous = await fetch(`${influx.url}/api/v2/write?bucket=${database}&precision=ms`, {
        method: "POST",
        body: "m value=1 1000",
      });
      expect(anonymous.status).toBe(401);
      const written = await fetch(`${influx.url}/api/v2/write?bucket=${database}&precision=ms`, {
        method: "POST",
        headers: { authorization: `Token ${token}` },
        body: "m value=2 2000",
      });
      expect(written.status).toBe(204);
      const answer = await fetch(
        `${influx.url}/query?${new URLSearchParams({ db: database, q: 'SELECT "value" FROM "m"', epoch: "ms" })}`,
        { headers: { authorization: `Token ${token}` } },
      );
      expect(await answer.json()).toEqual({
        results: [{ statement_id: 0, series: [{ name: "m", columns: ["time", "value"], values: [[2000, 2]] }] }],
      });
    } finally {
      await query(`DROP DATABASE "${database}"`, `Token ${token}`);
    }
  });
});
