export { instantMs, isIsoInstant, isoInstant } from "./instant.ts";
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
  OBSERVATION_V3_SCHEMA_ID,
  OBSERVATION_V4_SCHEMA_ID,
  type Observation,
  observationListSchema,
  observationSchema,
  observationSchemaIdOf,
  observationV1Schema,
  observationV4Schema,
  type Privacy,
  parseObservation,
  parseObservationList,
  parseObservationV4,
  privacySchema,
  SHAREABLE_FIELDS,
  serializeObservation,
  serializeObservationList,
  serializeObservationsV4,
  siteSchema,
} from "./observation.ts";
export { readObservationRecord, readObservationRecords } from "./observation-record.ts";
export { toCanonicalUnit } from "./units.ts";
