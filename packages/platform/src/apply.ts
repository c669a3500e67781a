import type { Secret } from "@stadtfluss/config";
import { StadtflussError } from "@stadtfluss/errors";
import { type InfluxReadSettings, influxQL, quoteIdentifier, quoteString } from "@stadtfluss/influx";
import { generatePassword, isCredentialFileName, writeCredentialFile } from "./credential-files.ts";
import { describeStep, type PlannedStep } from "./plan.ts";
import { durationLiteral, shardDurationFor } from "./retention.ts";

export interface ApplyOptions {
  /** Runs steps marked destructive; without it apply refuses the whole plan. */
  readonly allowDestructive?: boolean;
  /** Where the passwords of created users are written (one 0600 file each). */
  readonly credentialsDir?: string;
  /** Called after each step that ran; never given a credential. */
  readonly onStep?: (step: PlannedStep, credentialFile?: string) => void;
}

/** Apply refused before running anything (a destructive step, nowhere to put a password). */
export class ApplyRefusedError extends StadtflussError {}

/**
 * Runs the plan's steps in order against InfluxDB 1.x with an admin's
 * credential. Refuses up front, with nothing changed, a plan holding
 * destructive steps without `allowDestructive`, or creating users without a
 * `credentialsDir`. Returns the credential files written.
 */
export async function applyPlan(
  settings: Omit<InfluxReadSettings, "database">,
  steps: readonly PlannedStep[],
  options: ApplyOptions = {},
): Promise<{ credentialFiles: string[] }> {
  const destructive = steps.filter((step) => step.destructive);
  if (destructive.length > 0 && !options.allowDestructive)
    throw new ApplyRefusedError(
      `refusing ${destructive.length} destructive step(s) without --allow-destructive: ${destructive.map(describeStep).join("; ")}`,
    );
  const { credentialsDir } = options;
  if (credentialsDir === undefined && steps.some((step) => step.kind === "create-user"))
    throw new ApplyRefusedError("the plan creates users: give a folder for their credentials (--credentials-dir)");
  const unnamable = steps.flatMap((step) =>
    step.kind === "create-user" && !isCredentialFileName(step.user) ? [step.user] : [],
  );
  if (unnamable.length > 0)
    throw new ApplyRefusedError(
      `user names must be letters, digits, "_", "-" or "." to name their credential files: ${unnamable.join(", ")}`,
    );

  const at = { ...settings, database: "" };
  const credentialFiles: string[] = [];
  for (const step of steps) {
    let file: string | undefined;
    if (step.kind === "create-user" && credentialsDir !== undefined) {
      const password = generatePassword();
      // Written before the user exists: a user whose password was lost would be useless.
      file = writeCredentialFile(credentialsDir, step.user, password);
      credentialFiles.push(file);
      await influxQL(at, createUserStatement(step.user, password), { method: "POST" });
    } else {
      await influxQL(at, statementOf(step), { method: "POST" });
    }
    options.onStep?.(step, file);
  }
  return { credentialFiles };
}

/** The InfluxQL of a step; a user's creation needs its password (createUserStatement). */
export function statementOf(step: PlannedStep): string {
  switch (step.kind) {
    case "create-database":
      return step.retentionMs === null
        ? `CREATE DATABASE ${quoteIdentifier(step.database)}`
        : `CREATE DATABASE ${quoteIdentifier(step.database)} WITH DURATION ${durationLiteral(step.retentionMs)}`;
    case "set-retention": {
      const durations = `DURATION ${durationLiteral(step.toMs)} SHARD DURATION ${shardDurationFor(step.toMs)}ms`;
      return step.policy === null
        ? `CREATE RETENTION POLICY "autogen" ON ${quoteIdentifier(step.database)} ${durations} REPLICATION 1 DEFAULT`
        : `ALTER RETENTION POLICY ${quoteIdentifier(step.policy)} ON ${quoteIdentifier(step.database)} ${durations}`;
    }
    case "drop-database":
      return `DROP DATABASE ${quoteIdentifier(step.database)}`;
    case "create-user":
      throw new Error("a user's creation needs its password: createUserStatement");
    case "drop-user":
      return `DROP USER ${quoteIdentifier(step.user)}`;
    case "grant":
      return `GRANT ${step.privilege} ON ${quoteIdentifier(step.database)} TO ${quoteIdentifier(step.user)}`;
    case "revoke":
      // REVOKE clears bits of the privilege; ALL leaves the database with none.
      return `REVOKE ALL ON ${quoteIdentifier(step.database)} FROM ${quoteIdentifier(step.user)}`;
  }
}

function createUserStatement(user: string, password: Secret): string {
  return `CREATE USER ${quoteIdentifier(user)} WITH PASSWORD ${quoteString(password.reveal())}`;
}
