export { type AccountsDeclaration, accountsFrom, readAccountsFile, readDeclaration } from "./accounts-file.ts";
export { aclFile, BRIDGE_OWN_TOPICS } from "./acl-file.ts";
export { checkAccounts, checkTopicFilter, checkUsername, type MqttAccounts } from "./mqtt-accounts.ts";
export { DEFAULT_ITERATIONS, hashPassword, verifyPassword } from "./password-hash.ts";
export {
  bridgeSubscribeFilters,
  type DeviceTopicHint,
  FORMAT_TOPICS,
  tenantPublishFilters,
  tenantTree,
} from "./publish-filters.ts";
export { type MosquittoFiles, writeMosquittoFiles } from "./write-files.ts";
