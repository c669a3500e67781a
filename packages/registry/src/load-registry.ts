import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { DeviceRegistry, type RegisteredDevice } from "./device-registry.ts";
import type { DeviceType, FieldMapping } from "./device-type.ts";
import { registryFiles } from "./registry-files.ts";
import {
  type DeclaredDevice,
  type DeclaredDeviceType,
  deviceSchema,
  deviceTypeSchema,
  registryFileSchema,
} from "./registry-schema.ts";
import { describePath, keyLineOf, lineOf, type YamlSource } from "./yaml-location.ts";

/** A registry that cannot be used; every problem reads `file:line: path: reason`. */
export class RegistryError extends ConfigError {
  /** Codec files it named, readable or not: a reload must notice when a missing one appears. */
  readonly codecFiles: readonly string[];

  constructor(problems: readonly string[], codecFiles: readonly string[] = []) {
    super(problems);
    this.codecFiles = codecFiles;
  }
}

export interface LoadedRegistry {
  readonly registry: DeviceRegistry;
  readonly codecFiles: readonly string[];
}

interface Entry<T> {
  readonly source: YamlSource;
  readonly index: number;
  readonly value: T;
}

/**
 * Reads the registry at `path` (one YAML file, or a folder whose YAML files are
 * merged) and checks all of it, reporting every problem at once with its file
 * and line. All or nothing: any problem throws a RegistryError.
 */
export function loadRegistry(path: string): LoadedRegistry {
  let files: string[];
  try {
    files = registryFiles(path);
  } catch (error) {
    throw new RegistryError([`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`]);
  }
  if (files.length === 0) throw new RegistryError([`${path}: holds no *.yaml or *.yml file`]);

  const problems: string[] = [];
  const declaredTypes: Entry<DeclaredDeviceType>[] = [];
  const declaredDevices: Entry<DeclaredDevice>[] = [];
  // Ids of type entries with problems of their own, so that the devices using
  // them do not add a second, misleading "unknown device type".
  const brokenTypeIds = new Set<string>();
  for (const file of files) {
    const parsed = parseFile(file);
    if ("problem" in parsed) {
      problems.push(...parsed.problem);
      continue;
    }
    const { source, outline } = parsed;
    const check = <T>(schema: z.ZodType<T>, list: string, raw: unknown, index: number): T | undefined => {
      const result = schema.safeParse(raw, { error: requiredMessage });
      if (result.success) return result.data;
      for (const issue of result.error.issues) problems.push(...describeIssue(source, [list, index], issue));
      return undefined;
    };
    outline.deviceTypes?.forEach((raw, index) => {
      const value = check(deviceTypeSchema, "deviceTypes", raw, index);
      if (value) declaredTypes.push({ source, index, value });
      else if (typeof (raw as { id?: unknown } | null)?.id === "string") brokenTypeIds.add((raw as { id: string }).id);
    });
    outline.devices?.forEach((raw, index) => {
      const value = check(deviceSchema, "devices", raw, index);
      if (value) declaredDevices.push({ source, index, value });
    });
  }

  const at = (entry: Entry<unknown>, list: string, key: string) =>
    `${entry.source.file}:${lineOf(entry.source, [list, entry.index, key])}`;
  const problem = (entry: Entry<unknown>, list: string, key: string, message: string) =>
    problems.push(`${at(entry, list, key)}: ${describePath([list, entry.index, key])}: ${message}`);

  const types = new Map<string, { readonly type: DeviceType; readonly at: string }>();
  const codecFiles: string[] = [];
  for (const entry of declaredTypes) {
    const declared = entry.value;
    const earlier = types.get(declared.id);
    if (earlier) {
      problem(entry, "deviceTypes", "id", `device type "${declared.id}" is already defined at ${earlier.at}`);
      continue;
    }
    let codec: string | undefined;
    if (declared.codec !== undefined) {
      const codecFile = resolve(dirname(entry.source.file), declared.codec);
      codecFiles.push(codecFile);
      try {
        codec = readFileSync(codecFile, "utf8");
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code ?? "error";
        problem(entry, "deviceTypes", "codec", `cannot read ${declared.codec} (${code} at ${codecFile})`);
      }
    }
    types.set(declared.id, { type: deviceType(declared, codec), at: at(entry, "deviceTypes", "id") });
  }

  const devices = new Map<string, { readonly device: RegisteredDevice; readonly at: string }>();
  for (const entry of declaredDevices) {
    const { type: typeId, description: _, ...declared } = entry.value;
    const key = `${declared.tenant}\u0000${declared.id}`;
    const earlier = devices.get(key);
    if (earlier) {
      const message = `device "${declared.id}" of tenant "${declared.tenant}" is already registered at ${earlier.at}`;
      problem(entry, "devices", "id", message);
      continue;
    }
    const type = typeId === undefined ? undefined : types.get(typeId)?.type;
    if (typeId !== undefined && type === undefined && !brokenTypeIds.has(typeId))
      problem(entry, "devices", "type", `unknown device type "${typeId}"`);
    devices.set(key, {
      device: { ...withoutUndefined(declared), ...(type ? { type } : {}) } as RegisteredDevice,
      at: at(entry, "devices", "id"),
    });
  }

  if (problems.length > 0) throw new RegistryError(problems, codecFiles);
  return { registry: new DeviceRegistry([...devices.values()].map((d) => d.device)), codecFiles };
}

type ParsedFile =
  | { readonly source: YamlSource; readonly outline: z.output<typeof registryFileSchema> }
  | { readonly problem: string[] };

function parseFile(file: string): ParsedFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    return { problem: [`${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? "error"})`] };
  }
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const source: YamlSource = { file, document, lines };
  if (document.errors.length > 0)
    return { problem: document.errors.map((error) => `${file}:${lines.linePos(error.pos[0]).line}: ${error.message}`) };
  let raw: unknown;
  try {
    // An empty file (or one with comments only) is an empty registry.
    raw = document.toJS() ?? {};
  } catch (error) {
    return { problem: [`${file}:1: ${(error as Error).message}`] };
  }
  const result = registryFileSchema.safeParse(raw, { error: requiredMessage });
  if (!result.success) return { problem: result.error.issues.flatMap((issue) => describeIssue(source, [], issue)) };
  return { source, outline: result.data };
}

function requiredMessage(issue: z.core.$ZodRawIssue): string | undefined {
  return issue.input === undefined ? "is required" : undefined;
}

function describeIssue(source: YamlSource, prefix: readonly PropertyKey[], issue: z.core.$ZodIssue): string[] {
  const path = [...prefix, ...issue.path];
  if (issue.code === "unrecognized_keys")
    return issue.keys.map(
      (key) => `${source.file}:${keyLineOf(source, path, key)}: ${describePath([...path, key])}: unknown key`,
    );
  const where = describePath(path);
  return [`${source.file}:${lineOf(source, path)}: ${where === "" ? "" : `${where}: `}${issue.message}`];
}

function deviceType(declared: DeclaredDeviceType, codec: string | undefined): DeviceType {
  const { description: _, codec: __, fields, ...paths } = declared;
  return {
    ...withoutUndefined(paths),
    ...(fields ? { fields: fields.map((field) => withoutUndefined(field) as FieldMapping) } : {}),
    ...(codec === undefined ? {} : { codec }),
  } as DeviceType;
}

/** zod may hand optional keys over as `undefined`; the domain types leave them out (exactOptionalPropertyTypes). */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
