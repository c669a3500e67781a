import {
  channelSchema,
  districtSchema,
  identifierSchema,
  kindInfo,
  locationSchema,
  privacySchema,
  siteSchema,
  toCanonicalUnit,
} from "@stadtfluss/schemas";
import { z } from "zod";
import { DATA_CLASSES, principalNameSchema, tenantIdSchema } from "./database-name.ts";
import { intervalSchema } from "./interval.ts";
import { retentionByClassSchema } from "./retention.ts";

/** What a registry YAML file may hold; the rules across entries and files live in load-registry.ts. */

const kindSchema = z.string().refine((kind) => kindInfo(kind) !== undefined, {
  error: (issue) => `unknown kind "${String(issue.input)}" (see packages/schemas/src/kinds.ts)`,
});

const fieldMappingSchema = z
  .strictObject({
    path: z.string().min(1),
    kind: kindSchema,
    unit: z.string().min(1),
    scale: z
      .number()
      .refine((n) => Number.isFinite(n) && n !== 0, "must be a finite number other than 0")
      .optional(),
    // The observation's rule: the channel becomes an InfluxDB tag.
    channel: channelSchema.optional(),
  })
  .superRefine((field, ctx) => {
    const info = kindInfo(field.kind);
    if (!info) return;
    try {
      toCanonicalUnit(field.kind, 1, field.unit);
    } catch {
      ctx.addIssue({
        code: "custom",
        path: ["unit"],
        message: `unit "${field.unit}" cannot be converted to ${info.unit}, the unit of ${field.kind}`,
      });
    }
  });

export const deviceTypeSchema = z
  .strictObject({
    id: identifierSchema,
    description: z.string().optional(),
    fields: z.array(fieldMappingSchema).min(1, "must list at least one field").optional(),
    /** Relative to the YAML file that names it. */
    codec: z.string().min(1).optional(),
    timePath: z.string().min(1).optional(),
    seqPath: z.string().min(1).optional(),
    deviceIdPath: z.string().min(1).optional(),
    meterSerialPath: z.string().min(1).optional(),
    /** How often its devices report (`5m`): a device silent for longer is alerted on. */
    interval: intervalSchema.optional(),
    /** A kind its devices send with every message: what the silent-device alert counts. */
    reports: kindSchema.optional(),
  })
  .superRefine((type, ctx) => {
    if (type.reports && type.fields && !type.fields.some((field) => field.kind === type.reports))
      ctx.addIssue({
        code: "custom",
        path: ["reports"],
        message: `"${type.reports}" is not among the kinds its fields map to (${type.fields.map((f) => f.kind).join(", ")})`,
      });
  });

/** Where a device publishes, for the broker's ACL: only for formats whose topic names no tenant. */
export const deviceMqttSchema = z.strictObject({
  /** The bridge's format id (`dsmr-p1`, `tasmota-sml`, ...): its usual topic. */
  format: z.string().min(1).optional(),
  /** The topic, where the format's usual one does not fit. */
  topic: z.string().min(1).optional(),
});

export const deviceSchema = z.strictObject({
  id: identifierSchema,
  tenant: identifierSchema,
  type: identifierSchema.optional(),
  mqtt: deviceMqttSchema.optional(),
  description: z.string().optional(),
  // The observation's own rules: enrichment runs after validation, so these are the only check.
  location: locationSchema.strict().optional(),
  district: districtSchema.optional(),
  /** The parking site (car park) the device belongs to: `parkhaus-markt`. */
  site: siteSchema.optional(),
  department: z.string().min(1).optional(),
  // No default: a household meter must never become public by omission.
  privacy: z.enum(privacySchema.options, {
    error: (issue) => (issue.input === undefined ? "is required" : "must be public or personal"),
  }),
});

/** The file's outline; each entry is checked on its own, so that one bad entry hides no other problem. */
export const registryFileSchema = z.strictObject({
  /** The platform's retention per class; in one file only. */
  retention: z.unknown().optional(),
  /** The broker's side of the declaration (the bridge's account); in one file only. */
  mqtt: z.unknown().optional(),
  tenants: z.array(z.unknown()).optional(),
  readers: z.array(z.unknown()).optional(),
  deviceTypes: z.array(z.unknown()).optional(),
  devices: z.array(z.unknown()).optional(),
  /** Grafana's organisations, folders, teams and dashboards per tenant; in one file only. */
  grafana: z.unknown().optional(),
});

export type DeclaredDeviceType = z.output<typeof deviceTypeSchema>;
export type DeclaredDevice = z.output<typeof deviceSchema>;

