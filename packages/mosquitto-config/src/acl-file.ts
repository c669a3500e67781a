import { checkAccounts, type MqttAccounts } from "./mqtt-accounts.ts";

/**
 * The bridge's record of the subscriptions it applied, one retained message per
 * client id (services/mqtt-bridge/src/subscriptions.ts), and the drop counter
 * it exports with `brokerStats`.
 */
export const BRIDGE_OWN_TOPICS = {
  readwrite: ["stadtfluss-bridge/+/subscriptions"],
  read: ["$SYS/broker/publish/messages/dropped"],
} as const;

/**
 * Mosquitto's ACL file: per account only `topic write` lines, so a tenant's
 * account can neither publish outside its filters nor read anything; the bridge
 * only reads, apart from its own record. Mosquitto denies whatever no line allows.
 */
export function aclFile(input: MqttAccounts, options: { source?: string } = {}): string {
  const { accounts, bridge } = checkAccounts(input);
  const lines = [
    `# Generated from ${options.source ?? "the platform declaration"} by \`pnpm mosquitto-files\`; do not edit.`,
    "# Mosquitto denies every topic no line below allows.",
  ];
  for (const account of [...accounts].sort((a, b) => compare(a.username, b.username))) {
    lines.push("", `# tenant ${account.tenant}`, `user ${account.username}`);
    for (const filter of unique(account.publish)) lines.push(`topic write ${filter}`);
  }
  lines.push("", "# The bridge reads everything it forwards.", `user ${bridge.username}`);
  for (const filter of unique([...bridge.subscribe, ...BRIDGE_OWN_TOPICS.read])) lines.push(`topic read ${filter}`);
  for (const filter of BRIDGE_OWN_TOPICS.readwrite) lines.push(`topic readwrite ${filter}`);
  return `${lines.join("\n")}\n`;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const unique = (filters: readonly string[]) => [...new Set(filters)].sort(compare);
