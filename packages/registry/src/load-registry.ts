import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { ConfigError } from "@stadtfluss/errors";
import { LineCounter, parseDocument } from "yaml";
import type { z } from "zod";
import { DATA_CLASSES, type DataClass } from "./database-name.ts";
import { AGGREGATOR, DEFAULT_WRITER, METER_DATA_API } from "./desired-storage.ts";
import { DeviceRegistry, type RegisteredDevice } from "./device-registry.ts";
import type { DeviceType, FieldMapping } from "./device-type.ts";
import type {
  GrafanaAlerting,
  GrafanaDeclaration,
  GrafanaTenant,
  MqttDeclaration,
  PlatformDeclaration,
  Reader,
  Tenant,
} from "./platform-declaration.ts";
import { registryFiles } from "./registry-files.ts";
import {
  type DeclaredDevice,
  type DeclaredDeviceType,
  type DeclaredGrafana,
  type DeclaredPlatformMqtt,
  type DeclaredReader,
  type DeclaredTenant,
  deviceSchema,
  deviceTypeSchema,
  EVERY_TENANT,
  grafanaSchema,
  platformMqttSchema,
  readerSchema,
  registryFileSchema,
  tenantSchema,
} from "./registry-schema.ts";
import { DEFAULT_RETENTION, describeRetention, type RetentionMs, retentionByClassSchema } from "./retention.ts";
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

export interface LoadedRegistry extends PlatformDeclaration {
  readonly registry: DeviceRegistry;
  readonly codecFiles: readonly string[];
  readonly mqtt: MqttDeclaration;
  /** The `grafana` section, where one is declared. */
  readonly grafana?: GrafanaDeclaration;
}

