import { z } from "zod";
import { Secret } from "./secret.ts";

/** Environment-variable types: every value arrives as a string. */

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

export const url = (protocols: readonly string[]) =>
  z
    .string()
    .trim()
    .refine((s) => URL.canParse(s) && protocols.includes(new URL(s).protocol.replace(/:$/, "")), {
      error: `must be a URL with scheme ${protocols.join(", ")}`,
    });

export const secret = () => text().transform((s) => new Secret(s));

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
