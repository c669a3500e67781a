import { type Document, isMap, isNode, isScalar, type LineCounter } from "yaml";

/** A parsed registry file with what is needed to point at a line in it. */
export interface YamlSource {
  readonly file: string;
  readonly document: Document;
  readonly lines: LineCounter;
}

/**
 * The line of the node at `path` (a zod issue path). A missing key has no node:
 * then the nearest enclosing one, which is the entry the key is missing from.
 */
export function lineOf(source: YamlSource, path: readonly PropertyKey[]): number {
  for (let depth = path.length; depth > 0; depth--) {
    const node = source.document.getIn(path.slice(0, depth) as unknown[], true);
    if (isNode(node) && node.range) return source.lines.linePos(node.range[0]).line;
  }
  const root = source.document.contents;
  return root?.range ? source.lines.linePos(root.range[0]).line : 1;
}

/** The line of the key `key` inside the map at `path`: where an unknown key is written. */
export function keyLineOf(source: YamlSource, path: readonly PropertyKey[], key: string): number {
  const map = path.length === 0 ? source.document.contents : source.document.getIn(path as unknown[], true);
  if (isMap(map)) {
    const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
    if (pair && isNode(pair.key) && pair.key.range) return source.lines.linePos(pair.key.range[0]).line;
  }
  return lineOf(source, path);
}

/** `devices[2].location.lat`: how the path reads in the YAML. */
export function describePath(path: readonly PropertyKey[]): string {
  return path
    .map((part, i) => (typeof part === "number" ? `[${part}]` : i === 0 ? String(part) : `.${String(part)}`))
    .join("");
}
