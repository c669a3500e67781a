export { type ApplyOptions, ApplyRefusedError, applyPlan, statementOf } from "./apply.ts";
export { generatePassword, writeCredentialFile } from "./credential-files.ts";
export { type CurrentStorage, type Privilege, readCurrentStorage } from "./current-storage.ts";
export { type DesiredStorage, loadDesiredStorage } from "./desired-storage.ts";
export { Influx2ApiError, type Influx2Settings } from "./influx2/api.ts";
export { applyInflux2Plan, type Influx2ApplyOptions, tokenFileName, v1FileName } from "./influx2/apply.ts";
export { type Influx2Config, loadInflux2Config } from "./influx2/config.ts";
export { type Influx2State, PRINCIPAL_MARKER, readInflux2State } from "./influx2/current-state.ts";
export {
  describeInflux2Step,
  type Influx2PlanOptions,
  type Influx2Step,
  type PlannedInflux2Step,
  planInflux2,
} from "./influx2/plan.ts";
export { describeStep, PlanError, type PlannedStep, type PlanOptions, plan, type Step } from "./plan.ts";
