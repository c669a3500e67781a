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
    return {
      ...(device.location ? { location: { lat: device.location.lat, lon: device.location.lon } } : {}),
      ...(device.district === undefined ? {} : { district: device.district }),
      // Observation v1 cannot carry it, and no reading is lost without it: left out until writers read v2.
      ...(device.site === undefined || version === 1 ? {} : { site: device.site }),
      privacy: device.privacy,
    };
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
