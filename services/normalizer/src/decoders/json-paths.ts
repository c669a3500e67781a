import { MAX_NESTING, tooDeep } from "./payload.ts";

/**
 * Dotted paths into a parsed JSON object, as device types' `fields` name them
 * (`SML.Total_in`). A segment may be empty: Tasmota names a meter `""` when
 * its script gives no JSON prefix, so `.Total_in` is a valid path.
 */

/** The value at `path`, or undefined where the path leads nowhere. */
export function valueAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const segment of path.split(".")) {
    if (typeof node !== "object" || node === null || Array.isArray(node) || !Object.hasOwn(node, segment))
      return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/**
 * Every leaf of an object with its path; arrays and `null` count as leaves.
 * Refuses nesting beyond MAX_NESTING (a DecodeError) instead of overflowing the stack.
 */
export function leaves(root: Record<string, unknown>, prefix?: string, depth = 0): [string, unknown][] {
  if (depth >= MAX_NESTING) throw tooDeep(prefix ?? "");
  return Object.entries(root).flatMap(([key, value]): [string, unknown][] => {
    const path = prefix === undefined ? key : `${prefix}.${key}`;
    return typeof value === "object" && value !== null && !Array.isArray(value)
      ? leaves(value as Record<string, unknown>, path, depth + 1)
      : [[path, value]];
  });
}
