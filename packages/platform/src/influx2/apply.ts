import { Secret } from "@stadtfluss/config";
import { ApplyRefusedError } from "../apply.ts";
import { generatePassword, isCredentialFileName, writeSecretFile } from "../credential-files.ts";
import { type Influx2Settings, influx2Request } from "./api.ts";
import { type Influx2State, PRINCIPAL_MARKER } from "./current-state.ts";
import { type Access, describeInflux2Step, MAPPED_RETENTION_POLICY, type PlannedInflux2Step } from "./plan.ts";

export interface Influx2ApplyOptions {
  /** Runs steps marked destructive; without it apply refuses the whole plan. */
  readonly allowDestructive?: boolean;
  /** Where created credentials are written (one 0600 file each). */
  readonly credentialsDir?: string;
  /** Called after each step that ran; given the credential file it wrote, never a credential. */
  readonly onStep?: (step: PlannedInflux2Step, credentialFile?: string) => void;
}

/** The file of a principal's API token (the token alone: what INFLUX_TOKEN_FILE takes). */
export const tokenFileName = (principal: string) => `${principal}.token`;
/** The file of a principal's v1 authorization: `user:password`, for InfluxQL clients (`u` and `p`). */
export const v1FileName = (principal: string) => `${principal}.v1`;

/**
 * Runs the plan's steps in order against the organisation whose state the plan
 * was made from. Refuses up front, with nothing changed, destructive steps
 * without `allowDestructive` and credentials without `credentialsDir`. A
 * credential is created inactive and activated only once its file is written,
 * so a crash in between leaves an inactive credential that the next plan
 * replaces. Returns the credential files written.
 */
