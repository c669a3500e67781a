import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { DeviceType } from "@stadtfluss/registry";
import { defaultDecoderContext } from "../normalize.ts";
import type { DecoderContext, RawRecord } from "../raw-record.ts";

/**
 * One fixture folder (Telegraf's layout): `testdata/<format>/<case>/` holds
 * `input.*` (the payload exactly as published), `config.json` (topic, device id,
 * device types, settings), `expected.json` (the observations, or the error) and
 * `SOURCE.md` (where the payload comes from).
 */
export interface DecoderCase {
  readonly format: string;
  readonly name: string;
  readonly record: RawRecord;
  readonly deviceTypes: Readonly<Record<string, DeviceType>>;
  readonly timeZone?: string;
  readonly useGatewayTime?: boolean;
  /** The observation version the normalizer may produce (NORMALIZER_OBSERVATION_VERSION); 1 if unset. */
  readonly observationVersion?: 1 | 2;
  readonly expected:
    | {
        readonly observations: ReadonlyArray<Record<string, unknown>>;
        readonly unmapped?: readonly string[];
      }
    | { readonly error: { readonly stage: string; readonly message: string } };
}

interface CaseConfig {
  topic?: string;
  key?: string;
  tenant?: string;
  receivedAt?: string;
  /** Device id → device type; a `codec` names a file in the case folder. */
  deviceTypes?: Record<string, DeviceType>;
  timeZone?: string;
  useGatewayTime?: boolean;
  observationVersion?: 1 | 2;
}

export const TESTDATA = join(import.meta.dirname, "testdata");

export function loadCases(root = TESTDATA): DecoderCase[] {
  const cases: DecoderCase[] = [];
  for (const format of readdirSync(root).sort()) {
    for (const name of readdirSync(join(root, format)).sort()) {
      const dir = join(root, format, name);
      const input = readdirSync(dir).find((file) => file.startsWith("input."));
      if (!input) throw new Error(`${dir}: no input.* file`);
      if (!existsSync(join(dir, "SOURCE.md")))
        throw new Error(`${dir}: no SOURCE.md naming where the payload comes from`);
      const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as CaseConfig;
      const deviceTypes = Object.fromEntries(
        Object.entries(config.deviceTypes ?? {}).map(([device, type]) => [
          device,
          type.codec ? { ...type, codec: readFileSync(join(dir, type.codec), "utf8") } : type,
        ]),
      );
      cases.push({
        format,
        name,
        record: {
          key: config.key,
          value: readFileSync(join(dir, input)),
          source: "testdata",
          format,
          tenant: config.tenant ?? "musterstadt",
          mqttTopic: config.topic ?? "",
          receivedAt: new Date(config.receivedAt ?? "2026-11-25T07:30:00.000Z"),
        },
        deviceTypes,
        ...(config.timeZone ? { timeZone: config.timeZone } : {}),
        ...(config.useGatewayTime ? { useGatewayTime: config.useGatewayTime } : {}),
        ...(config.observationVersion ? { observationVersion: config.observationVersion } : {}),
        expected: JSON.parse(readFileSync(join(dir, "expected.json"), "utf8")),
      });
    }
  }
  return cases;
}

/** The decoder context a case's `config.json` describes, with the given codec sandbox. */
export function decoderContextFor(testCase: DecoderCase, runCodec: DecoderContext["runCodec"]): DecoderContext {
  return {
    ...defaultDecoderContext,
    deviceType: (id: string) => testCase.deviceTypes[id],
    ...(runCodec ? { runCodec } : {}),
    ...(testCase.timeZone ? { timeZone: testCase.timeZone } : {}),
    ...(testCase.useGatewayTime ? { useGatewayTime: testCase.useGatewayTime } : {}),
  };
}
