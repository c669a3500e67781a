import type { DeviceRegistry } from "@stadtfluss/registry";
import type { Observation } from "@stadtfluss/schemas";
import { NormalizeError } from "../normalize-error.ts";
import type { ObservationVersion } from "../point-identity.ts";

/** `quarantine` keeps an unknown device's records for replay once it is registered. */
export type UnknownDevicePolicy = "dead-letter" | "quarantine";

export type Enrichment = Pick<Observation, "location" | "district" | "site" | "privacy">;

/**
 * What the registry adds to the device's observations. A device registered
 * only by another tenant is always a dead letter: a tenant must not write into
 * another tenant's devices, and replaying it later would not make that right.
 */
export function enrichmentFor(
  registry: DeviceRegistry,
  tenant: string,
  deviceId: string,
  unknownDevices: UnknownDevicePolicy,
  version: ObservationVersion = 1,
): Enrichment {
  const device = registry.device(tenant, deviceId);
  if (device) {
    // Keys added one by one rather than spread: this runs for every observation.
    const enrichment: Enrichment = { privacy: device.privacy };
    if (device.location) enrichment.location = { lat: device.location.lat, lon: device.location.lon };
    if (device.district !== undefined) enrichment.district = device.district;
    // Observation v1 cannot carry it, and no reading is lost without it: left out until writers read v2.
    if (device.site !== undefined && version !== 1) enrichment.site = device.site;
    return enrichment;
  }
  const owners = registry.tenantsOf(deviceId);
  if (owners.length > 0)
    throw new NormalizeError(
      "enrich",
      `device ${deviceId} is registered to tenant ${owners.join(", ")}, not to ${tenant}: a tenant must not write into another tenant's devices`,
    );
  throw new NormalizeError("enrich", `unknown device ${deviceId} of tenant ${tenant}`, undefined, {
    quarantine: unknownDevices === "quarantine",
  });
}