/** The principals the platform itself runs; no reader may take their names. */
export const RESERVED_PRINCIPALS: readonly string[] = [DEFAULT_WRITER, AGGREGATOR, METER_DATA_API];

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
  const declaredRetention: Entry<DeclaredRetention>[] = [];
  const declaredMqtt: Entry<DeclaredPlatformMqtt>[] = [];
  const declaredGrafana: Entry<DeclaredGrafana>[] = [];
  const declaredTenants: Entry<DeclaredTenant>[] = [];
  const declaredReaders: Entry<DeclaredReader>[] = [];
  const declaredTypes: Entry<DeclaredDeviceType>[] = [];
  const declaredDevices: Entry<DeclaredDevice>[] = [];
  // Ids of type entries with problems of their own, so that the devices using
  // them do not add a second, misleading "unknown device type".
  const brokenTypeIds = new Set<string>();
  const brokenTenantIds = new Set<string>();
  for (const file of files) {
    const parsed = parseFile(file);
    if ("problem" in parsed) {
      problems.push(...parsed.problem);
      continue;
    }
    const { source, outline } = parsed;
    const check = <T>(schema: z.ZodType<T>, path: readonly PropertyKey[], raw: unknown): T | undefined => {
      const result = schema.safeParse(raw, { error: requiredMessage });
      if (result.success) return result.data;
      for (const issue of result.error.issues) problems.push(...describeIssue(source, path, issue));
      return undefined;
    };
    if (outline.retention !== undefined) {
      const value = check(retentionByClassSchema, ["retention"], outline.retention);
      if (value) declaredRetention.push({ source, index: 0, value });
    }
    if (outline.mqtt !== undefined) {
      const value = check(platformMqttSchema, ["mqtt"], outline.mqtt);
      if (value) declaredMqtt.push({ source, index: 0, value });
    }
    if (outline.grafana !== undefined) {
      const value = check(grafanaSchema, ["grafana"], outline.grafana);
      if (value) declaredGrafana.push({ source, index: 0, value });
    }
    outline.tenants?.forEach((raw, index) => {
      const value = check(tenantSchema, ["tenants", index], raw);
      if (value) declaredTenants.push({ source, index, value });
      else if (typeof (raw as { id?: unknown } | null)?.id === "string")
        brokenTenantIds.add((raw as { id: string }).id);
    });
    outline.readers?.forEach((raw, index) => {
      const value = check(readerSchema, ["readers", index], raw);
      if (value) declaredReaders.push({ source, index, value });
    });
    outline.deviceTypes?.forEach((raw, index) => {
      const value = check(deviceTypeSchema, ["deviceTypes", index], raw);
      if (value) declaredTypes.push({ source, index, value });
      else if (typeof (raw as { id?: unknown } | null)?.id === "string") brokenTypeIds.add((raw as { id: string }).id);
    });
    outline.devices?.forEach((raw, index) => {
      const value = check(deviceSchema, ["devices", index], raw);
      if (value) declaredDevices.push({ source, index, value });
    });
  }

  const at = (entry: Entry<unknown>, list: string, ...keys: string[]) =>
    `${entry.source.file}:${lineOf(entry.source, [list, entry.index, ...keys])}`;
  const problem = (entry: Entry<unknown>, list: string, key: string | string[], message: string) => {
    const keys = typeof key === "string" ? [key] : key;
    problems.push(`${at(entry, list, ...keys)}: ${describePath([list, entry.index, ...keys])}: ${message}`);
  };

  const { tenants, readers } = declaration(
    { retention: declaredRetention, tenants: declaredTenants, readers: declaredReaders },
    brokenTenantIds,
    (message) => problems.push(message),
  );
  const tenantIds = new Set(tenants.map((tenant) => tenant.id));
  for (const entry of declaredMqtt.slice(1))
    problems.push(
      `${entry.source.file}:${lineOf(entry.source, ["mqtt"])}: mqtt: the broker's side is already declared at ${declaredMqtt[0]?.source.file}:${lineOf((declaredMqtt[0] as Entry<unknown>).source, ["mqtt"])}`,
    );
  const mqttDevices: Array<MqttDeclaration["devices"][number]> = [];
  for (const entry of declaredGrafana.slice(1))
    problems.push(
      `${entry.source.file}:${lineOf(entry.source, ["grafana"])}: grafana: already declared at ${declaredGrafana[0]?.source.file}:${lineOf((declaredGrafana[0] as Entry<unknown>).source, ["grafana"])}`,
    );
  const grafana = declaredGrafana[0]
    ? grafanaDeclaration(declaredGrafana[0], tenants, readers, brokenTenantIds, (message) => problems.push(message))
    : undefined;

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
    const { type: typeId, description: _, mqtt, ...declared } = entry.value;
    if (mqtt)
      mqttDevices.push({
        id: declared.id,
        tenant: declared.tenant,
        ...(mqtt.format === undefined ? {} : { format: mqtt.format }),
        ...(mqtt.topic === undefined ? {} : { topic: mqtt.topic }),
      });
    const key = `${declared.tenant}\u0000${declared.id}`;
    const earlier = devices.get(key);
    if (earlier) {
      const message = `device "${declared.id}" of tenant "${declared.tenant}" is already registered at ${earlier.at}`;
      problem(entry, "devices", "id", message);
      continue;
    }
    if (!tenantIds.has(declared.tenant) && !brokenTenantIds.has(declared.tenant))
      problem(entry, "devices", "tenant", `unknown tenant "${declared.tenant}" (declare it under tenants)`);
    const type = typeId === undefined ? undefined : types.get(typeId)?.type;
    if (typeId !== undefined && type === undefined && !brokenTypeIds.has(typeId))
      problem(entry, "devices", "type", `unknown device type "${typeId}"`);
    devices.set(key, {
      device: { ...withoutUndefined(declared), ...(type ? { type } : {}) } as RegisteredDevice,
      at: at(entry, "devices", "id"),
    });
  }

  if (problems.length > 0) throw new RegistryError(problems, codecFiles);
  return {
    registry: new DeviceRegistry([...devices.values()].map((d) => d.device)),
    codecFiles,
    tenants,
    readers,
    mqtt: {
      ...(declaredMqtt[0] ? { bridge: declaredMqtt[0].value.bridge } : {}),
      accounts: tenants.flatMap((t) => (t.mqttAccounts ?? [t.id]).map((username) => ({ username, tenant: t.id }))),
      devices: mqttDevices,
    },
    ...(grafana ? { grafana } : {}),
  };
}

