/**
 * `node infra/images/deploy.ts <service> <dir>`: what an image of the service holds.
 *
 * `pnpm deploy` writes the service's production dependencies to `<dir>`, flat
 * (hoisted), as installed from the lockfile: kafkajs with the project's patch.
 *
 * Node strips types only outside node_modules, and the workspace packages export
 * their TypeScript sources, so a deployed service cannot import them as they are.
 * The service's own code and the workspace packages are bundled into
 * `<deploy dir>/dist/main.js`; every other package stays an import, resolved from
 * the node_modules `pnpm deploy` wrote (kafkajs with the project's patch, as the
 * lockfile says). Development runs the sources and needs none of this.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { build } from "rolldown";

const root = join(import.meta.dirname, "..", "..");

/** Bundles `services/<service>/src/main.ts` to `<out>/dist/main.js`; returns its path. */
export async function bundleService(service: string, out: string): Promise<string> {
  const input = join(root, "services", service, "src", "main.ts");
  if (!/^[a-z][a-z0-9-]*$/.test(service) || !existsSync(input))
    throw new Error(`no service ${JSON.stringify(service)} (services/<name>/src/main.ts)`);
  const file = join(out, "dist", "main.js");
  await build({
    input,
    platform: "node",
    // Third-party packages stay imports: some load files next to them (the codec
    // sandbox's WebAssembly), and the deploy folder holds them as installed.
    external: (id) => !id.startsWith("@stadtfluss/") && !id.startsWith(".") && !isAbsolute(id),
    output: { file, format: "esm", sourcemap: true },
    logLevel: "warn",
  });
  return file;
}

/** `pnpm deploy` of the service's production dependencies to `out`, then its bundle. */
export async function deployService(
  service: string,
  out: string,
  options: { preferOffline?: boolean } = {},
): Promise<string> {
  const manifest = join(root, "services", service, "package.json");
  if (!existsSync(manifest)) throw new Error(`no service ${JSON.stringify(service)} (services/<name>/package.json)`);
  const { name } = JSON.parse(readFileSync(manifest, "utf8")) as { name: string };
  execFileSync(
    "pnpm",
    [
      "--filter",
      name,
      "deploy",
      "--prod",
      "--config.node-linker=hoisted",
      ...(options.preferOffline ? ["--prefer-offline"] : []),
      out,
    ],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  return bundleService(service, out);
}

if (import.meta.main) {
  const [service, out, ...rest] = process.argv.slice(2);
  if (!service || !out || rest.length > 0) {
    process.stderr.write("usage: node infra/images/deploy.ts <service> <dir>\n");
    process.exit(2);
  }
  process.stdout.write(`${await deployService(service, out)}\n`);
}
