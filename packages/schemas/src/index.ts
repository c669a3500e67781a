export { type Kind, type KindInfo, kindInfo, kinds } from "./kinds.ts";
export {
  OBSERVATION_SCHEMA_ID,
  type Observation,
  observationSchema,
  parseObservation,
  serializeObservation,
} from "./observation.ts";
