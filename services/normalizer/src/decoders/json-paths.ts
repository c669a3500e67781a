import { MAX_NESTING, tooDeep } from "./payload.ts";

/**
 * Dotted paths into a parsed JSON object, as device types' `fields` name them
 * (`SML.Total_in`). A segment may be empty: Tasmota names a meter `""` when
 * its script gives no JSON prefix, so `.Total_in` is a valid path.
 */

/** Paths split once: they come from the registry's device types, a few per type. */
const segmentsOfPath = new Map<string, readonly string[]>();
const MAX_CACHED_PATHS = 10_000;

function segmentsOf(path: string): readonly string[] {
  let segments = segmentsOfPath.get(path);
  if (segments === undefined) {
    // A registry reloaded many times over could leave paths no type names any more.
    if (segmentsOfPath.size >= MAX_CACHED_PATHS) segmentsOfPath.clear();
    segments = path.split(".");
    segmentsOfPath.set(path, segments);
  }
  return segments;
}

/** The value at `path`, or undefined where the path leads nowhere. */
export function valueAt(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const segment of segmentsOf(path)) {
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
export function leaves(root: Record<string, unknown>): [string, unknown][] {
  const found: [string, unknown][] = [];
  forEachLeaf(root, (path, value) => {
    found.push([path, value]);
  });
  return found;
}

/**
 * The paths of every number in an object, however deep, that `used` does not
 * hold: what `leaves` filtered to numbers would give, without building a pair per
 * leaf. It runs for every generic-json message.
 */
export function unmappedNumbers(root: Record<string, unknown>, used: ReadonlySet<string>): string[] {
  const found: string[] = [];
  forEachLeaf(root, (path, value) => {
    if (typeof value === "number" && !used.has(path)) found.push(path);
  });
  return found;
}

function forEachLeaf(
  node: Record<string, unknown>,
  visit: (path: string, value: unknown) => void,
  prefix?: string,
  depth = 0,
): void {
  if (depth >= MAX_NESTING) throw tooDeep(prefix ?? "");
  for (const key of Object.keys(node)) {
    const value = node[key];
    const path = prefix === undefined ? key : `${prefix}.${key}`;
    if (typeof value === "object" && value !== null && !Array.isArray(value))
      forEachLeaf(value as Record<string, unknown>, visit, path, depth + 1);
    else visit(path, value);
  }
}
