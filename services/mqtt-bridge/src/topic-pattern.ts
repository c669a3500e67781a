/**
 * A subscription pattern such as `v3/{application}@{tenant}/devices/{device}/up`:
 * the MQTT filter is the pattern with each level holding a `{name}` replaced by
 * `+`, and a match yields the named parts. `+` and a final `#` stay wildcards.
 */
export interface TopicPattern {
  readonly pattern: string;
  readonly filter: string;
  match(topic: string): Record<string, string> | undefined;
}

const PLACEHOLDER = /\{([a-z][a-zA-Z0-9]*)\}/g;

export function parseTopicPattern(pattern: string): TopicPattern {
  const levels = pattern.split("/");
  const names: string[] = [];
  const filterLevels: string[] = [];
  const regexLevels: string[] = [];
  levels.forEach((level, i) => {
    if (level === "#") {
      if (i !== levels.length - 1) throw new Error(`"#" must be the last level of ${pattern}`);
      filterLevels.push("#");
      regexLevels.push(".*");
      return;
    }
    if (level === "+") {
      filterLevels.push("+");
      regexLevels.push("[^/]+");
      return;
    }
    if (level.includes("+") || level.includes("#"))
      throw new Error(`"+" and "#" must fill a whole level in ${pattern}`);
    const parts = level.split(PLACEHOLDER);
    if (parts.length === 1) {
      filterLevels.push(level);
      regexLevels.push(escapeRegExp(level));
      return;
    }
    // split() with a capture group alternates literal text and placeholder names.
    let regex = "";
    parts.forEach((part, j) => {
      if (j % 2 === 0) regex += escapeRegExp(part);
      else {
        if (names.includes(part)) throw new Error(`{${part}} appears twice in ${pattern}`);
        names.push(part);
        regex += `(?<${part}>[^/]+?)`;
      }
    });
    filterLevels.push("+");
    regexLevels.push(regex);
  });
  const regex = new RegExp(`^${regexLevels.join("/")}$`);
  return {
    pattern,
    filter: filterLevels.join("/"),
    match(topic) {
      const groups = regex.exec(topic)?.groups;
      return groups ? { ...groups } : regex.test(topic) ? {} : undefined;
    },
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
