import type { Privacy } from "@stadtfluss/schemas";
import type { DeviceType } from "./device-type.ts";

/** One device as the municipality registered it. */
export interface RegisteredDevice {
  readonly id: string;
  readonly tenant: string;
  readonly type?: DeviceType;
  readonly location?: { readonly lat: number; readonly lon: number };
  readonly district?: string;
  /** The parking site (car park) of a bay's sensor, an InfluxDB tag as the district is. */
  readonly site?: string;
  /** The owning department: who to ask about the device. */
  readonly department?: string;
  readonly privacy: Privacy;
}

/**
 * The merged registry. Device ids are unique per tenant only, since two
 * municipalities may well buy meters whose ids collide.
 */
export class DeviceRegistry {
  readonly #byId = new Map<string, RegisteredDevice[]>();
  readonly size: number;

  constructor(devices: readonly RegisteredDevice[]) {
    for (const device of devices) this.#byId.set(device.id, [...(this.#byId.get(device.id) ?? []), device]);
    this.size = devices.length;
  }

  device(tenant: string, deviceId: string): RegisteredDevice | undefined {
    return this.#byId.get(deviceId)?.find((device) => device.tenant === tenant);
  }

  /** Every device of the tenant. */
  devicesOf(tenant: string): readonly RegisteredDevice[] {
    return [...this.#byId.values()].flat().filter((device) => device.tenant === tenant);
  }

  /** Every tenant that registered this id: tells a foreign device from an unknown one. */
  tenantsOf(deviceId: string): readonly string[] {
    return (this.#byId.get(deviceId) ?? []).map((device) => device.tenant);
  }
}
