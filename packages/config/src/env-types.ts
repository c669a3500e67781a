import { readFileSync } from "node:fs";
import { z } from "zod";
import { Secret } from "./secret.ts";

/** Environment-variable types: every value arrives as a string. */

export { duration } from "./duration.ts";
export { timeZone } from "./time-zone.ts";

export const text = () => z.string().trim().min(1, "must not be empty");

export const list = () =>
  z
    .string()
    .transform((s) =>
      s
        .split(",")
        .map((part) => part.trim())
        .filter((part) => part.length > 0),
    )
    .pipe(z.array(z.string()).min(1, "must list at least one value"));

export const integer = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^-?\d+$/, "must be a whole number")
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const port = () => integer(0, 65535);

export const flag = () =>
  z
    .enum(["true", "false", "1", "0", "yes", "no"], { error: "must be true or false" })
    .transform((s) => s === "true" || s === "1" || s === "yes");

/**
 * A URL with one of `protocols`. Credentials inside it (`user:password@`) are
 * refused: a URL is printed in error messages and logs, a secret is not, so
 * they go where `credentialsIn` says (the `_FILE` settings).
 */
export const url = (protocols: readonly string[], options: { readonly credentialsIn: string }) =>
  z
    .string()
    .trim()
    .refine((s) => URL.canParse(s) && protocols.includes(new URL(s).protocol.replace(/:$/, "")), {
      error: `must be a URL with scheme ${protocols.join(", ")}`,
      abort: true,
    })
    .refine(
      (s) => {
        const { username, password } = new URL(s);
        return username === "" && password === "";
      },
      { error: `must not hold credentials (user:password@); give them ${options.credentialsIn}` },
    );

const secretSchemas = new WeakSet<z.ZodType>();

/** A credential: never printed, and may be given as `<NAME>_FILE` (see parseEnv). */
export const secret = () => {
  const schema = text().transform((s) => new Secret(s));
  secretSchemas.add(schema);
  return schema;
};

/** The variables of an object schema declared with `secret()`, optional or not. */
export function secretNames(schema: z.ZodType): string[] {
  if (!(schema instanceof z.ZodObject)) return [];
  return Object.entries(schema.shape as Record<string, z.ZodType>)
    .filter(([, value]) => {
      let inner: z.ZodType | undefined = value;
      // Through .optional() and .default() to the schema secret() made.
      while (inner && !secretSchemas.has(inner)) inner = (inner.def as { innerType?: z.ZodType }).innerType;
      return inner !== undefined;
    })
    .map(([name]) => name);
}

/**
 * A file named by a setting, read: its content, or why it cannot serve (missing,
 * unreadable, empty). The problem shows the path, never the content.
 */
export function readSettingFile(path: string): { content: string } | { problem: string } {
  let content: string;
  try {
    content = readFileSync(path, "utf8");
  } catch (error) {
    return { problem: `cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})` };
  }
  return content.trim() === "" ? { problem: `${path} is empty` } : { content };
}

/**
 * A path to a file (a CA bundle, a password) that is read while the settings
 * are checked: one that is missing, unreadable or empty is named with every
 * other problem instead of failing later. The value is the file's content.
 */
export const fileContent = () =>
  text().transform((path, ctx) => {
    const file = readSettingFile(path);
    if ("content" in file) return file.content;
    ctx.addIssue({ code: "custom", message: file.problem });
    return z.NEVER;
  });

// A check on the whole object runs even when single settings are wrong.
const evenWithOtherProblems = {
  when: (payload: { value: unknown }) => typeof payload.value === "object" && payload.value !== null,
};

/**
 * Settings that work only together (SASL's mechanism, user name and password):
 * all or none. Checked even when other settings are wrong, so that every
 * problem is listed at once; each missing one is named.
 */
export const allOrNone = (names: readonly string[], what: string) =>
  z.superRefine<Record<string, unknown>>((values, ctx) => {
    const given = names.filter((name) => values[name] !== undefined);
    if (given.length === 0 || given.length === names.length) return;
    for (const name of names.filter((n) => values[n] === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `is required with ${given.join(" and ")} (${what} takes ${names.slice(0, -1).join(", ")} and ${names.at(-1)}, or none of them)`,
      });
    }
  }, evenWithOtherProblems);

/**
 * Settings of which one is enough (a database named directly or through the
 * bucket): none given is a problem named on the first, listed with every other.
 */
export const atLeastOne = (names: readonly [string, ...string[]], what: string) =>
  z.superRefine<Record<string, unknown>>((values, ctx) => {
    if (names.some((name) => values[name] !== undefined)) return;
    ctx.addIssue({
      code: "custom",
      path: [names[0]],
      message: `is required but not set (or ${names.slice(1).join(" or ")}; ${what})`,
    });
  }, evenWithOtherProblems);

export const logLevel = () => z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info");

/** A JSON document inside one variable, validated by `schema` with paths into it. */
export const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((s, ctx) => {
      try {
        return JSON.parse(s) as unknown;
      } catch (error) {
        ctx.addIssue({ code: "custom", message: `is not valid JSON (${(error as Error).message})` });
        return z.NEVER;
      }
    })
    .pipe(schema);