/**
 * The `grafana` section checked against the tenants and readers: each tenant's
 * reader must read the databases its data sources show, and every permission
 * must name a team of the same organisation.
 */
function grafanaDeclaration(
  entry: Entry<DeclaredGrafana>,
  tenants: readonly Tenant[],
  readers: readonly Reader[],
  brokenTenantIds: ReadonlySet<string>,
  report: (problem: string) => void,
): GrafanaDeclaration {
  const problem = (path: readonly PropertyKey[], message: string) =>
    report(`${entry.source.file}:${lineOf(entry.source, path)}: ${describePath(path)}: ${message}`);
  const result: GrafanaTenant[] = [];
  for (const [tenantId, declared] of Object.entries(entry.value.tenants)) {
    const path = ["grafana", "tenants", tenantId];
    const tenant = tenants.find((t) => t.id === tenantId);
    if (!tenant) {
      if (!brokenTenantIds.has(tenantId)) problem(path, `unknown tenant "${tenantId}" (declare it under tenants)`);
      continue;
    }
    const reader = readers.find((r) => r.name === declared.reader);
    if (!reader) problem([...path, "reader"], `unknown reader "${declared.reader}" (declare it under readers)`);
    else {
      const raw: DataClass = tenant.kind === "utility" ? "personal" : "public";
      const missing = ([raw, "open"] as const).filter(
        (dataClass) => !reader.read.some((g) => g.tenant === tenantId && g.dataClass === dataClass),
      );
      if (missing.length > 0)
        problem(
          [...path, "reader"],
          `reader "${reader.name}" does not read ${missing.map((c) => `${tenantId}_${c}`).join(" and ")}, which the organisation's data sources show`,
        );
    }
    const teamNames = new Set<string>();
    declared.teams.forEach((team, index) => {
      if (teamNames.has(team.name)) problem([...path, "teams", index, "name"], `team "${team.name}" is declared twice`);
      teamNames.add(team.name);
    });
    const uids = new Set<string>();
    const titles = new Set<string>();
    const placed = new Set<string>();
    const placedAlerts = new Set<string>();
    declared.departments.forEach((department, index) => {
      const at = [...path, "departments", index];
      if (uids.has(department.uid)) problem([...at, "uid"], `folder uid "${department.uid}" is declared twice`);
      if (titles.has(department.title)) problem([...at, "title"], `folder "${department.title}" is declared twice`);
      uids.add(department.uid);
      titles.add(department.title);
      for (const team of Object.keys(department.permissions))
        if (!teamNames.has(team))
          problem([...at, "permissions", team], `unknown team "${team}" (declare it under this tenant's teams)`);
      department.dashboards.forEach((dashboard, i) => {
        if (placed.has(dashboard))
          problem([...at, "dashboards", i], `dashboard "${dashboard}" is already in another folder of this tenant`);
        placed.add(dashboard);
      });
      department.alerts.forEach((alert, i) => {
        if (placedAlerts.has(alert))
          problem([...at, "alerts", i], `alert rule "${alert}" is already in another folder of this tenant`);
        placedAlerts.add(alert);
      });
    });
    const alerting = declared.alerting;
    if (alerting) {
      const names = new Set<string>();
      const pointUids = new Set<string>();
      alerting.contactPoints.forEach((point, index) => {
        const at = [...path, "alerting", "contactPoints", index];
        if (pointUids.has(point.uid)) problem([...at, "uid"], `contact point uid "${point.uid}" is declared twice`);
        if (names.has(point.name)) problem([...at, "name"], `contact point "${point.name}" is declared twice`);
        pointUids.add(point.uid);
        names.add(point.name);
      });
      const policy = alerting.policy;
      const receiver = (at: readonly PropertyKey[], name: string) => {
        if (!names.has(name))
          problem(at, `unknown contact point "${name}" (declare it under this tenant's alerting.contactPoints)`);
      };
      if (policy) {
        receiver([...path, "alerting", "policy", "receiver"], policy.receiver);
        policy.routes.forEach((route, index) => {
          const at = [...path, "alerting", "policy", "routes", index];
          receiver([...at, "receiver"], route.receiver);
          if (route.department !== undefined && !uids.has(route.department))
            problem([...at, "department"], `unknown department "${route.department}" (a folder uid of this tenant)`);
          if (route.department === undefined && route.alert === undefined)
            problem(at, "must match a department or an alert (the root's receiver takes everything else)");
        });
      }
    }
    result.push({
      tenant: tenantId,
      reader: declared.reader,
      teams: declared.teams.map((t) => ({ name: t.name, members: t.members })),
      departments: declared.departments.map((d) => ({
        uid: d.uid,
        title: d.title,
        permissions: Object.entries(d.permissions).map(([team, permission]) => ({ team, permission })),
        dashboards: d.dashboards,
        alerts: d.alerts,
      })),
      ...(alerting
        ? {
            alerting: {
              pm10DailyMeanLimit: alerting.pm10DailyMeanLimit,
              contactPoints: alerting.contactPoints.map(
                (p) => withoutUndefined(p) as GrafanaAlerting["contactPoints"][number],
              ),
              ...(alerting.policy
                ? {
                    policy: {
                      receiver: alerting.policy.receiver,
                      groupBy: alerting.policy.groupBy,
                      routes: alerting.policy.routes.map(
                        (r) => withoutUndefined(r) as NonNullable<GrafanaAlerting["policy"]>["routes"][number],
                      ),
                    },
                  }
                : {}),
            },
          }
        : {}),
    });
  }
  const prometheus = entry.value.prometheus;
  prometheus?.tenants.forEach((tenantId, index) => {
    if (!(tenantId in entry.value.tenants))
      problem(
        ["grafana", "prometheus", "tenants", index],
        `"${tenantId}" has no organisation (declare it under grafana.tenants)`,
      );
  });
  return {
    influxUrl: entry.value.influxUrl,
    ...(prometheus ? { prometheus: { url: prometheus.url, tenants: prometheus.tenants } } : {}),
    tenants: result,
  };
}

