import { ConfigError } from "@stadtfluss/errors";
import type { z } from "zod";
import { readSettingFile, secretNames } from "./env-types.ts";

export interface ParseEnvOptions {
  /** More variables that may be given as `<NAME>_FILE`, besides the schema's `env.secret()`s. */
  readonly secretFiles?: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Parses the environment with `schema` and reports every problem at once, each
 * naming its variable. Values are never echoed: they may be credentials. Every
 * `env.secret()` of the schema may instead be given as `<NAME>_FILE`, a path
 * whose content is the value (Kubernetes and Docker secrets are mounted as files).
 */
export function parseEnv<T extends z.ZodType>(schema: T, env: Env, options: ParseEnvOptions = {}): z.output<T> {
  const problems: string[] = [];
  const resolved: Record<string, string | undefined> = { ...env };
  for (const name of new Set([...secretNames(schema), ...(options.secretFiles ?? [])])) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === "") continue;
    if (env[name] !== undefined && env[name] !== "") {
      problems.push(`${name}: set either ${name} or ${name}_FILE, not both`);
      continue;
    }
    const read = readSettingFile(file);
    if ("content" in read) resolved[name] = read.content.trim();
    else problems.push(`${name}_FILE: ${read.problem}`);
  }
  // Empty variables count as unset, as in most shells' `VAR= cmd` idiom.
  for (const [key, value] of Object.entries(resolved)) if (value === "") resolved[key] = undefined;

  const result = schema.safeParse(resolved, {
    error: (issue) => (issue.input === undefined ? "is required but not set" : undefined),
  });
  if (!result.success) problems.push(...result.error.issues.map(describeIssue));
  if (problems.length > 0) throw new ConfigError(problems);
  return (result as { data: z.output<T> }).data;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const path = issue.path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
  return `${path === "" ? "environment" : path}: ${issue.message}`;
}
