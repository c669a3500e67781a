/**
 * Prints a device registry (YAML) for the simulated fleet to stdout, so that
 * the normalizer knows every simulated device:
 *
 *   node services/simulator/src/registry-file.ts > registry.yaml
 *
 * It reads the same SIM_TENANT, SIM_TOPIC_PREFIX and SIM_* device counts as
 * the simulator; ids and places do not depend on SIM_SEED. It declares the
 * tenant too, so that it loads on its own.
 */
import { loadOrExit } from "@stadtfluss/config";
import type { DeclaredDevice, DeclaredDeviceType, DeclaredTenant } from "@stadtfluss/registry";
import { Document, isPair, isScalar, isSeq, visit } from "yaml";
import { loadFleetConfig } from "./config.ts";
import { type CatalogueDevice, simulatedDevices } from "./device-catalogue.ts";

export function registryYaml(devices: readonly CatalogueDevice[]): string {
  const types = [...new Map(devices.map((device) => [device.type.id, device.type])).values()];
  const tenants = [...new Set(devices.map((device) => device.tenant))];
  const document = new Document({
    // The fleet's tenant, so that the registry loads on its own; a municipality, since
    // the simulated household meters publish under the same tenant as the rest.
    tenants: tenants.map((id): DeclaredTenant => ({ id, name: `${id} (simulated)`, kind: "municipality" })),
    deviceTypes: types.map(
      (type): DeclaredDeviceType => ({
        id: type.id,
        description: type.description,
        ...(type.fields ? { fields: type.fields.map((field) => ({ ...field })) } : {}),
      }),
    ),
    devices: devices.map(
      (device): DeclaredDevice => ({
        id: device.id,
        tenant: device.tenant,
        type: device.type.id,
        location: { lat: device.location.lat, lon: device.location.lon },
        district: device.district,
        ...(device.site === undefined ? {} : { site: device.site }),
        department: device.department,
        privacy: device.privacy,
      }),
    ),
  });
  document.commentBefore =
    " The simulated fleet, printed by services/simulator/src/registry-file.ts from the SIM_* settings.";
  // One line per device and per field, as people write registries by hand.
  visit(document, {
    Map(_, map, path) {
      const [pair, seq] = [path.at(-2), path.at(-1)];
      if (
        isSeq(seq) &&
        isPair(pair) &&
        isScalar(pair.key) &&
        ["fields", "devices", "tenants"].includes(String(pair.key.value))
      )
        map.flow = true;
    },
  });
  return document.toString({ lineWidth: 0 });
}

if (import.meta.main) {
  const config = loadOrExit("simulator", () => loadFleetConfig(process.env));
  process.stdout.write(registryYaml(simulatedDevices(config)));
}
