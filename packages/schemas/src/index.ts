export { type Kind, type KindInfo, kindInfo, kinds } from "./kinds.ts";
export {
  channelSchema,
  districtSchema,
  identifierSchema,
  locationSchema,
  MAX_CHANNEL_LENGTH,
  MAX_SITE_LENGTH,
  meterSerialSchema,
  OBSERVATION_SCHEMA_ID,
  OBSERVATION_V2_SCHEMA_ID,
  type Observation,
  observationSchema,
  observationSchemaIdOf,
  observationV1Schema,
  type Privacy,
  parseObservation,
  privacySchema,
  serializeObservation,
  siteSchema,
} from "./observation.ts";
export { readObservationRecord } from "./observation-record.ts";
export { toCanonicalUnit } from "./units.ts";