export const tenantSchema = z.strictObject({
  id: tenantIdSchema,
  name: z.string().min(1),
  kind: z.enum(["municipality", "utility"], {
    error: (issue) => (issue.input === undefined ? "is required" : "must be municipality or utility"),
  }),
  /** Whom to ask about the tenant's data: its data protection officer, say. */
  contact: z.string().min(1).optional(),
  retention: retentionByClassSchema.optional(),
  /** The MQTT accounts its devices (or gateways) publish with; one named like the tenant if not given. */
  mqttAccounts: z.array(z.string().min(1)).min(1, "must name an account").optional(),
});

export const platformMqttSchema = z.strictObject({
  bridge: z.strictObject({
    username: z.string().min(1),
    /** Topic patterns as in the bridge's MQTT_SOURCES (`stadtfluss/{tenant}/{device}/up`). */
    subscriptions: z.array(z.string().min(1)).min(1, "must name a topic"),
  }),
});

/** `"*"` grants a class of every declared tenant; the loader allows it for `open` only. */
export const EVERY_TENANT = "*";

export const readerSchema = z.strictObject({
  name: principalNameSchema,
  description: z.string().optional(),
  read: z
    .record(
      z.union([z.literal(EVERY_TENANT), tenantIdSchema]),
      z.array(z.enum(DATA_CLASSES, { error: () => `must be ${DATA_CLASSES.join(", ")}` })).min(1, "must name a class"),
    )
    .refine((read) => Object.keys(read).length > 0, "must grant at least one tenant's class"),
});

export type DeclaredTenant = z.output<typeof tenantSchema>;
export type DeclaredPlatformMqtt = z.output<typeof platformMqttSchema>;
export type DeclaredReader = z.output<typeof readerSchema>;

/** A folder's uid; with the provisioner's prefix `stadtfluss-` within Grafana's 40 characters. */
const folderUidSchema = z
  .string()
  .max(29, "must have at most 29 characters")
  .regex(/^[a-z][a-z0-9-]*$/, "must be lowercase letters, digits and hyphens, starting with a letter");

/** A contact point: mail to some addresses, or a webhook. */
const contactPointSchema = z
  .strictObject({
    uid: folderUidSchema,
    name: z.string().min(1),
    email: z
      .array(z.email({ error: "must be an e-mail address" }))
      .min(1, "must name an address")
      .optional(),
    webhook: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }).optional(),
  })
  .refine((point) => (point.email === undefined) !== (point.webhook === undefined), {
    error: "must have either email or webhook",
  });

/** A branch of the notification policy: alerts matching all its matchers go to its contact point. */
const policyRouteSchema = z.strictObject({
  receiver: z.string().min(1),
  /** A department's folder uid: alerts of the rules placed there. */
  department: z.string().min(1).optional(),
  /** An alert rule's name (`pm10-daily-mean`). */
  alert: z.string().min(1).optional(),
});

const alertingSchema = z.strictObject({
  /** The PM10 daily mean above which the air-quality alert fires, in µg/m³ (the EU limit value). */
  pm10DailyMeanLimit: z.number().positive("must be positive").default(50),
  contactPoints: z.array(contactPointSchema).default([]),
  /** The organisation's whole notification policy tree; left as it is where not declared. */
  policy: z
    .strictObject({
      receiver: z.string().min(1),
      groupBy: z.array(z.string().min(1)).default(["grafana_folder", "alertname"]),
      routes: z.array(policyRouteSchema).default([]),
    })
    .optional(),
});

export const grafanaSchema = z.strictObject({
  /** Where Grafana reaches InfluxDB: the URL of every InfluxDB data source it gets. */
  influxUrl: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
  /** The Prometheus that scrapes the workers, as a data source in the organisations where the city's operators work. */
  prometheus: z
    .strictObject({
      url: z.url({ protocol: /^https?$/, error: "must be an http or https URL" }),
      tenants: z.array(tenantIdSchema).min(1, "must name the tenant whose organisation gets it"),
    })
    .optional(),
  tenants: z.record(
    tenantIdSchema,
    z.strictObject({
      reader: principalNameSchema,
      teams: z
        .array(z.strictObject({ name: z.string().min(1), members: z.array(z.string().min(1)).default([]) }))
        .default([]),
      departments: z
        .array(
          z.strictObject({
            uid: folderUidSchema,
            title: z.string().min(1),
            permissions: z
              .record(
                z.string().min(1),
                z.enum(["View", "Edit", "Admin"], { error: () => "must be View, Edit or Admin" }),
              )
              .default({}),
            dashboards: z.array(z.string().min(1)).default([]),
            /** Alert rules of `dashboards/alerts.ts` placed into this folder, by name. */
            alerts: z.array(z.string().min(1)).default([]),
          }),
        )
        .default([]),
      alerting: alertingSchema.optional(),
    }),
  ),
});

export type DeclaredGrafana = z.output<typeof grafanaSchema>;
