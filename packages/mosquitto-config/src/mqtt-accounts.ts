/**
 * What the broker's password and ACL files are made from: the accounts devices
 * (or their gateways) publish with, each allowed its tenant's topic filters, and
 * the bridge's account, allowed to read what it subscribes to.
 */
export interface MqttAccounts {
  readonly accounts: ReadonlyArray<{
    readonly username: string;
    readonly tenant: string;
    /** MQTT topic filters this account may publish to. */
    readonly publish: readonly string[];
  }>;
  readonly bridge: {
    readonly username: string;
    /** The filters the bridge subscribes (with `+` for its `{placeholders}`). */
    readonly subscribe: readonly string[];
  };
}

/**
 * Mosquitto reads a password file line up to the first colon and an ACL line up
 * to its end: a name with a colon, space or control character would split or
 * extend an entry, so such names are refused rather than escaped.
 */
export function checkUsername(username: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/.test(username))
    throw new Error(`MQTT username "${username}" must be letters, digits and . _ @ - only (at most 128)`);
  return username;
}

/** An MQTT topic filter (MQTT 3.1.1, 4.7): `+` and `#` fill whole levels, `#` only last; no spaces. */
export function checkTopicFilter(filter: string): string {
  const levels = filter.split("/");
  const valid =
    filter.length > 0 &&
    Buffer.byteLength(filter) <= 65_535 &&
    !/[\s\p{Cc}]/u.test(filter) &&
    levels.every(
      (level, i) =>
        level === "+" || (level === "#" && i === levels.length - 1) || !(level.includes("+") || level.includes("#")),
    );
  if (!valid) throw new Error(`"${filter}" is not an MQTT topic filter Mosquitto's ACL can hold`);
  return filter;
}

/** Every username appears once, and every name and filter can be written into Mosquitto's files. */
export function checkAccounts(input: MqttAccounts): MqttAccounts {
  const seen = new Set<string>();
  for (const { username } of [...input.accounts, input.bridge]) {
    checkUsername(username);
    if (seen.has(username)) throw new Error(`MQTT username "${username}" is declared twice`);
    seen.add(username);
  }
  for (const account of input.accounts) account.publish.forEach(checkTopicFilter);
  input.bridge.subscribe.forEach(checkTopicFilter);
  return input;
}
