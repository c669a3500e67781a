import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { describe, expect, it } from "vitest";
import { checkToken, newToken, readTokenFile, TokenChecker, TokenFile, writeTokenFile } from "./token-store.ts";

const now = new Date(Date.UTC(2026, 5, 10, 12));
const inDays = (days: number) => new Date(now.getTime() + days * 86_400_000);

describe("utility API tokens", () => {
  it("a new token is accepted until it expires, and its record holds no trace of the secret", async () => {
    const { token, record } = await newToken("sw-metering", inDays(90), now);
    expect(token).toMatch(/^sfm_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = token.slice("sfm_0123456789abcdef_".length);
    expect(JSON.stringify(record)).not.toContain(secret);
    expect(record).toMatchObject({ reader: "sw-metering", expiresAt: inDays(90).toISOString() });
    expect(await checkToken([record], token, now)).toEqual({ ok: true, record });
    expect(await checkToken([record], token, inDays(90))).toEqual({ ok: false, reason: "expired" });
  });

  it("a changed secret, an unknown id or something else is refused", async () => {
    const { token, record } = await newToken("sw-metering", inDays(1), now);
    const other = await newToken("sw-metering", inDays(1), now);
    const changed = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(await checkToken([record], changed, now)).toEqual({ ok: false, reason: "wrong" });
    expect(await checkToken([record], other.token, now)).toEqual({ ok: false, reason: "unknown" });
    // Another token's secret under this token's id.
    const swapped = `sfm_${record.id}_${other.token.slice("sfm_0123456789abcdef_".length)}`;
    expect(await checkToken([record, other.record], swapped, now)).toEqual({ ok: false, reason: "wrong" });
    expect(await checkToken([record], "Bearer", now)).toEqual({ ok: false, reason: "malformed" });
  });

  it("a wrong secret of an expired token is wrong, not expired", async () => {
    const { token, record } = await newToken("sw-metering", inDays(-1), inDays(-2));
    expect(await checkToken([record], `${token.slice(0, -2)}xx`, now)).toEqual({ ok: false, reason: "wrong" });
  });

  it("the file is written for its owner only, in a private folder made for it, and read back", async () => {
    const dir = join(mkdtempSync(join(tmpdir(), "sf-tokens-")), "not-yet");
    const path = join(dir, "tokens.json");
    const { record } = await newToken("sw-metering", inDays(1), now);
    writeTokenFile(path, [record]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(readTokenFile(path, "METER_TOKENS_FILE")).toEqual([record]);
  });

  it("a missing or malformed file is a configuration problem naming the setting", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-tokens-"));
    expect(() => readTokenFile(join(dir, "none.json"), "METER_TOKENS_FILE")).toThrow(ConfigError);
    expect(() => readTokenFile(join(dir, "none.json"), "METER_TOKENS_FILE")).toThrow(/METER_TOKENS_FILE: cannot read/);
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ tokens: [{ id: "x", reader: "r" }] }));
    expect(() => readTokenFile(bad, "METER_TOKENS_FILE")).toThrow(/METER_TOKENS_FILE: .*tokens\.0\.id/);
  });

  it("the running API sees a token created after it started, and keeps the last good file when one breaks", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-tokens-"));
    const path = join(dir, "tokens.json");
    const first = await newToken("sw-metering", inDays(1), now);
    writeTokenFile(path, [first.record]);
    const file = new TokenFile(path, "METER_TOKENS_FILE");
    const second = await newToken("sw-metering", inDays(1), now);
    writeTokenFile(path, [first.record, second.record]);
    const failures: unknown[] = [];
    expect(file.records((e) => failures.push(e))).toEqual([first.record, second.record]);
    writeFileSync(path, "{ broken");
    expect(file.records((e) => failures.push(e))).toEqual([first.record, second.record]);
    expect(failures).toHaveLength(1);
  });
});

describe("checking tokens request after request", () => {
  it("a token that passed still expires on time and is refused once revoked", async () => {
    const { token, record } = await newToken("sw-metering", inDays(1), now);
    const checker = new TokenChecker({ ttlMs: 3_600_000 });
    expect(await checker.check([record], token, now)).toEqual({ ok: true, record });
    expect(await checker.check([record], token, new Date(now.getTime() + 1000))).toEqual({ ok: true, record });
    expect(await checker.check([], token, new Date(now.getTime() + 2000))).toEqual({ ok: false, reason: "unknown" });
    expect(await checker.check([record], token, inDays(1))).toEqual({ ok: false, reason: "expired" });
  });

  it("a record replaced under the same id needs the new secret", async () => {
    const first = await newToken("sw-metering", inDays(1), now);
    const checker = new TokenChecker();
    expect((await checker.check([first.record], first.token, now)).ok).toBe(true);
    const replaced = { ...first.record, hash: (await newToken("sw-metering", inDays(1), now)).record.hash };
    expect(await checker.check([replaced], first.token, now)).toEqual({ ok: false, reason: "wrong" });
  });

  it("a wrong token is checked in full every time", async () => {
    const { token, record } = await newToken("sw-metering", inDays(1), now);
    const checker = new TokenChecker();
    const wrong = `${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}`;
    expect(await checker.check([record], wrong, now)).toEqual({ ok: false, reason: "wrong" });
    expect(await checker.check([record], wrong, now)).toEqual({ ok: false, reason: "wrong" });
  });
});
