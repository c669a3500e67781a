import { readFileSync } from "node:fs";
import { loadRegistry } from "@stadtfluss/registry";
import { parse } from "yaml";
import { z } from "zod";
import { checkAccounts, type MqttAccounts } from "./mqtt-accounts.ts";
import { bridgeSubscribeFilters, tenantPublishFilters, tenantTree } from "./publish-filters.ts";

const name = z.string().min(1);
const accountsFileSchema = z.strictObject({
  bridge: z.strictObject({
    username: name,
    /** Topic patterns as in the bridge's MQTT_SOURCES (`stadtfluss/{tenant}/{device}/up`). */
    subscriptions: z.array(name).min(1),
  }),
  accounts: z.array(z.strictObject({ username: name, tenant: name })),
  devices: z
    .array(z.strictObject({ id: name, tenant: name, format: name.optional(), topic: name.optional() }))
    .default([]),
});

export type AccountsDeclaration = z.output<typeof accountsFileSchema>;

/**
 * The accounts a declaration gives: each tenant account publishes below
 * `stadtfluss/<tenant>/` and on its tenant's devices' topics; the bridge reads
 * its subscriptions.
 */
export function accountsFrom(declaration: AccountsDeclaration): MqttAccounts {
  const tenants = new Set(declaration.accounts.map((account) => account.tenant));
  const stray = declaration.devices.find((device) => !tenants.has(device.tenant));
  if (stray) throw new Error(`device ${stray.tenant}/${stray.id}: no account publishes for tenant ${stray.tenant}`);
  const filters = tenantPublishFilters(declaration.devices);
  return checkAccounts({
    accounts: declaration.accounts.map(({ username, tenant }) => ({
      username,
      tenant,
      publish: [...new Set([tenantTree(tenant), ...(filters.get(tenant) ?? [])])].sort(),
    })),
    bridge: {
      username: declaration.bridge.username,
      subscribe: bridgeSubscribeFilters(declaration.bridge.subscriptions.map((topic) => ({ topic }))),
    },
  });
}

/** Reads an accounts file (YAML); problems read `file: path: reason`. */
export function readAccountsFile(file: string): MqttAccounts {
  const result = accountsFileSchema.safeParse(parse(readFileSync(file, "utf8")));
  if (!result.success) {
    const [issue] = result.error.issues;
    throw new Error(`${file}: ${issue?.path.join(".") || "(file)"}: ${issue?.message}`);
  }
  try {
    return accountsFrom(result.data);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`);
  }
}

/**
 * The accounts the platform declaration gives (the registry: `mqtt.bridge`, each
 * tenant's `mqttAccounts`, each device's `mqtt`). Throws the registry's own
 * `file:line: path: reason` problems, or names what is missing.
 */
export function readDeclaration(path: string): MqttAccounts {
  const { mqtt } = loadRegistry(path);
  if (!mqtt.bridge) throw new Error(`${path}: declares no mqtt.bridge (the bridge's username and subscriptions)`);
  try {
    return accountsFrom({
      bridge: { ...mqtt.bridge, subscriptions: [...mqtt.bridge.subscriptions] },
      accounts: [...mqtt.accounts],
      devices: [...mqtt.devices],
    });
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