export async function applyInflux2Plan(
  settings: Influx2Settings,
  state: Influx2State,
  steps: readonly PlannedInflux2Step[],
  options: Influx2ApplyOptions = {},
): Promise<{ credentialFiles: string[] }> {
  const destructive = steps.filter((step) => step.destructive);
  if (destructive.length > 0 && !options.allowDestructive)
    throw new ApplyRefusedError(
      `refusing ${destructive.length} destructive step(s) without --allow-destructive: ${destructive.map(describeInflux2Step).join("; ")}`,
    );
  const creates = steps.flatMap((step) =>
    step.kind === "create-credential" || step.kind === "replace-credential" ? [step.principal] : [],
  );
  const { credentialsDir } = options;
  if (credentialsDir === undefined && creates.length > 0)
    throw new ApplyRefusedError("the plan creates credentials: give a folder for them (--credentials-dir)");
  const unnamable = [...new Set(creates.filter((principal) => !isCredentialFileName(principal)))];
  if (unnamable.length > 0)
    throw new ApplyRefusedError(
      `principal names must be letters, digits, "_", "-" or "." to name their credential files: ${unnamable.join(", ")}`,
    );

  const { orgID } = state;
  const bucketIDs = new Map(state.buckets.filter((b) => !b.system).map((b) => [b.name, b.id]));
  const idOf = (bucket: string) => {
    const id = bucketIDs.get(bucket);
    if (id === undefined) throw new Error(`bucket ${bucket} does not exist`);
    return id;
  };
  const permissions = (access: Access) => [
    ...access.read.map((bucket) => ({ action: "read", resource: { type: "buckets", id: idOf(bucket), orgID } })),
    ...access.write.map((bucket) => ({ action: "write", resource: { type: "buckets", id: idOf(bucket), orgID } })),
  ];

  const createToken = async (principal: string, access: Access, dir: string): Promise<string> => {
    // Written (empty) first: a folder that cannot take it fails before InfluxDB holds a token.
    const file = writeSecretFile(dir, tokenFileName(principal), new Secret(""));
    const created = await influx2Request<{ id: string; token?: string }>(settings, "POST", "/api/v2/authorizations", {
      body: {
        orgID,
        description: `${PRINCIPAL_MARKER}${principal}`,
        status: "inactive",
        permissions: permissions(access),
      },
    });
    if (created.token === undefined) throw new Error(`InfluxDB returned no token for ${principal}`);
    writeSecretFile(dir, tokenFileName(principal), new Secret(created.token));
    await influx2Request(settings, "PATCH", `/api/v2/authorizations/${encodeURIComponent(created.id)}`, {
      body: { status: "active" },
    });
    return file;
  };
  const createV1 = async (principal: string, access: Access, dir: string): Promise<string> => {
    const password = generatePassword();
    // Written before the authorization exists: one whose password was lost would be useless.
    const file = writeSecretFile(dir, v1FileName(principal), new Secret(`${principal}:${password.reveal()}`));
    const created = await influx2Request<{ id: string }>(settings, "POST", "/private/legacy/authorizations", {
      body: {
        orgID,
        token: principal,
        description: `${PRINCIPAL_MARKER}${principal}`,
        status: "inactive",
        permissions: permissions(access),
      },
    });
    const at = `/private/legacy/authorizations/${encodeURIComponent(created.id)}`;
    await influx2Request(settings, "POST", `${at}/password`, { body: { password: password.reveal() } });
    await influx2Request(settings, "PATCH", at, { body: { status: "active" } });
    return file;
  };
  const deleteCredential = (credential: "token" | "v1", id: string) =>
    influx2Request(
      settings,
      "DELETE",
      `${credential === "token" ? "/api/v2/authorizations" : "/private/legacy/authorizations"}/${encodeURIComponent(id)}`,
    );

  const credentialFiles: string[] = [];
  for (const step of steps) {
    let file: string | undefined;
    switch (step.kind) {
      case "create-bucket": {
        const created = await influx2Request<{ id: string }>(settings, "POST", "/api/v2/buckets", {
          body: { orgID, name: step.bucket, retentionRules: retentionRules(step.retentionMs) },
        });
        bucketIDs.set(step.bucket, created.id);
        break;
      }
      case "set-bucket-retention":
        await influx2Request(settings, "PATCH", `/api/v2/buckets/${encodeURIComponent(step.bucketID)}`, {
          body: { retentionRules: retentionRules(step.toMs) },
        });
        break;
      case "delete-bucket":
        await influx2Request(settings, "DELETE", `/api/v2/buckets/${encodeURIComponent(step.bucketID)}`);
        break;
      case "create-dbrp":
        await influx2Request(settings, "POST", "/api/v2/dbrps", {
          body: {
            orgID,
            bucketID: idOf(step.bucket),
            database: step.database,
            retention_policy: MAPPED_RETENTION_POLICY,
            default: true,
          },
        });
        break;
      case "delete-dbrp":
        await influx2Request(settings, "DELETE", `/api/v2/dbrps/${encodeURIComponent(step.id)}`, { query: { orgID } });
        break;
      case "create-credential":
      case "replace-credential": {
        const dir = credentialsDir as string;
        if (step.credential === "token") {
          // The new token first: what uses the old one keeps working until the file is swapped.
          file = await createToken(step.principal, step, dir);
          if (step.kind === "replace-credential") for (const id of step.replaces) await deleteCredential("token", id);
        } else {
          // A v1 user name is unique: the old authorization goes first.
          if (step.kind === "replace-credential") for (const id of step.replaces) await deleteCredential("v1", id);
          file = await createV1(step.principal, step, dir);
        }
        credentialFiles.push(file);
        break;
      }
      case "delete-credential":
        await deleteCredential(step.credential, step.id);
        break;
    }
    options.onStep?.(step, file);
  }
  return { credentialFiles };
}

/** One `expire` rule; 0 seconds keeps data for ever. */
function retentionRules(ms: number | null): Array<{ type: "expire"; everySeconds: number }> {
  return [{ type: "expire", everySeconds: ms === null ? 0 : Math.ceil(ms / 1000) }];
}
