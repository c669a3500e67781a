import { DecodeError } from "@stadtfluss/errors";
import type { DeviceType } from "@stadtfluss/registry";
import type { DecoderContext } from "../raw-record.ts";

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decodes an uplink's raw frame with its device type's codec (`deviceType.codec`,
 * passed again as `codec` once known to be there): the base64 text the network
 * server published (`frm_payload`, `data`) becomes `input.bytes`. `field` names
 * that text in error messages.
 */
export function decodeWithDeviceCodec(
  deviceType: DeviceType,
  codec: string,
  payload: string | undefined,
  fPort: number,
  recvTime: Date,
  field: string,
  context: DecoderContext,
): unknown {
  if (!context.runCodec)
    throw new DecodeError(`device type "${deviceType.id}" has a codec, but the normalizer runs no codec sandbox`);
  // Buffer.from skips characters that are not base64 instead of failing, so check first.
  if (payload !== undefined && !BASE64.test(payload)) throw new DecodeError(`${field} is not base64`);
  const bytes = payload === undefined ? [] : Array.from(Buffer.from(payload, "base64"));
  return context.runCodec(codec, { bytes, fPort, recvTime });
}
