import { createHash, randomBytes } from "node:crypto";
import type { Secret } from "@stadtfluss/config";

/**
 * How the provisioner recognises what it created, so that `prune` never
 * deletes anything else: dashboards carry the tag, data sources the marker in
 * their jsonData, folders, alert rules and contact points the uid prefix.
 */
export const OWNED_TAG = "stadtfluss";
export const OWNED_MARKER = "stadtflussManaged";
export const FOLDER_UID_PREFIX = "stadtfluss-";
/** Alert rules and contact points carry it too: the alerting API has no tags. */
export const ALERTING_UID_PREFIX = "stadtfluss-";

/** The datasource's jsonData keys that hold the credential's fingerprint and its salt. */
export const FINGERPRINT = "stadtflussCredentialFingerprint";
export const FINGERPRINT_SALT = "stadtflussCredentialSalt";

/**
 * A salted sha256 of a secret. Grafana never answers a data source's password,
 * so a rotated credential is recognised by this fingerprint, kept in jsonData
 * (which every member of the organisation can read: hence the salt).
 */
export function fingerprint(secret: Secret, salt: string): string {
  return createHash("sha256").update(salt).update("\u0000").update(secret.reveal()).digest("hex");
}

export function newSalt(): string {
  return randomBytes(16).toString("hex");
}

/** A stable hash of a JSON value, its object keys sorted. */
export function contentHash(value: unknown): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object")
    return `{${Object.keys(value)
      .sort()
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`)
      .join(",")}}`;
  return JSON.stringify(value);
}

/** What a data source gets for its password: the secret and, in jsonData, its salted fingerprint. */
export function credentialFields(password: Secret | undefined): {
  jsonData: Record<string, string>;
  secureJsonData?: { password: string };
} {
  if (password === undefined) return { jsonData: {} };
  const salt = newSalt();
  return {
    jsonData: { [FINGERPRINT_SALT]: salt, [FINGERPRINT]: fingerprint(password, salt) },
    secureJsonData: { password: password.reveal() },
  };
}
