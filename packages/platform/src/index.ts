export { type ApplyOptions, ApplyRefusedError, applyPlan, statementOf } from "./apply.ts";
export { generatePassword, writeCredentialFile } from "./credential-files.ts";
export { type CurrentStorage, type Privilege, readCurrentStorage } from "./current-storage.ts";
export { type DesiredStorage, loadDesiredStorage } from "./desired-storage.ts";
export { describeStep, PlanError, type PlannedStep, type PlanOptions, plan, type Step } from "./plan.ts";