/**
 * The tenants with their retention and the readers with their grants, checked
 * across files: each problem is handed to `report` as `file:line: path: reason`.
 */
function declaration(
  declared: {
    readonly retention: readonly Entry<DeclaredRetention>[];
    readonly tenants: readonly Entry<DeclaredTenant>[];
    readonly readers: readonly Entry<DeclaredReader>[];
  },
  brokenTenantIds: ReadonlySet<string>,
  report: (problem: string) => void,
): PlatformDeclaration {
  const place = (entry: Entry<unknown>, path: readonly PropertyKey[]) =>
    `${entry.source.file}:${lineOf(entry.source, path)}`;
  const problem = (entry: Entry<unknown>, path: readonly PropertyKey[], message: string) =>
    report(`${place(entry, path)}: ${describePath(path)}: ${message}`);

  const [platform, ...again] = declared.retention;
  for (const entry of again)
    problem(
      entry,
      ["retention"],
      `the platform's retention is already set at ${place(platform as Entry<unknown>, ["retention"])}`,
    );
  const defaults = overriding(DEFAULT_RETENTION, platform?.value);
  const storageLimit = (retention: Readonly<Record<DataClass, RetentionMs>>): string | undefined => {
    if (retention.personal === null) return "personal data must not be kept for ever (the GDPR's storage limitation)";
    if (retention.public !== null && retention.personal > retention.public)
      return `personal data must not be kept longer than public data (${describeRetention(retention.public)})`;
    return undefined;
  };
  const platformLimit = storageLimit(defaults);
  if (platform && platformLimit) problem(platform, ["retention", "personal"], platformLimit);

  const tenants = new Map<string, { readonly tenant: Tenant; readonly at: string }>();
  for (const entry of declared.tenants) {
    const { retention: own, contact, mqttAccounts, ...rest } = entry.value;
    const earlier = tenants.get(rest.id);
    if (earlier) {
      problem(entry, ["tenants", entry.index, "id"], `tenant "${rest.id}" is already declared at ${earlier.at}`);
      continue;
    }
    const retention = overriding(defaults, own);
    // Blamed on what the tenant declares; an inherited breach is the platform's, reported above.
    const blamed =
      own?.personal !== undefined ? "personal" : own?.public !== undefined && !platformLimit ? "public" : undefined;
    const limit = blamed && storageLimit(retention);
    if (blamed && limit) problem(entry, ["tenants", entry.index, "retention", blamed], limit);
    const tenant: Tenant = {
      ...rest,
      ...(contact === undefined ? {} : { contact }),
      ...(mqttAccounts === undefined ? {} : { mqttAccounts }),
      retention,
    };
    tenants.set(rest.id, { tenant, at: place(entry, ["tenants", entry.index, "id"]) });
  }

  const readers = new Map<string, { readonly reader: Reader; readonly at: string }>();
  for (const entry of declared.readers) {
    const { name, description, read } = entry.value;
    const path = ["readers", entry.index];
    const earlier = readers.get(name);
    if (earlier) {
      problem(entry, [...path, "name"], `reader "${name}" is already declared at ${earlier.at}`);
      continue;
    }
    if (RESERVED_PRINCIPALS.includes(name))
      problem(entry, [...path, "name"], `"${name}" is the platform's own principal; choose another name`);
    const grants = new Map<string, { readonly tenant: string; readonly dataClass: DataClass }>();
    for (const [tenant, classes] of Object.entries(read)) {
      if (tenant === EVERY_TENANT) {
        if (classes.some((dataClass) => dataClass !== "open"))
          problem(
            entry,
            [...path, "read", tenant],
            `"${EVERY_TENANT}" may grant only open, every other class per tenant`,
          );
      } else if (!tenants.has(tenant)) {
        if (!brokenTenantIds.has(tenant))
          problem(entry, [...path, "read", tenant], `unknown tenant "${tenant}" (declare it under tenants)`);
        continue;
      }
      const over = tenant === EVERY_TENANT ? [...tenants.keys()] : [tenant];
      for (const id of over)
        for (const dataClass of DATA_CLASSES)
          if (classes.includes(dataClass)) grants.set(`${id}_${dataClass}`, { tenant: id, dataClass });
    }
    const personal = [...new Set([...grants.values()].filter((g) => g.dataClass === "personal").map((g) => g.tenant))];
    if (personal.length > 1)
      problem(
        entry,
        [...path, "read"],
        `reads the personal data of ${personal.map((t) => `"${t}"`).join(" and ")}: a reader may read one tenant's personal data only`,
      );
    const reader: Reader = {
      name,
      ...(description === undefined ? {} : { description }),
      read: [...grants.values()],
    };
    readers.set(name, { reader, at: place(entry, [...path, "name"]) });
  }

  return {
    tenants: [...tenants.values()].map((t) => t.tenant),
    readers: [...readers.values()].map((r) => r.reader),
  };
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
  const { description: _, codec: __, fields, interval, ...paths } = declared;
  return {
    ...withoutUndefined(paths),
    ...(interval === undefined ? {} : { intervalMs: interval }),
    ...(fields ? { fields: fields.map((field) => withoutUndefined(field) as FieldMapping) } : {}),
    ...(codec === undefined ? {} : { codec }),
  } as DeviceType;
}

type DeclaredRetention = z.output<typeof retentionByClassSchema>;

function overriding(
  base: Readonly<Record<DataClass, RetentionMs>>,
  own: DeclaredRetention | undefined,
): Readonly<Record<DataClass, RetentionMs>> {
  return Object.fromEntries(DATA_CLASSES.map((c) => [c, own?.[c] === undefined ? base[c] : own[c]])) as Record<
    DataClass,
    RetentionMs
  >;
}

/** zod may hand optional keys over as `undefined`; the domain types leave them out (exactOptionalPropertyTypes). */
function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
